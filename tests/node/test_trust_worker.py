"""The trust engine runs on a thread of its own: the event loop keeps serving while it
computes, queries wait in a bounded line, and a query sees every change made before it."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient
from nodehelpers import Party

from confiance.node.problems import TrustEngineBusy
from confiance.node.routes import trust as trust_route
from confiance.node.routes.trust import TRUST_WORKER
from confiance.node.trustworker import TrustWorker
from confiance.protocol.model import Rating, Scale
from confiance.protocol.trust import TrustEngine

Client = TestClient[Any, Any]
BOUND = 10.0  # seconds: only reached if the behaviour under test is broken
A, B = "did:web:a.example", "did:web:b.example"
RATING_ID = "ni:///sha-256;" + "A" * 43


def _block(worker: TrustWorker) -> tuple[threading.Event, threading.Event,
                                         asyncio.Future[Any]]:
    """Occupy the worker until ``gate`` is set; ``started`` says it is running."""
    gate, started = threading.Event(), threading.Event()

    def job(engine: TrustEngine) -> None:
        started.set()
        gate.wait(BOUND)

    return gate, started, asyncio.ensure_future(worker.run(job))


async def _until(event: threading.Event) -> None:
    for _ in range(1000):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the worker never started the job")


async def test_the_loop_serves_while_the_engine_computes(client: Client) -> None:
    worker = client.server.app[TRUST_WORKER]
    gate, started, blocked = _block(worker)
    await _until(started)
    health = await asyncio.wait_for(client.get("/health"), BOUND)  # served meanwhile
    assert health.status == 200
    assert not blocked.done()
    gate.set()
    await asyncio.wait_for(blocked, BOUND)


async def _rated(client: Client, alice: Party, bob: Party) -> None:
    response = await client.post("/assertions", json=alice.rating(bob.did))
    assert response.status == 201


async def test_a_full_line_is_a_503_with_retry_after(client: Client, alice: Party,
                                                     bob: Party) -> None:
    await _rated(client, alice, bob)
    worker = client.server.app[TRUST_WORKER]
    worker.max_waiting = 1
    gate, started, blocked = _block(worker)
    await _until(started)
    response = await client.get("/trust?" + urlencode({"from": alice.did, "to": bob.did}))
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert response.content_type == "application/problem+json"
    problem = await response.json(content_type=None)
    assert problem["type"].endswith("/trust-engine-busy") and problem["status"] == 503
    gate.set()
    await asyncio.wait_for(blocked, BOUND)
    worker.max_waiting = 16
    response = await client.get("/trust?" + urlencode({"from": alice.did, "to": bob.did}))
    assert response.status == 200


async def test_a_query_during_a_long_load_is_a_503(client: Client, alice: Party, bob: Party,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    await _rated(client, alice, bob)
    app = client.server.app
    monkeypatch.setattr(trust_route, "LOAD_WAIT", 0.05)
    app[trust_route._LOADED].clear()  # as if the store were still being read
    response = await client.get("/trust?" + urlencode({"from": alice.did, "to": bob.did}))
    assert response.status == 503 and response.headers["Retry-After"] == "1"
    problem = await response.json(content_type=None)
    assert problem["type"].endswith("/trust-engine-loading")
    app[trust_route._LOADED].set()
    response = await client.get("/trust?" + urlencode({"from": alice.did, "to": bob.did}))
    assert response.status == 200


async def test_changes_and_queries_keep_their_order() -> None:
    worker = TrustWorker(TrustEngine(), max_waiting=2)
    rating = Rating(issuer=A, subject=B, score=8, scale=Scale(minimum=-10, maximum=10),
                    context="default", valid_from=datetime(2026, 1, 1, tzinfo=UTC))

    def score(engine: TrustEngine) -> float | None:
        return engine.trust(A, B, "default", "moletrust", explain=False).value

    try:
        gate, started, blocked = _block(worker)
        await _until(started)
        # A change queued behind the running job is applied before a later query.
        worker._submit(lambda: worker.engine.add(RATING_ID, rating), "add")
        later = asyncio.ensure_future(worker.run(score))
        await asyncio.sleep(0)
        with pytest.raises(TrustEngineBusy):  # the running job and `later` fill the line
            await worker.run(lambda engine: None)
        gate.set()
        await asyncio.wait_for(blocked, BOUND)
        assert await asyncio.wait_for(later, BOUND) == 0.8
        worker.erase([RATING_ID])
        assert await worker.run(score) is None
    finally:
        worker.close()


async def test_fed_assertions_count_in_the_next_query_and_arrive_without_one() -> None:
    """Fed assertions are gathered for one job (a worker wake per batch, not per assertion),
    yet a query made right after ``feed`` counts them, and without any query they reach
    the engine soon."""
    from confiance.node.storage import AssertionRecord, StoredAssertion

    worker = TrustWorker(TrustEngine())
    now = datetime(2026, 1, 2, tzinfo=UTC)

    def stored(n: int) -> StoredAssertion:
        rating = Rating(issuer=A, subject=f"did:web:s{n}.example", score=8, context="default",
                        scale=Scale(minimum=-10, maximum=10),
                        valid_from=datetime(2026, 1, 1, tzinfo=UTC))
        record = AssertionRecord(id="ni:///sha-256;" + f"{n:043d}", kind="Rating", issuer=A,
                                 subject=rating.subject, target=None, context="default",
                                 slot=None, valid_from=rating.valid_from, valid_until=None,
                                 created=None, accepted=None, status_index=None, document=b"")
        return StoredAssertion(record=record, seq=n, received_at=now, revoked_by=None,
                               superseded_by=None, decision=None, parsed=rating)

    def held(engine: TrustEngine) -> int:
        return sum(1 for n in range(4) if engine.trust(
            A, f"did:web:s{n}.example", "default", "moletrust", explain=False).value)

    try:
        for n in range(3):
            worker.feed(stored(n), now)
        assert await worker.run(held) == 3  # at once: no FEED_DELAY waited
        worker.feed(stored(3), now)
        for _ in range(int(BOUND / 0.01)):
            if worker.engine.trust(A, "did:web:s3.example", "default", "moletrust",
                                   explain=False).value:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("a fed assertion never reached the engine without a query")
    finally:
        worker.close()
