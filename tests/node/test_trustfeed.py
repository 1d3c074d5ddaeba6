"""The trust engine is fed every held assertion, then each new one, and told of erasures."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient
from nodehelpers import NODE_DID, Party, node_of, now

from confiance.node.subjectauth import make_subject_request
from confiance.node.trustfeed import attach_trust_engine
from confiance.protocol.trust.engine import TrustEngine

Client = TestClient[Any, Any]


class Recorder:
    def __init__(self) -> None:
        self.added: dict[str, str] = {}
        self.removed: list[str] = []

    def add(self, assertion_id: str, assertion: Any, status: str = "valid") -> bool:
        self.added[assertion_id] = status
        return True

    def remove(self, assertion_id: str) -> bool:
        self.removed.append(assertion_id)
        return True


async def test_history_then_news_then_erasures(client: Client, alice: Party, bob: Party
                                               ) -> None:
    node = node_of(client)
    old = await (await client.post("/assertions", json=alice.rating(bob.did))).json()
    newer = await (await client.post("/assertions", json=alice.rating(bob.did, 5))).json()
    recorder = Recorder()
    loaded = await (await attach_trust_engine(recorder, node))
    assert loaded == 2
    # superseded is derived by the engine itself: it is fed as valid
    assert recorder.added == {old["id"]: "valid", newer["id"]: "valid"}
    mine = await (await client.post("/assertions", json=bob.rating(alice.did))).json()
    assert mine["id"] in recorder.added
    path = f"/subjects/{bob.did}/erasure"
    body = json.dumps({"all": True}).encode()
    header = make_subject_request(bob.key, audience=NODE_DID, method="POST", path=path,
                                  body=body, created=now())
    erased = await client.post(path, data=body, headers={
        "Content-Type": "application/json", "Authorization": header})
    assert erased.status == 200
    assert recorder.removed == [mine["id"]]


async def test_a_real_engine_takes_the_feed(client: Client, alice: Party, bob: Party) -> None:
    held = await (await client.post("/assertions", json=alice.rating(bob.did))).json()
    engine = TrustEngine()
    await (await attach_trust_engine(engine, node_of(client)))
    assert engine.remove(held["id"])  # it was there
