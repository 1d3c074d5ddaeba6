"""The real ``confiance serve`` process: quickstart, curl-like session, clean stop, durability.

These tests start ``python -m confiance.node.cli serve`` on a free 127.0.0.1 port and talk
HTTP to it, as a user would. The durability test kills the server with SIGKILL while a
client streams 1,000 assertions, restarts it, and checks that every acknowledged assertion
is there and that the database passes ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from nodehelpers import Party

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(data_dir: Path, port: int, *extra: str, env: dict[str, str] | None = None,
          default_dir: bool = False) -> subprocess.Popen[bytes]:
    """Run the server; its logs go to a file beside the data dir (a pipe could fill up).

    With ``default_dir``, no ``--data-dir`` is given: the server runs in ``data_dir``'s
    parent and must pick ``./confiance-data`` itself (``data_dir`` must be that).
    """
    where = ["--data-dir", str(data_dir)] if not default_dir else []
    environment = {**os.environ, **(env or {})}
    environment.pop("CONFIANCE_DATA_DIR", None)
    with open(f"{data_dir}.log", "ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "confiance.node.cli", "serve", *where,
             "--port", str(port), *extra],
            env=environment, stdout=log, stderr=log, cwd=data_dir.parent)


def logs(data_dir: Path) -> str:
    return Path(f"{data_dir}.log").read_text(encoding="utf-8", errors="replace")


async def wait_ready(base: str, proc: subprocess.Popen[bytes], data_dir: Path,
                     timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {logs(data_dir)[-2000:]}")
            try:
                async with session.get(base + "/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"no answer on /health in time: {logs(data_dir)[-2000:]}")


@contextmanager
def running(data_dir: Path, port: int, **kw: Any) -> Iterator[subprocess.Popen[bytes]]:
    proc = start(data_dir, port, **kw)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


async def test_serve_alone_gives_a_running_node(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "confiance-data"  # the default, found from the working directory
    with running(data, port, default_dir=True) as proc:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base, proc, data)
        token = (data / "admin.token").read_text().strip()
        auth = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/.well-known/confiance") as r:
                assert (await r.json())["did"] == f"did:web:127.0.0.1%3A{port}"
            body = {"kind": "TrustMark", "credentialSubject": {
                "id": "did:key:zShop", "trustContext": "seller",
                "mark": {"id": "https://marks.test/top"}, "status": "Top seller"}}
            async with http.post(base + "/admin/issue", json=body, headers=auth) as r:
                assert r.status == 201
                issued = await r.json()
            short = issued["id"].rsplit(";", 1)[1]
            async with http.get(f"{base}/assertions/{short}") as r:
                assert r.status == 200 and r.headers["Confiance-Status"] == "valid"
            async with http.get(base + "/assertions", params={"subject": "did:key:zShop"}) as r:
                assert [i["id"] for i in (await r.json())["items"]] == [issued["id"]]
            async with http.post(f"{base}/admin/revoke/{short}", headers=auth) as r:
                assert r.status == 201
            async with http.get(f"{base}/assertions/{short}") as r:
                assert r.headers["Confiance-Status"] == "revoked"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        lines = [json.loads(line) for line in logs(data).splitlines() if line.startswith("{")]
        messages = {line["msg"] for line in lines}
        assert {"initialised a new node", f"listening on {base}", "node ready",
                "node stopped"} <= messages
        assert any(line.get("path") == "/health" for line in lines)  # access log, structured
    assert stat_mode(data / "admin.token") == 0o600


async def test_sigint_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "interrupted"
    with running(data, port) as proc:
        await wait_ready(f"http://127.0.0.1:{port}", proc, data)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    assert '"node stopped"' in logs(data)


def stat_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


async def test_durability_under_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "durable"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    party = Party(7)
    docs = [party.rating(f"did:key:zSubject{i:04d}", 1 + i % 5) for i in range(1000)]
    env = {"CONFIANCE_WRITE_PER_SECOND": "0", "CONFIANCE_READ_PER_SECOND": "0"}
    acked: list[str] = []
    killed_at = 0
    with running(data, port, env=env) as proc:
        await wait_ready(base, proc, data)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for doc in docs:
            queue.put_nowait(doc)

        async def sender(http: aiohttp.ClientSession) -> None:
            while not queue.empty():
                doc = queue.get_nowait()
                try:
                    async with http.post(base + "/assertions", json=doc) as r:
                        if r.status in (200, 201):
                            acked.append((await r.json())["id"])
                except (TimeoutError, aiohttp.ClientError):
                    return

        async def killer() -> None:
            nonlocal killed_at
            while len(acked) < 300:
                await asyncio.sleep(0.001)
            proc.send_signal(signal.SIGKILL)
            killed_at = len(acked)

        async with aiohttp.ClientSession() as http:
            await asyncio.gather(killer(), *(sender(http) for _ in range(8)))
        assert proc.wait(timeout=10) == -signal.SIGKILL
    assert killed_at >= 300 and len(acked) < 1000, "the kill came too late to test anything"
    with running(data, port, env=env) as proc:
        await wait_ready(base, proc, data)
        async with aiohttp.ClientSession() as http:
            missing = []
            for content_id in acked:
                async with http.get(f"{base}/assertions/{content_id.rsplit(';', 1)[1]}") as r:
                    if r.status != 200:
                        missing.append(content_id)
            assert missing == [], f"{len(missing)} acknowledged assertions lost"
            # the rest can still be sent: the store is consistent
            async with http.post(base + "/assertions", json=docs[-1]) as r:
                assert r.status in (200, 201)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    conn = sqlite3.connect(data / "confiance.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        held = {row[0] for row in conn.execute("SELECT id FROM assertions")}
    finally:
        conn.close()
    assert set(acked) <= held
