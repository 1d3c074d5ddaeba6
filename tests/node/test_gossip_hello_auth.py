"""A gossip hello must be signed by the recognised peer it names (issue 4, known gap closed).

Two real nodes on loopback recognise each other. Honest hellos (the nodes' own, and one
made by hand with B's key) open sessions and gossip flows. Hellos in B's name that are
unsigned, signed by another key, replayed, stale, made for another node, or signed by a key
of another DID are refused with 401 ``hello-not-authenticated`` (problem+json with
``WWW-Authenticate``), and B's standing at A does not change. Every wait is bounded.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from gossipauth import hello_bytes
from gossipnet import LiveNode, free_ports, peer, wait_until
from nodehelpers import Party, now

from confiance.node.keyring import NodeKey
from confiance.protocol.gossip import Hello, Welcome, encode_message, parse_message
from confiance.protocol.ids import digest_of
from confiance.protocol.keys import KeyPair

TIMEOUT = 30.0
PROBLEM = "https://w3id.org/confiance/problems/hello-not-authenticated"


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[LiveNode, LiveNode]]:
    a, b = (LiveNode(tmp_path / name, port) for name, port in zip("ab", free_ports(2),
                                                                   strict=True))
    await a.start()
    await b.start()
    try:
        async with aiohttp.ClientSession() as http:
            await peer(http, a, b)
            await peer(http, b, a)
        yield a, b
    finally:
        await a.stop()
        await b.stop()


async def post_hello(http: aiohttp.ClientSession, node: LiveNode, body: bytes
                     ) -> tuple[int, str, Any, str | None]:
    """(status, content type, parsed body, WWW-Authenticate)."""
    async with http.post(node.url + "/gossip", data=body,
                         headers={"Content-Type": "application/json"}) as resp:
        raw = await resp.read()
        parsed = parse_message(raw) if resp.content_type == "application/json" else (
            await resp.json(content_type=None))
        return resp.status, resp.content_type, parsed, resp.headers.get("WWW-Authenticate")


def standing(node: LiveNode, url: str) -> tuple[str, dict[str, Any]]:
    data = node.gossip.peer_json(node.gossip.links[url])
    return data["status"], data["counters"]


async def test_nodes_that_recognise_each_other_gossip_with_signed_hellos(
        pair: tuple[LiveNode, LiveNode]) -> None:
    a, b = pair
    doc = Party(5).rating("did:key:zHonest", 4)
    assert await a.submit(doc)
    await wait_until(lambda: digest_of(doc) in b.held(), TIMEOUT, "the rating to reach b")
    assert a.gossip.stats.hellos_refused == 0 and b.gossip.stats.hellos_refused == 0


async def test_spoofed_hellos_are_refused_and_do_not_cost_the_peer(
        pair: tuple[LiveNode, LiveNode]) -> None:
    a, b = pair
    b_key = b.node.keyring.signer
    await wait_until(lambda: a.gossip.keys.cache.keys(b.node.did) is not None, TIMEOUT,
                     "a to hold b's keys")
    before = standing(a, b.url)
    assert before[0] == "good"
    forger = NodeKey(KeyPair.generate(), b_key.verification_method)  # b's key id, not b's key
    stranger = Party(6).key  # a did:key, not b's DID
    replayed = hello_bytes(b.url, b_key, a.node.did)
    spoofed = {
        "unsigned": encode_message(Hello(node=b.url)),
        "another key": hello_bytes(b.url, forger, a.node.did),
        "a key of another DID": hello_bytes(b.url, stranger, a.node.did),
        "stale": hello_bytes(b.url, b_key, a.node.did, created=now() - timedelta(seconds=120)),
        "from the future": hello_bytes(b.url, b_key, a.node.did,
                                       created=now() + timedelta(seconds=120)),
        "for another node": hello_bytes(b.url, b_key, b.node.did),
        "unknown key id": hello_bytes(b.url, NodeKey(b_key, b.node.did + "#key-9"),
                                      a.node.did),
    }
    async with aiohttp.ClientSession() as http:
        status, _, welcome, _ = await post_hello(http, a, replayed)  # honest: accepted
        assert status == 200 and isinstance(welcome, Welcome)
        refused = a.gossip.stats.hellos_refused
        for what, body in [*spoofed.items(), ("replayed", replayed)]:
            status, ctype, problem, challenge = await post_hello(http, a, body)
            assert (status, ctype) == (401, "application/problem+json"), what
            assert problem["type"] == PROBLEM, what
            assert challenge is not None and challenge.startswith("Confiance-Gossip"), what
        assert a.gossip.stats.hellos_refused == refused + len(spoofed) + 1
        # a tampered signed hello (filters changed after signing) is refused too
        signed = parse_message(hello_bytes(b.url, b_key, a.node.did))
        tampered = encode_message(Hello(node=b.url, proof=signed.proof,  # type: ignore[attr-defined]
                                        filters=Hello(node="x").filters.__class__(
                                            kinds=("Rating",))))
        status, _, problem, _ = await post_hello(http, a, tampered)
        assert status == 401 and problem["reason"] == "bad-signature"
        # B's standing at A is untouched, and a fresh honest hello still works
        assert standing(a, b.url) == before
        status, _, welcome, _ = await post_hello(
            http, a, hello_bytes(b.url, b_key, a.node.did, nonce=os.urandom(32)))
        assert status == 200 and isinstance(welcome, Welcome)
    # and the nodes still gossip with each other
    doc = Party(7).rating("did:key:zAfter", 3)
    assert await b.submit(doc)
    await wait_until(lambda: digest_of(doc) in a.held(), TIMEOUT, "the rating to reach a")
