"""A real node in its own process, with a published mark, an issued badge and its holder:
what the export and browser tests (and the README's commands) work against."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from nodehelpers import Party
from test_process import free_port, running, wait_ready

ROOT = Path(__file__).resolve().parents[2]
MARK_FILE = ROOT / "examples" / "marks" / "top-seller.toml"


def run(coroutine: Any) -> Any:
    """Run a coroutine to its end, on a thread of its own (Playwright's sync API keeps an
    event loop running on the test's thread, where ``asyncio.run`` is refused)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "confiance.node.cli", *args],
                            capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"confiance {' '.join(args)}: {result.returncode}\n"
                             f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result


@dataclass
class LiveNode:
    base: str
    data_dir: Path
    token: str
    holder: Party
    badge_id: str
    process: subprocess.Popen[bytes]

    @property
    def short(self) -> str:
        return self.badge_id.rsplit(";", 1)[-1]

    async def post(self, path: str, body: dict[str, Any], *, admin: bool = True) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if admin else {}
        async with aiohttp.ClientSession() as http, http.post(
                self.base + path, json=body, headers=headers) as resp:
            assert resp.status in (200, 201), await resp.text()
            return await resp.json()

    def revoke(self) -> None:
        run(self.post(f"/admin/revoke/{self.short}", {}))


@contextmanager
def live_node(tmp: Path, *, name: str = "Market E1") -> Iterator[LiveNode]:
    data_dir = tmp / "e1"
    port = free_port()
    cli("init", "--data-dir", str(data_dir), "--name", name)
    with running(data_dir, port) as proc:
        base = f"http://127.0.0.1:{port}"
        run(wait_ready(base, proc, data_dir))
        cli("marks", "create", str(MARK_FILE), "--data-dir", str(data_dir), "--node", base)
        token = (data_dir / "admin.token").read_text().strip()
        holder = Party(7)
        node = LiveNode(base=base, data_dir=data_dir, token=token, holder=holder,
                        badge_id="", process=proc)
        issued = run(node.post("/admin/issue", {
            "kind": "TrustMark", "markDefinition": "top-seller",
            "credentialSubject": {"id": holder.did, "status": "97% positive over 1,204 sales",
                                  "statusValue": 97},
            "evidence": ["https://market.example/sellers/alice/feedback"]}))
        node.badge_id = issued["id"]
        run(node.post(f"/subjects/{quote(holder.did, safe='')}/acceptances",
                              holder.decide(issued["id"], True), admin=False))
        yield node


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
