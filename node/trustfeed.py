"""Feeding a trust engine from the store, and keeping it current.

The engine (:class:`confiance.protocol.trust.engine.TrustEngine`) derives revocations,
subject decisions and supersession itself from the assertions it is given, so the node
only has to hand it every held assertion once, then each new one, and tell it about
erasures.

- :func:`attach_trust_engine` (a running node): subscribes first and then reads the
  history in batches in the background, yielding to the event loop between batches: a node
  with a large store starts serving at once, and nothing that arrives meanwhile is missed
  (adding an id twice is harmless). The sink (a :class:`~.trustworker.TrustWorker`) parses
  the documents on its own thread: each is checked against its schema again (milliseconds).
- :func:`load_engine` (the command line on a data directory): the same history, parsed and
  added on the caller's thread.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Protocol

from confiance.protocol.trust import TrustEngine

from .context import Node
from .storage import Store, StoredAssertion
from .trustworker import feed_stored

__all__ = ["FeedSink", "attach_trust_engine", "load_engine"]

log = logging.getLogger("confiance.node")
BATCH = 500


class FeedSink(Protocol):
    """Where held assertions go (a :class:`~.trustworker.TrustWorker`)."""

    def feed(self, stored: StoredAssertion, now: datetime) -> None: ...

    def erase(self, ids: list[str]) -> None: ...

    async def drain(self) -> None: ...


async def attach_trust_engine(sink: FeedSink, node: Node) -> asyncio.Task[int]:
    """Subscribe ``sink`` to new assertions and erasures, and load the store into it.

    Returns the background task loading the history; its result (how many were read) comes
    once the sink has taken them all in.
    """
    node.ingestor.subscribe(lambda stored: sink.feed(stored, node.now()))
    node.ingestor.subscribe_erasure(sink.erase)

    async def load() -> int:
        after, count = 0, 0
        while True:
            rows = await node.store.changes(after, BATCH)
            if not rows:
                break
            now = node.now()
            for stored in rows:
                sink.feed(stored, now)
            count += len(rows)
            after = rows[-1].seq
            await sink.drain()  # one batch at a time: the queue stays short
        log.info("trust engine loaded", extra={"assertions": count})
        return count

    return asyncio.create_task(load())


async def load_engine(engine: TrustEngine, store: Store, *, now: datetime) -> int:
    """Feed every assertion ``store`` holds to ``engine``, in arrival order, then the
    judgements it keeps of erased referrals (``node/judging.py``); how many read."""
    after = count = 0
    while True:
        page = await store.changes(after, BATCH)
        if not page:
            for judgement in await store.kept_judgements(now=now):
                engine.keep(judgement)
            return count
        for stored in page:
            feed_stored(engine, stored, now)
        count += len(page)
        after = page[-1].seq
