"""GET /trust on a running node: fed by the store at start-up and by every new assertion."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient
from nodehelpers import Factory, Party, node_of, now

from confiance.node.config import NodeConfig
from confiance.node.routes.trust import TRUST_WORKER
from confiance.protocol.ids import assertion_id
from confiance.protocol.model import Recognition, Scale
from confiance.protocol.rules import CategoricalRule

Client = TestClient[Any, Any]
LD = {"Content-Type": "application/ld+json"}


async def post(client: Client, doc: dict[str, Any]) -> str:
    response = await client.post("/assertions", data=json.dumps(doc), headers=LD)
    assert response.status == 201, await response.text()
    return assertion_id(doc)


async def trust(client: Client, **params: str) -> tuple[int, dict[str, Any]]:
    response = await client.get("/trust?" + urlencode(params))
    return response.status, await response.json(content_type=None)


async def test_trust_follows_ratings_and_revocations(client: Client, alice: Party, bob: Party,
                                                     carol: Party) -> None:
    first = await post(client, alice.rating(bob.did, 5))
    second = await post(client, bob.rating(carol.did, 4))
    status, body = await trust(client, **{"from": alice.did, "to": carol.did,
                                          "context": "seller"})
    assert status == 200, body
    assert body["algorithm"] == "moletrust" and body["value"] == 0.75
    assert body["score"] == 4.0 and body["scale"] == {"minimum": 1, "maximum": 5}
    assert [h["assertion"] for h in body["paths"][0]["hops"]] == [first, second]
    await post(client, alice.revoke(first))
    status, body = await trust(client, **{"from": alice.did, "to": carol.did})
    assert status == 200 and body["value"] is None and body["context"] == "seller"


async def test_a_recognition_reads_another_sites_mark(client: Client, alice: Party,
                                                      bob: Party, carol: Party) -> None:
    mark_id = await post(client, alice.mark(carol.did, "Top seller"))
    rule = CategoricalRule(mapping=(("top seller", 0.9),))
    rec = bob.sign(Recognition(issuer=bob.did, context="seller", recognised=alice.did,
                               rule=rule, mark="https://marks.test/top",
                               scale=Scale(minimum=0, maximum=1),
                               valid_from=now() - timedelta(minutes=1)))
    rec_id = await post(client, rec)
    status, body = await trust(client, **{"from": bob.did, "to": carol.did,
                                          "algorithm": "tidaltrust"})
    assert status == 200 and body["score"] == 0.9
    hop = body["paths"][0]["hops"][1]
    assert hop["assertion"] == mark_id and hop["recognition"] == rec_id
    assert "“top seller” is 0.9" in hop["rule"]
    status, body = await trust(client, **{"from": alice.did, "to": bob.did})
    assert status == 200 and body["value"] is None  # unilateral


async def test_bad_queries_are_problems(client: Client, alice: Party, bob: Party) -> None:
    await post(client, alice.rating(bob.did, 5))
    response = await client.get("/trust?from=x")
    assert response.status == 400
    problem = await response.json(content_type=None)
    assert problem["type"].endswith("/invalid-parameter") and "'to'" in problem["detail"]
    status, problem = await trust(client, **{"from": alice.did, "to": bob.did,
                                             "algorithm": "magic"})
    assert status == 400 and "unknown algorithm" in problem["detail"]
    status, problem = await trust(client, **{"from": alice.did, "to": bob.did,
                                             "level": "high"})
    assert status == 400


async def test_the_engine_is_filled_from_the_store_and_follows_erasure(
        make_client: Factory, config: NodeConfig, alice: Party, bob: Party) -> None:
    first = await make_client(config)
    await post(first, alice.rating(bob.did, 5))
    await first.close()
    second = await make_client(config)
    status, body = await trust(second, **{"from": alice.did, "to": bob.did})
    assert status == 200 and body["value"] == 1.0
    await node_of(second).ingestor.erase(alice.did, None)
    worker = second.server.app[TRUST_WORKER]
    await worker.drain()
    assert worker.engine.graph.contexts == ()
