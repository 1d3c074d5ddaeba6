"""``confiance peers`` (offline, then against a running node) and peer filters end to end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from gossipauth import hello_bytes
from gossipnet import LiveNode, free_ports, peer, wait_until
from nodehelpers import Party
from nodehelpers import run_cli as run

from confiance.node.cli import main
from confiance.node.config import NodeConfig
from confiance.node.datadir import initialise_data_dir
from confiance.protocol.gossip import Ihave, encode_message, parse_message
from confiance.protocol.ids import digest_of


def test_peers_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "node"
    (port,) = free_ports(1)
    initialise_data_dir(NodeConfig(data_dir=data, port=port), now=datetime.now(UTC))
    d = ["--data-dir", str(data)]
    code, out, _ = run(capsys, "peers", "add", "https://Ratings.example/", "--name", "ratings",
                       "--kinds", "Rating", "TrustMark", *d)
    assert code == 0 and f"no node is running from {data}; it applies when the node starts" in out
    code, out, _ = run(capsys, "peers", "list", *d)
    assert code == 0 and "ratings" in out and "https://ratings.example" in out
    assert "kinds=Rating,TrustMark" in out
    code, out, _ = run(capsys, "peers", "list", "--json", *d)
    assert '"url": "https://ratings.example"' in out
    code, _, err = run(capsys, "peers", "add", "ftp://nope", *d)
    assert code == 2 and "peer URL" in err
    code, _, err = run(capsys, "peers", "add", "https://x.example", "--kinds", "A" * 3000, *d)
    assert code == 2
    code, out, _ = run(capsys, "peers", "remove", "ratings", *d)
    assert code == 0 and "removed" in out
    code, _, err = run(capsys, "peers", "remove", "ratings", *d)
    assert code == 2 and "no recognised peer" in err
    code, _, err = run(capsys, "peers", "list", "--data-dir", str(tmp_path / "none"))
    assert code == 2


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[LiveNode, LiveNode]]:
    a, b = (LiveNode(tmp_path / name, port) for name, port in zip("ab", free_ports(2),
                                                                   strict=True))
    await a.start()
    await b.start()
    try:
        yield a, b
    finally:
        await a.stop()
        await b.stop()


async def test_peers_command_applies_live(pair: tuple[LiveNode, LiveNode]) -> None:
    a, b = pair
    data = str(a.config.data_dir)

    def cli(*argv: str) -> int:
        return main(list(argv))

    assert await asyncio.to_thread(cli, "peers", "add", b.url, "--name", "bee",
                                   "--data-dir", data) == 0
    assert a.gossip.find("bee") is not None
    assert await asyncio.to_thread(cli, "peers", "list", "--data-dir", data) == 0
    assert await asyncio.to_thread(cli, "peers", "remove", "bee", "--data-dir", data) == 0
    assert a.gossip.find("bee") is None and a.gossip.links == {}
    assert await asyncio.to_thread(cli, "peers", "remove", "bee", "--data-dir", data) == 2


async def test_filters_limit_what_is_exchanged(pair: tuple[LiveNode, LiveNode]) -> None:
    a, b = pair
    async with aiohttp.ClientSession() as http:
        # a exchanges only TrustMarks with b; b exchanges everything with a
        async with http.post(a.url + "/admin/peers", headers=a.admin_headers(),
                             json={"url": b.url, "filters": {"kinds": ["TrustMark"]}}) as r:
            assert r.status == 201
        await peer(http, b, a)
        alice = Party(1)
        mark, rating = alice.mark("did:key:zBob"), alice.rating("did:key:zBob")
        assert await b.submit(mark) and await b.submit(rating)
        await wait_until(lambda: digest_of(mark) in a.held(), 20, "the mark to reach a")
        await asyncio.sleep(1.5)  # a full anti-entropy period
        assert digest_of(rating) not in a.held()
        assert a.gossip.stats.filtered >= 1


async def test_garbage_from_a_recognised_peer_gets_it_dropped(
        pair: tuple[LiveNode, LiveNode]) -> None:
    a, b = pair
    async with aiohttp.ClientSession() as http:
        await peer(http, a, b)
        drops = 0
        for _ in range(6):
            hello = hello_bytes(b.url, b.node.keyring.signer, a.node.did)
            async with http.post(a.url + "/gossip", data=hello,
                                 headers={"Content-Type": "application/json"}) as r:
                welcome = parse_message(await r.read())
                if r.status == 403:
                    drops += 1
                    break
            token = welcome.session  # type: ignore[attr-defined]
            headers = {"Content-Type": "application/json", "Confiance-Gossip-Session": token}
            async with http.post(a.url + "/gossip", data=b'{"type":"ihave","ids":[]}',
                                 headers=headers) as r:
                assert r.status == 400
                assert parse_message(await r.read()).code == "gossip-protocol-error"  # type: ignore[attr-defined]
            async with http.post(a.url + "/gossip", headers=headers,
                                 data=encode_message(Ihave(ids=(b"\x01" * 32,)))) as r:
                assert r.status == 404  # the session ended with the error
        assert drops == 1
        assert a.gossip.status_of(a.gossip.links[b.url]) == "dropped"
        async with http.post(a.url + "/gossip", data=b"x" * 10,
                             headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 415
