"""The trust engine is fed every held assertion, then each new one, and told of erasures."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp.test_utils import TestClient
from nodehelpers import NODE_DID, Party, node_of, now

from confiance.node.storage import StoredAssertion
from confiance.node.subjectauth import make_subject_request
from confiance.node.trustfeed import attach_trust_engine
from confiance.node.trustworker import TrustWorker, engine_status
from confiance.protocol.trust.engine import TrustEngine

Client = TestClient[Any, Any]


class Recorder:
    def __init__(self) -> None:
        self.added: dict[str, str] = {}
        self.removed: list[str] = []

    def feed(self, stored: StoredAssertion, now: datetime) -> None:
        self.added[stored.id] = engine_status(stored, now)

    def erase(self, ids: list[str]) -> None:
        self.removed.extend(ids)

    async def drain(self) -> None:
        return None


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
    worker = TrustWorker(TrustEngine())
    try:
        assert await (await attach_trust_engine(worker, node_of(client))) == 1
        assert await worker.run(lambda engine: engine.remove(held["id"]))  # it was there
    finally:
        worker.close()
