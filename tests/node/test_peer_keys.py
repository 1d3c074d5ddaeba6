"""The did:web keys of recognised peers, over real loopback HTTP (issue 4: a site's own
trust marks federate).

A issues a TrustMark with its did:web key; B, which recognises A, gets it by gossip and
stores it as valid; A rotates its key and issues again: B accepts that too, and refuses a
proof by the retired key dated after the retirement. A forged document in A's name is
refused everywhere. A peer whose DID document names another DID is refused, and keys once
seen are pinned. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from gossipauth import KeyServer, hello_bytes
from gossipnet import FAST, LiveNode, free_ports, peer, wait_until
from nodehelpers import now

from confiance.node.keyring import NodeKey
from confiance.protocol.assertions import verify_assertion
from confiance.protocol.gossip import Push, encode_message, parse_message
from confiance.protocol.ids import digest_of
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import TrustMark, to_credential
from confiance.protocol.signing import sign

TIMEOUT = 30.0
SETTINGS = replace(FAST, key_refresh_min=0.2)


def mark_body(subject: str) -> dict[str, Any]:
    return {"kind": "TrustMark", "credentialSubject": {
        "id": subject, "trustContext": "seller", "mark": {"id": "https://marks.test/top"},
        "status": "Top seller"}}


def mark_by(issuer: str, subject: str) -> TrustMark:
    return TrustMark(issuer=issuer, context="seller", valid_from=now() - timedelta(minutes=1),
                     subject=subject, mark="https://marks.test/top", status="Top seller")


async def problem(http: aiohttp.ClientSession, node_url: str, doc: dict[str, Any]
                  ) -> tuple[int, str]:
    """POST /assertions: (status, problem slug or "")."""
    async with http.post(node_url + "/assertions", json=doc) as resp:
        body = await resp.json(content_type=None)
        return resp.status, str(body.get("type", "")).rsplit("/", 1)[-1]


async def peers_of(http: aiohttp.ClientSession, node: LiveNode) -> dict[str, Any]:
    async with http.get(node.url + "/admin/peers", headers=node.admin_headers()) as resp:
        assert resp.status == 200
        return {p["url"]: p for p in (await resp.json())["peers"]}


@pytest.fixture
async def net(tmp_path: Path, http: aiohttp.ClientSession) -> AsyncIterator[list[LiveNode]]:
    """A <-> B <-> C; D recognises A (A does not recognise D); C does not recognise A."""
    nodes = [LiveNode(tmp_path / name, port, SETTINGS)
             for name, port in zip("abcd", free_ports(4), strict=True)]
    a, b, c, d = nodes
    try:
        for node in nodes:
            await node.start()
        for x, y in ((a, b), (b, a), (b, c), (c, b), (d, a)):
            await peer(http, x, y)
        yield nodes
    finally:
        for node in nodes:
            await node.stop()


async def issue(http: aiohttp.ClientSession, node: LiveNode, subject: str) -> dict[str, Any]:
    async with http.post(node.url + "/admin/issue", json=mark_body(subject),
                         headers=node.admin_headers()) as resp:
        assert resp.status == 201, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]


async def status_at(node: LiveNode, content_id: str) -> str | None:
    stored = await node.node.store.get(content_id)
    return None if stored is None else stored.status(now())


async def test_node_issued_marks_federate_across_a_key_rotation(
        net: list[LiveNode], http: aiohttp.ClientSession) -> None:
    a, b, c, d = net
    first = await issue(http, a, "did:key:zShopOne")
    doc1 = first["document"]
    assert doc1["issuer"] == a.node.did
    assert doc1["proof"]["verificationMethod"] == a.node.did + "#key-1"
    # B recognises A: it fetches A's keys, stores the mark as valid
    await wait_until(lambda: digest_of(doc1) in b.held(), TIMEOUT, "B to receive A's mark")
    assert await status_at(b, first["id"]) == "valid"
    # C does not recognise A: set aside without blaming B, never stored
    await wait_until(lambda: c.gossip.stats.deferred >= 1, TIMEOUT, "C to set it aside")
    assert await c.node.store.get(first["id"]) is None
    assert c.gossip.stats.invalid == 0 and c.gossip.scores[b.url].invalid == 0
    assert await problem(http, c.url, doc1) == (422, "unknown-did-web-issuer")
    # D recognises A (A does not recognise D): POST /assertions resolves A's keys too
    assert await problem(http, d.url, doc1) == (201, "")
    listed = (await peers_of(http, b))[a.url]
    assert listed["did"] == a.node.did and listed["keys"]["status"] == "ok"
    assert [k["id"] for k in listed["keys"]["keys"]] == [a.node.did + "#key-1"]

    # A rotates; the retired key's secret is gone from A, but someone kept a copy
    stolen = KeyPair.from_json(json.loads(
        (a.config.keys_dir / "key-1.secret.json").read_text()))
    async with http.post(a.url + "/admin/rotate-key", headers=a.admin_headers()) as resp:
        assert resp.status == 201
    second = await issue(http, a, "did:key:zShopTwo")
    doc2 = second["document"]
    assert doc2["proof"]["verificationMethod"] == a.node.did + "#key-2"
    await wait_until(lambda: digest_of(doc2) in b.held(), TIMEOUT, "B to receive the 2nd")
    assert await status_at(b, second["id"]) == "valid"
    # signed before the rotation: still valid, and still verifies with B's resolver
    assert await status_at(b, first["id"]) == "valid"
    assert verify_assertion(doc1, now=now(), loader=b.node.loader,
                            key_resolver=b.node.keyring.resolve).id == first["id"]
    keys = {k["id"]: k for k in (await peers_of(http, b))[a.url]["keys"]["keys"]}
    assert "validUntil" in keys[a.node.did + "#key-1"]
    assert "validUntil" not in keys[a.node.did + "#key-2"]

    # signed with the retired key after its retirement: refused (D refreshes on demand:
    # the proof is newer than the keys it holds). D may have fetched A's keys a moment ago
    # (gossip sessions refresh them), and fetches at most once per key_refresh_min: wait
    # that out so that the on-demand refresh is allowed, whatever the timing of gossip.
    await asyncio.sleep(SETTINGS.key_refresh_min * 1.5)
    late = sign(to_credential(mark_by(a.node.did, "did:key:zLate")),
                NodeKey(stolen, a.node.did + "#key-1"), created=now(), loader=a.node.loader)
    for node in (b, d):
        assert await problem(http, node.url, late) == (422, "unresolvable-key")
    # a forgery in A's name, signed by another key under A's current key id: refused
    # everywhere, by HTTP and by gossip
    forged = sign(to_credential(mark_by(a.node.did, "did:key:zForged")),
                  NodeKey(KeyPair.generate(), a.node.did + "#key-2"), created=now(),
                  loader=a.node.loader)
    assert await problem(http, a.url, forged) == (422, "invalid-proof")
    assert await problem(http, b.url, forged) == (422, "invalid-proof")
    assert await problem(http, c.url, forged) == (422, "unknown-did-web-issuer")
    assert await problem(http, d.url, forged) == (422, "invalid-proof")
    invalid_before = b.gossip.stats.invalid
    async with http.post(b.url + "/gossip", data=hello_bytes(
            a.url, a.node.keyring.signer, b.node.did),
                         headers={"Content-Type": "application/json"}) as resp:
        token = parse_message(await resp.read()).session  # type: ignore[union-attr]
    async with http.post(b.url + "/gossip", data=encode_message(Push(assertions=(forged,))),
                         headers={"Content-Type": "application/json",
                                  "Confiance-Gossip-Session": token}) as resp:
        assert resp.status == 200
    assert b.gossip.stats.invalid == invalid_before + 1
    bad = {digest_of(late), digest_of(forged)}
    for node in net:
        assert not bad & node.held()
        for stored in await node.node.store.changes(0, 1000):
            verify_assertion(json.loads(stored.record.document), now=now(),
                             loader=node.node.loader, key_resolver=node.node.keyring.resolve)


class FakePeer(KeyServer):
    """A web server that plays a peer's discovery documents (and nothing else)."""

    def mark(self, subject: str, key: KeyPair | None = None) -> dict[str, Any]:
        return sign(to_credential(mark_by(self.did, subject)),
                    NodeKey(key or self.signing, self.did + "#key-1"), created=now())


async def test_a_did_document_for_another_did_is_refused_and_keys_are_pinned(
        tmp_path: Path, http: aiohttp.ClientSession) -> None:
    node_port, fake_port = free_ports(2)
    fake = FakePeer(fake_port)
    fake.did_doc = fake.document("did:web:elsewhere.example")  # not the URL's did:web
    node = LiveNode(tmp_path / "b", node_port, SETTINGS)
    await fake.start()
    await node.start()
    try:
        await peer(http, node, fake)  # type: ignore[arg-type]
        one = fake.mark("did:key:zOne")
        assert await problem(http, node.url, one) == (422, "peer-keys-unavailable")
        keys = (await peers_of(http, node))[fake.url]["keys"]
        assert keys["status"] == "unavailable" and "elsewhere.example" in keys["error"]
        # the server is fixed: accepted once key_refresh_min has passed
        fake.did_doc = fake.document(fake.did)
        await asyncio.sleep(SETTINGS.key_refresh_min * 1.5)
        assert await problem(http, node.url, one) == (201, "")
        # the server now swaps key-1 for another key: refused, the pinned key stays in use
        other = KeyPair.generate()
        fake.did_doc = fake.document(fake.did, signing=other)
        await asyncio.sleep(SETTINGS.key_refresh_min * 1.5)
        before = node.gossip.keys.fetches
        assert await problem(http, node.url, fake.mark("did:key:zTwo")) == (201, "")
        assert node.gossip.keys.fetches == before + 1  # newer than the keys: refetched
        assert await problem(http, node.url, fake.mark("did:key:zThree", other)) == (
            422, "invalid-proof")
        keys = (await peers_of(http, node))[fake.url]["keys"]
        assert keys["status"] == "stale" and "pinned" in keys["error"]
        # a did:web that is not a recognised peer keeps its specific problem
        stranger = sign(to_credential(mark_by("did:web:stranger.example", "did:key:zS")),
                        NodeKey(other, "did:web:stranger.example#key-1"), created=now())
        assert await problem(http, node.url, stranger) == (422, "unknown-did-web-issuer")
        # removing the peer forgets its keys
        async with http.delete(node.url + "/admin/peers/" + fake.url.replace(
                "/", "%2F").replace(":", "%3A"), headers=node.admin_headers()) as resp:
            assert resp.status == 204
        assert await problem(http, node.url, fake.mark("did:key:zFour")) == (
            422, "unknown-did-web-issuer")
    finally:
        await node.stop()
        await fake.stop()


async def test_keys_of_a_plain_http_peer_off_loopback_are_not_fetched(
        tmp_path: Path, http: aiohttp.ClientSession) -> None:
    node = LiveNode(tmp_path / "b", free_ports(1)[0], SETTINGS)
    await node.start()
    try:
        async with http.post(node.url + "/admin/peers", json={"url": "http://peer.invalid"},
                             headers=node.admin_headers()) as resp:
            assert resp.status == 201
        link = node.gossip.links["http://peer.invalid"]
        await node.gossip.keys.refresh(link, force=True)
        keys = (await peers_of(http, node))["http://peer.invalid"]["keys"]
        assert keys["status"] == "unavailable" and "https" in keys["error"]
    finally:
        await node.stop()
