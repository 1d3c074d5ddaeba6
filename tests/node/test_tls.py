"""TLS: ``serve --tls-cert/--tls-key`` (or ``[tls]`` in confiance.toml), and gossip between
https nodes that trust a private CA (``peer_ca_bundle``) and nobody else's certificate."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import tomli_w
import trustme
from gossipnet import FAST, LiveNode, free_ports, peer, wait_until
from nodehelpers import Party
from test_process import free_port, logs, start

from confiance.node.config import load_config
from confiance.protocol.errors import MalformedDocument


def issue(ca: trustme.CA, folder: Path, *names: str) -> dict[str, str]:
    """A certificate for ``names`` signed by ``ca``, and the CA as a bundle: the TLS config."""
    cert = ca.issue_cert(*names)
    folder.mkdir(parents=True, exist_ok=True)
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(folder / "cert.pem"), append=True)
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    return {"tls_cert": str(folder / "cert.pem"), "tls_key": str(folder / "key.pem"),
            "peer_ca_bundle": str(folder / "ca.pem")}


def trusting(bundle: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=bundle)


@contextmanager
def running(data_dir: Path, port: int, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = start(data_dir, port, *extra)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def wait_ready(base: str, proc: subprocess.Popen[bytes], data_dir: Path,
                     context: ssl.SSLContext) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {logs(data_dir)[-2000:]}")
            try:
                async with http.get(base + "/health", ssl=context) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectorCertificateError:
                raise
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"no answer on /health: {logs(data_dir)[-2000:]}")


@pytest.mark.slow
async def test_serve_speaks_https_with_the_flags_or_the_config(tmp_path: Path) -> None:
    ca = trustme.CA()
    tls = issue(ca, tmp_path / "tls", "127.0.0.1", "localhost")
    data_dir, port = tmp_path / "node", free_port()
    subprocess.run([sys.executable, "-m", "confiance.node.cli", "init", "--data-dir",
                    str(data_dir), "--port", str(port)], check=True, capture_output=True)
    base = f"https://127.0.0.1:{port}"
    with running(data_dir, port, "--tls-cert", tls["tls_cert"], "--tls-key",
                 tls["tls_key"]) as proc:
        await wait_ready(base, proc, data_dir, trusting(tls["peer_ca_bundle"]))
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/.well-known/did.json",
                                ssl=trusting(tls["peer_ca_bundle"])) as resp:
                assert resp.status == 200
                assert (await resp.json())["id"] == f"did:web:127.0.0.1%3A{port}"
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await http.get(base + "/health")  # the system's CAs do not know ours
    assert "listening" in logs(data_dir) and f"https://127.0.0.1:{port}" in logs(data_dir)
    # the same from confiance.toml; the peers command trusts the bundle too
    toml = data_dir / "confiance.toml"
    settings = tomllib.loads(toml.read_text(encoding="utf-8"))
    settings["tls"] = {"cert": tls["tls_cert"], "key": tls["tls_key"],
                       "peer_ca_bundle": tls["peer_ca_bundle"]}
    toml.write_text(tomli_w.dumps(settings), encoding="utf-8")
    with running(data_dir, port) as proc:
        await wait_ready(base, proc, data_dir, trusting(tls["peer_ca_bundle"]))
        listed = subprocess.run([sys.executable, "-m", "confiance.node.cli", "peers", "list",
                                 "--data-dir", str(data_dir)], capture_output=True, text=True)
        assert listed.returncode == 0, listed.stdout + listed.stderr


def test_tls_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(MalformedDocument, match="give both"):
        load_config(tmp_path, env={}, tls_cert="cert.pem")
    config = load_config(tmp_path, env={}, tls_cert="c.pem", tls_key="k.pem", port=8443)
    assert config.base_url == "https://127.0.0.1:8443"
    from confiance.node.tls import client_context, server_context

    with pytest.raises(MalformedDocument, match="cannot use the TLS certificate"):
        server_context(config)
    with pytest.raises(MalformedDocument, match="cannot read the CA bundle"):
        client_context(load_config(tmp_path, env={}, peer_ca_bundle=str(tmp_path / "no.pem")))


async def test_gossip_over_https_trusts_the_bundle_and_nothing_else(tmp_path: Path) -> None:
    ca = trustme.CA()
    tls = issue(ca, tmp_path / "tls", "127.0.0.1")
    ports = free_ports(3)
    a = LiveNode(tmp_path / "a", ports[0], FAST, tls=tls)
    b = LiveNode(tmp_path / "b", ports[1], FAST, tls=tls)
    stranger = {**tls, "peer_ca_bundle": ""}  # system CAs only
    c = LiveNode(tmp_path / "c", ports[2], FAST, tls={k: v for k, v in stranger.items() if v})
    nodes = [a, b, c]
    for node in nodes:
        await node.start()
    try:
        assert a.url.startswith("https://")
        context: Any = trusting(tls["peer_ca_bundle"])
        async with aiohttp.ClientSession() as http:
            await peer(http, a, b, ssl=context)
            await peer(http, b, a, ssl=context)
            await peer(http, c, a, ssl=context)
        doc = Party(7).rating("did:example:tls", 5)
        assert await a.submit(doc)
        await wait_until(lambda: len(b.held()) == 1, 20, "the rating reaching b over https")
        link = c.gossip.links[a.url]
        await wait_until(lambda: link.last_error is not None, 20, "c failing to reach a")
        assert "certificate" in (link.last_error or "").lower()
        assert len(c.held()) == 0
    finally:
        for node in nodes:
            await node.stop()
        await asyncio.sleep(0)
