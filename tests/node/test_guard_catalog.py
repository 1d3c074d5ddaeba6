"""A peer with filters reconciles over a filtered view of the catalogue (issue 14).

The view is built at the peer's first reconciliation and then kept current: it must take
in every new assertion that matches the filters, every new tombstone and erasure notice
(whatever they are about: a filtered peer must still learn erasures), and leave out every
other new assertion. Otherwise a peer with filters drifts out of step for good. Observed as
the peer observes it: what a reconciliation from an empty set offers, over real gossip.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from fakepeer import REQUEST_LOADER, FakePeer, node_and_peer, quoted
from gossipnet import LiveNode
from nodehelpers import Party, now

from confiance.node.subjectauth import make_subject_request
from confiance.protocol.gossip import Filters
from confiance.protocol.ids import assertion_id, parse_assertion_id

SELLER = Filters(contexts=("seller",))


async def _post(http: aiohttp.ClientSession, node: LiveNode, doc: dict[str, Any]) -> bytes:
    async with http.post(node.url + "/assertions", json=doc) as resp:
        assert resp.status == 201, await resp.text()
    return parse_assertion_id(assertion_id(doc))


async def _erase(http: aiohttp.ClientSession, node: LiveNode, party: Party, digest: bytes,
                 doc: dict[str, Any]) -> None:
    path = f"/subjects/{party.did}/erasure"
    body = json.dumps({"ids": [assertion_id(doc)]}).encode()
    authorization = make_subject_request(party.key, audience=node.node.did, method="POST",
                                         path=path, body=body, created=now(),
                                         loader=REQUEST_LOADER)
    async with http.post(f"{node.url}/subjects/{quoted(party.did)}/erasure", data=body,
                         headers={"Content-Type": "application/json",
                                  "Authorization": authorization}) as resp:
        assert resp.status == 200, await resp.text()


async def test_a_filtered_view_built_first_keeps_up(tmp_path: Path,
                                                    http: aiohttp.ClientSession) -> None:
    alice, bob = Party(51), Party(52)
    async with node_and_peer(tmp_path, http, SELLER) as (node, peer):
        old_seller = await _post(http, node, alice.rating("did:key:zA", 4))
        courier_doc = alice.rating("did:key:zB", 2, context="courier")
        old_courier = await _post(http, node, courier_doc)
        assert await peer.reconcile_all() == {old_seller}  # the view is built now

        new_seller = await _post(http, node, bob.rating("did:key:zC", 5))
        new_courier = await _post(http, node, bob.rating("did:key:zD", 1, context="courier"))
        mark = await _post(http, node, bob.mark("did:key:zE", context="courier"))
        await _erase(http, node, alice, old_courier, courier_doc)  # a tombstone and a notice

        offered = await peer.reconcile_all()
        assert new_courier not in offered and mark not in offered
        assert {old_seller, new_seller, old_courier} <= offered  # the tombstone included
        (notice,) = offered - {old_seller, new_seller, old_courier}
        (document,) = await peer.fetch({notice})
        assert document["type"] == "Erasure" and document["erased"] == [
            assertion_id(courier_doc)]

        # and a view built only now, for equivalent filters, holds exactly the same ids
        fresh = FakePeer(http, node)
        await fresh.open(Filters(contexts=("seller",), kinds=("Rating",)))
        assert await fresh.reconcile_all() == offered


async def test_without_filters_everything_is_offered(tmp_path: Path,
                                                     http: aiohttp.ClientSession) -> None:
    alice = Party(53)
    async with node_and_peer(tmp_path, http) as (node, peer):
        ids = {await _post(http, node, alice.rating("did:key:zA", 4)),
               await _post(http, node, alice.rating("did:key:zB", 2, context="courier"))}
        assert await peer.reconcile_all() == ids
        ids.add(await _post(http, node, alice.mark("did:key:zC", context="courier")))
        assert await peer.reconcile_all() == ids
