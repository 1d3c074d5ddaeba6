"""Erasures travel (issue 4, issue 3 point 6): the issuer's signed erasure request, kept as
an erasure notice, reaches every node over gossip; every node drops the body and keeps the
tombstone; a stale node cannot bring the assertion back; a forged notice is refused and
costs its sender."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from gossipauth import KeyServer, signed_hello
from gossipnet import LiveNode, free_ports, peer, wait_until
from nodehelpers import Party, now

from confiance.node.erasures import make_notice, verify_notice
from confiance.node.subjectauth import make_subject_request
from confiance.protocol.errors import ConfianceError
from confiance.protocol.gossip import Push, encode_message, parse_message
from confiance.protocol.ids import assertion_id, digest_of, parse_assertion_id

N = 4  # a ring: 0-1-2-3-0
TIMEOUT = 30.0


@pytest.fixture
async def net(tmp_path: Path, http: aiohttp.ClientSession) -> AsyncIterator[list[LiveNode]]:
    nodes = [LiveNode(tmp_path / f"n{i}", port) for i, port in enumerate(free_ports(N))]
    try:
        for node in nodes:
            await node.start()
        for i in range(N):
            await peer(http, nodes[i], nodes[(i + 1) % N])
            await peer(http, nodes[(i + 1) % N], nodes[i])
        yield nodes
    finally:
        for node in nodes:
            await node.stop()


async def inject(http: aiohttp.ClientSession, node: LiveNode, doc: dict[str, Any]) -> None:
    async with http.post(node.url + "/assertions", json=doc) as resp:
        assert resp.status == 201, await resp.text()


async def erase(http: aiohttp.ClientSession, node: LiveNode, party: Party,
                ids: list[str]) -> dict[str, Any]:
    path = f"/subjects/{party.did}/erasure"
    body = json.dumps({"ids": ids}).encode()
    header = make_subject_request(party.key, audience=node.node.did, method="POST", path=path,
                                  body=body, created=now())
    async with http.post(node.url + f"/subjects/{quote(party.did, safe='')}/erasure",
                         data=body, headers={"Content-Type": "application/json",
                                             "Authorization": header}) as resp:
        assert resp.status == 200, await resp.text()
        return dict(await resp.json())


async def erased_at(node: LiveNode, aid: str) -> bool:
    store = node.node.store
    return await store.get(aid) is None and await store.tombstone(aid) is not None


async def all_erased(nodes: list[LiveNode], aid: str) -> bool:
    return all([await erased_at(n, aid) for n in nodes])


async def test_an_erasure_reaches_every_node_and_a_stale_node_cannot_resurrect(
        net: list[LiveNode], http: aiohttp.ClientSession) -> None:
    alice = Party(21)
    gone, kept = alice.rating("did:key:zGone", 2), alice.rating("did:key:zKept", 4)
    await inject(http, net[0], gone)
    await inject(http, net[2], kept)
    ids = {digest_of(gone), digest_of(kept)}
    await wait_until(lambda: all(ids <= n.held() for n in net), TIMEOUT, "both to spread")
    stale = net[3]
    await stale.stop()  # it holds `gone`, and will wake up after the erasure
    aid = assertion_id(gone)
    answer = await erase(http, net[1], alice, [aid])
    assert answer["erased"] == [aid]
    await wait_until(lambda: all_erased(net[:3], aid), TIMEOUT, "the erasure to spread")
    for node in net[:3]:  # every live node keeps the notice; it holds no erased content
        notices = await node.node.store.erasures(0, 10)
        assert len(notices) == 1
        (_, document), = await node.node.store.erasure_documents([notices[0][1]])
        assert json.dumps(gone["credentialSubject"]).encode() not in document
        assert await node.node.store.get(assertion_id(kept)) is not None
    # the stale node restarts holding `gone`, pushes it around; nobody takes it back and it
    # learns the erasure by anti-entropy
    await stale.start()
    assert await stale.node.store.get(aid) is not None  # from before the erasure
    await wait_until(lambda: erased_at(stale, aid), TIMEOUT, "the stale node to erase")
    for node in net:
        syncs = {url: link.syncs for url, link in node.gossip.links.items()}
        await wait_until(lambda n=node, s=syncs: all(  # type: ignore[misc]
            link.syncs >= s[url] + 1 for url, link in n.gossip.links.items()),
            TIMEOUT, "one more anti-entropy round everywhere")
    assert await all_erased(net, aid)
    async with http.post(net[0].url + "/assertions", json=gone) as resp:
        assert resp.status == 410


async def test_a_forged_erasure_notice_is_refused_and_costs_the_sender(
        net: list[LiveNode], http: aiohttp.ClientSession) -> None:
    alice, mallory = Party(22), Party(23)
    target = net[0]
    doc = alice.rating("did:key:zVictim", 5)
    await inject(http, target, doc)
    aid = assertion_id(doc)
    # Mallory signs a perfectly valid erasure request of her own, naming alice's assertion
    path = f"/subjects/{mallory.did}/erasure"
    body = json.dumps({"ids": [aid]}).encode()
    header = make_subject_request(mallory.key, audience=target.node.did, method="POST",
                                  path=path, body=body, created=now())
    request = json.loads(_b64(header.split(" ", 1)[1]))
    forged = make_notice(request, body, [aid])
    verify_notice(forged, loader=target.node.loader, limits=target.node.limits)  # well-formed
    tampered = make_notice(request, body, [aid])
    tampered["request"]["holder"] = alice.did  # claims alice's DID: the proof breaks
    tampered["request"]["requestPath"] = f"/subjects/{alice.did}/erasure"
    with pytest.raises(ConfianceError):
        verify_notice(tampered, loader=target.node.loader, limits=target.node.limits)

    rogue = KeyServer(free_ports(1)[0])  # recognised by the target; it signs its hellos
    await rogue.start()
    rogue_url = rogue.url
    async with http.post(target.url + "/admin/peers", json={"url": rogue_url},
                         headers=target.admin_headers()) as resp:
        assert resp.status == 201

    async def call(message: Any, token: str | None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Confiance-Gossip-Session"] = token
        async with http.post(target.url + "/gossip", data=encode_message(message),
                             headers=headers) as resp:
            return resp.status, parse_message(await resp.read())

    status, welcome = await call(signed_hello(rogue_url, rogue.key, target.node.did), None)
    await rogue.stop()
    assert status == 200
    before = target.gossip.stats.invalid
    status, _ = await call(Push(assertions=(forged, tampered)), welcome.session)
    assert status == 200
    assert target.gossip.stats.invalid == before + 2
    score = target.gossip.scores[rogue_url].score(target.gossip.clock())
    assert score < 0
    assert await target.node.store.get(aid) is not None  # alice's assertion stays
    assert await target.node.store.tombstone(aid) is None
    assert await target.node.store.erasures(0, 10) == []
    assert not target.gossip.catalog.is_tombstoned(parse_assertion_id(aid))


def _b64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_an_erasure_of_everything_travels_even_from_a_node_that_held_nothing(
        net: list[LiveNode], http: aiohttp.ClientSession) -> None:
    carol = Party(24)
    docs = [carol.rating("did:key:zOne", 3), carol.rating("did:key:zTwo", 5)]
    for i, doc in enumerate(docs):
        await inject(http, net[i], doc)
    ids = {digest_of(doc) for doc in docs}
    await wait_until(lambda: all(ids <= n.held() for n in net), TIMEOUT, "both to spread")
    # Carol asked a node outside the ring, which held nothing of hers, to erase everything;
    # its notice (listing nothing) reaches the ring at net[2].
    body = json.dumps({"all": True}).encode()
    header = make_subject_request(carol.key, audience="did:web:outside.example",
                                  method="POST", path=f"/subjects/{carol.did}/erasure",
                                  body=body, created=now())
    notice = make_notice(json.loads(_b64(header.split(" ", 1)[1])), body, [])
    assert await net[2].node.ingestor.apply_notice(notice)
    aids = [assertion_id(doc) for doc in docs]
    await wait_until(lambda: all_erased_many(net, aids), TIMEOUT, "everything to be erased")
    async with http.post(net[0].url + "/assertions", json=docs[0]) as resp:
        assert resp.status == 410


async def all_erased_many(nodes: list[LiveNode], aids: list[str]) -> bool:
    return all([await erased_at(n, aid) for n in nodes for aid in aids])
