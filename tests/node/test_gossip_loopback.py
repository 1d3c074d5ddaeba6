"""Gossip between real nodes on distinct 127.0.0.1 ports (issue 4, loopback acceptance).

Eight nodes peered as a sparse graph (a ring with two chords), over real HTTP: assertions
injected at random nodes reach all; a node stopped and restarted catches up; a partition
heals with zero missing; a peer sending invalid assertions is dropped and nothing invalid
is stored anywhere. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from gossipauth import KeyServer, hello_bytes
from gossipnet import (
    LiveNode,
    free_ports,
    heal,
    partition,
    peer,
    sparse_edges,
    wait_until,
)
from nodehelpers import Party, now

from confiance.protocol.assertions import verify_assertion
from confiance.protocol.gossip import Ack, Ihave, Push, Want, encode_message, parse_message
from confiance.protocol.ids import digest_of

N = 8
EDGES = sparse_edges(N, extra=[(0, 4), (2, 6)])
TIMEOUT = 30.0


@pytest.fixture
async def net(tmp_path: Path, http: aiohttp.ClientSession) -> AsyncIterator[list[LiveNode]]:
    nodes = [LiveNode(tmp_path / f"n{i}", port) for i, port in enumerate(free_ports(N))]
    try:
        for node in nodes:
            await node.start()
        for a, b in EDGES:
            await peer(http, nodes[a], nodes[b])
            await peer(http, nodes[b], nodes[a])
        yield nodes
    finally:
        for node in nodes:
            await node.stop()


def docs(party: Party, n: int, tag: str) -> list[dict[str, Any]]:
    return [party.rating(f"did:key:z{tag}{i}", 1 + i % 5) for i in range(n)]


async def inject(http: aiohttp.ClientSession, node: LiveNode, doc: dict[str, Any]) -> None:
    async with http.post(node.url + "/assertions", json=doc) as resp:
        assert resp.status == 201, await resp.text()


async def gossip_call(http: aiohttp.ClientSession, target: LiveNode, body: bytes,
                      token: str | None) -> tuple[int, Any]:
    """One ``POST /gossip`` to ``target`` (in the session ``token``): status, message."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Confiance-Gossip-Session"] = token
    async with http.post(target.url + "/gossip", data=body, headers=headers) as resp:
        return resp.status, parse_message(await resp.read())


def everyone_holds(nodes: list[LiveNode], ids: set[bytes]) -> bool:
    return all(ids <= n.held() for n in nodes if n.running)


async def test_assertions_injected_at_random_nodes_reach_every_node(
        net: list[LiveNode], http: aiohttp.ClientSession) -> None:
    rng = random.Random(1)
    batch = docs(Party(1), 24, "a") + docs(Party(2), 16, "b")
    for doc in batch:
        await inject(http, rng.choice(net), doc)
    ids = {digest_of(d) for d in batch}
    await wait_until(lambda: everyone_holds(net, ids), TIMEOUT, "all nodes to hold all")
    received = sum(n.gossip.stats.payloads_received for n in net)
    assert received >= len(ids) * (N - 1)
    assert all(n.gossip.stats.invalid == 0 for n in net)


async def test_a_restarted_node_catches_up(net: list[LiveNode],
                                           http: aiohttp.ClientSession) -> None:
    first = docs(Party(3), 5, "c")
    for doc in first:
        await inject(http, net[0], doc)
    await wait_until(lambda: everyone_holds(net, {digest_of(d) for d in first}), TIMEOUT,
                     "first batch everywhere")
    victim = net[3]
    await victim.stop()
    missed = docs(Party(4), 12, "d")
    for i, doc in enumerate(missed):
        await inject(http, net[(i % 2) * 4 + 1], doc)  # nodes 1 and 5
    ids = {digest_of(d) for d in missed}
    await wait_until(lambda: everyone_holds(net, ids), TIMEOUT, "the others to converge")
    assert not ids & victim_held(victim)
    await victim.start()  # same data dir and port: peers and store come back from disk
    assert len(victim.gossip.links) == 2
    await wait_until(lambda: ids <= victim.held(), TIMEOUT, "the restarted node to catch up")


def victim_held(node: LiveNode) -> set[bytes]:
    return set() if not node.running else node.held()


async def test_a_partition_heals_with_zero_missing(net: list[LiveNode],
                                                   http: aiohttp.ClientSession) -> None:
    side_a, side_b = net[:4], net[4:]
    partition(side_a, side_b)  # every request across the cut fails, both ways
    left = docs(Party(5), 10, "e")
    right = docs(Party(6), 10, "f")
    for i, doc in enumerate(left):
        await inject(http, side_a[i % 4], doc)
    for i, doc in enumerate(right):
        await inject(http, side_b[i % 4], doc)
    left_ids, right_ids = {digest_of(d) for d in left}, {digest_of(d) for d in right}
    await wait_until(lambda: everyone_holds(side_a, left_ids), TIMEOUT, "side A to converge")
    await wait_until(lambda: everyone_holds(side_b, right_ids), TIMEOUT, "side B to converge")
    assert not any(left_ids & n.held() for n in side_b)
    assert not any(right_ids & n.held() for n in side_a)
    assert net[0].gossip.links[net[4].url].backoff.failures > 0
    heal(net)
    everything = left_ids | right_ids
    await wait_until(lambda: everyone_holds(net, everything), TIMEOUT, "the partition to heal")
    assert all(everything <= n.held() for n in net)


async def test_a_peer_sending_invalid_assertions_is_dropped(
        net: list[LiveNode], http: aiohttp.ClientSession) -> None:
    target = net[0]
    rogue = KeyServer(free_ports(1)[0])  # a recognised peer that is no node: it publishes
    await rogue.start()                  # its keys, so it can sign its hellos
    try:
        await _invalid_assertions_get_a_peer_dropped(net, http, target, rogue)
    finally:
        await rogue.stop()


async def _invalid_assertions_get_a_peer_dropped(
        net: list[LiveNode], http: aiohttp.ClientSession, target: LiveNode,
        rogue: KeyServer) -> None:
    rogue_url = rogue.url
    await peer(http, target, rogue)  # type: ignore[arg-type]
    good = docs(Party(7), 3, "g")
    tampered = []
    for doc in docs(Party(8), 6, "h"):
        doc = json.loads(json.dumps(doc))
        doc["credentialSubject"]["score"] = 5 if doc["credentialSubject"]["score"] != 5 else 1
        tampered.append(doc)

    def call(body: bytes, token: str | None) -> Any:
        return gossip_call(http, target, body, token)

    status, welcome = await call(hello_bytes(rogue_url, rogue.key, target.node.did), None)
    assert status == 200
    token = welcome.session
    status, ack = await call(encode_message(Push(assertions=tuple(good))), token)
    assert status == 200 and ack == Ack() and target.gossip.stats.first_deliveries >= 3
    status, answer = await call(encode_message(Push(assertions=tuple(tampered))), token)
    assert status == 200 and answer == Ack()  # refused one by one, each costing score
    # the peer is now dropped
    listing = await (await http.get(target.url + "/admin/peers",
                                    headers=target.admin_headers())).json()
    listed = next(p for p in listing["peers"] if p["url"] == rogue_url)
    assert listed["status"] == "dropped" and "invalid" in listed["droppedReason"]
    status, refusal = await call(hello_bytes(rogue_url, rogue.key, target.node.did), None)
    assert status == 403 and refusal.code == "peer-dropped"
    # the good ones spread; nothing invalid is stored anywhere
    await wait_until(lambda: everyone_holds(net, {digest_of(d) for d in good}), TIMEOUT,
                     "the good documents to spread")
    bad_ids = {digest_of(d) for d in tampered}
    for node in net:
        assert not bad_ids & node.held()
        for stored in await node.node.store.changes(0, 1000):
            verify_assertion(json.loads(stored.record.document), now=now(),
                             loader=node.node.loader)
    # an operator can reinstate it
    async with http.post(target.url + "/admin/peers/" + _quote(rogue_url) + "/reinstate",
                         headers=target.admin_headers()) as resp:
        assert resp.status == 200 and (await resp.json())["status"] == "good"


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


async def test_revocations_spread_and_erased_ids_are_not_brought_back(
        net: list[LiveNode], http: aiohttp.ClientSession) -> None:
    from confiance.protocol.ids import assertion_id

    alice = Party(9)
    doc = alice.rating("did:key:zRevoked", 2)
    kept = alice.rating("did:key:zErased", 3)
    await inject(http, net[0], doc)
    await inject(http, net[1], kept)
    ids = {digest_of(doc), digest_of(kept)}
    await wait_until(lambda: everyone_holds(net, ids), TIMEOUT, "both to spread")
    revocation = alice.revoke(assertion_id(doc))
    await inject(http, net[5], revocation)
    await wait_until(lambda: everyone_holds(net, {digest_of(revocation)}), TIMEOUT,
                     "the revocation to spread")
    for node in net:
        stored = await node.node.store.get(assertion_id(doc))
        assert stored is not None and stored.status(now()) == "revoked"
    # the issuer has `kept` erased at node 2: its peers still hold it, anti-entropy runs,
    # and node 2 never takes it back (the tombstone counts as held)
    erased = await net[2].node.store.erase(alice.did, [assertion_id(kept)], now=now())
    assert erased == [assertion_id(kept)]
    syncs = {url: link.syncs for url, link in net[2].gossip.links.items()}
    await wait_until(lambda: all(link.syncs >= syncs[url] + 2
                                 for url, link in net[2].gossip.links.items()),
                     TIMEOUT, "two anti-entropy rounds at node 2")
    assert await net[2].node.store.get(assertion_id(kept)) is None
    assert await net[2].node.store.tombstone(assertion_id(kept)) is not None


async def test_a_lost_prune_is_repeated_and_only_a_peer_ignoring_it_is_dropped(
        net: list[LiveNode], http: aiohttp.ClientSession) -> None:
    """A duplicate from a peer pruned in that tree prunes again (the prune rode on an
    answer that may have been lost) and costs nothing for ``request_timeout``; a peer that
    keeps pushing after that is flooding: throttled, then dropped."""
    target = net[0]
    rogue = KeyServer(free_ports(1)[0])
    await rogue.start()
    try:
        await peer(http, target, rogue)  # type: ignore[arg-type]

        def call(body: bytes, token: str | None) -> Any:
            return gossip_call(http, target, body, token)

        async def counters() -> dict[str, Any]:
            listing = await (await http.get(target.url + "/admin/peers",
                                            headers=target.admin_headers())).json()
            return next(p for p in listing["peers"] if p["url"] == rogue.url)

        _, welcome = await call(hello_bytes(rogue.url, rogue.key, target.node.did), None)
        token = welcome.session
        doc = docs(Party(9), 1, "p")[0]
        push = encode_message(Push(assertions=(doc,), roots=(rogue.url,)))
        assert (await call(push, token))[1] == Ack()  # first delivery: the rogue is eager
        assert (await call(push, token))[1] == Ack(prune=(rogue.url,))  # pruned
        for _ in range(80):  # an answer carrying the prune was lost: told again, no blame
            assert (await call(push, token))[1] == Ack(prune=(rogue.url,))
        listed = await counters()
        assert listed["status"] == "good" and listed["counters"]["duplicates"] == 0
        await asyncio.sleep(target.settings.request_timeout + 0.2)
        for _ in range(80):  # still pushing long after: a flood
            status, _ = await call(push, token)
            if status != 200:
                break
        listed = await counters()
        assert listed["status"] in ("throttled", "dropped")
        assert listed["counters"]["duplicates"] > 50 and status == 429
    finally:
        await rogue.stop()


async def test_nothing_is_sent_to_a_peer_known_to_hold_it(
        tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """A peer that announced an id (or pushed it) holds it: when the assertion turns up
    here, neither its payload nor its id is queued for that peer (under load a queued
    payload would often be a duplicate by the time it is sent); other ids are."""
    from gossipnet import FAST

    target = LiveNode(tmp_path / "t", free_ports(1)[0], replace(FAST, flush_interval=30.0))
    rogue = KeyServer(free_ports(1)[0])
    await target.start()
    await rogue.start()
    try:
        await peer(http, target, rogue)  # type: ignore[arg-type]
        _, welcome = await gossip_call(
            http, target, hello_bytes(rogue.url, rogue.key, target.node.did), None)
        held, other = docs(Party(7), 2, "h")
        announce = encode_message(Ihave(ids=(digest_of(held),), roots=(rogue.url,)))
        status, answer = await gossip_call(http, target, announce, welcome.session)
        assert status == 200 and isinstance(answer, Want)  # lacked here: a graft timer runs
        link = target.gossip.links[rogue.url]

        def queued() -> int:
            counts = target.gossip.peer_json(link)["queued"]
            return int(counts["push"] + counts["ihave"])

        assert await target.submit(held) and queued() == 0  # announced by the rogue
        assert await target.submit(other) and queued() == 1  # not: queued for it
    finally:
        await target.stop()
        await rogue.stop()


async def test_a_busy_event_loop_lengthens_the_gathering_before_a_visit(
        tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """A worker gathers ``flush_interval`` before a visit; when that wait ends late (the
    loop is busy), the next ones last ``flush_interval`` plus twice the smoothed lateness,
    never beyond ``ihave_interval``; waking early counts as no lag."""
    import time

    from gossipnet import FAST

    settings = replace(FAST, flush_interval=0.05, ihave_interval=0.5)
    target = LiveNode(tmp_path / "t", free_ports(1)[0], settings)
    rogue = KeyServer(free_ports(1)[0])
    await target.start()
    await rogue.start()
    try:
        await peer(http, target, rogue)  # type: ignore[arg-type]
        mesh = target.gossip.mesh
        assert mesh.gather_time() == pytest.approx(0.05)
        for doc in docs(Party(8), 20, "busy"):  # a push for the peer: its worker gathers
            assert await target.submit(doc)
            await asyncio.sleep(0.01)
            time.sleep(0.2)  # the loop is busy meanwhile: that gathering ends late
            if mesh.loop_lag > 0:
                break
        assert 0.05 < mesh.gather_time() < 0.5
        for _ in range(100):
            mesh.note_lag(10.0)
        assert mesh.gather_time() == pytest.approx(0.5)  # never past ihave_interval
        for _ in range(200):
            mesh.note_lag(-1.0)
        assert mesh.gather_time() == pytest.approx(0.05, abs=1e-6)
    finally:
        await target.stop()
        await rogue.stop()
