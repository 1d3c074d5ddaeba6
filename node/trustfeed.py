"""Feeding a trust engine from the store, and keeping it current.

The engine (:class:`confiance.protocol.trust.engine.TrustEngine`, or anything with the
same ``add(id, assertion, status)`` / ``remove(id)``) derives revocations, subject
decisions and supersession itself from the assertions it is given, so the node only has to
hand it every held assertion once, then each new one, and tell it about erasures.

:func:`attach_trust_engine` subscribes first and then loads the history in batches in the
background, yielding to the event loop between batches: a node with a large store starts
serving at once, and nothing that arrives meanwhile is missed (adding an id twice is
harmless). Parsing a stored document back into its dataclass validates it against its
schema again (milliseconds each); the load runs after start-up for that reason.

TODO(lead): ``node/routes/trust.py`` (the trust engine's routes) did not exist when this was
written. Its ``setup(app)`` (called by ``create_app``) should append a cleanup context that
builds the engine, stores it under its own ``web.AppKey`` and calls
``attach_trust_engine(engine, app[NODE])``, cancelling the returned task at shutdown.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Protocol

from confiance.protocol.errors import ConfianceError
from confiance.protocol.model import from_credential

from .context import Node
from .storage import StoredAssertion

__all__ = ["FeedableEngine", "attach_trust_engine", "engine_status"]

log = logging.getLogger("confiance.node")
BATCH = 500


class FeedableEngine(Protocol):
    def add(self, assertion_id: str, assertion: Any, status: str = "valid") -> bool: ...

    def remove(self, assertion_id: str) -> bool: ...


def engine_status(stored: StoredAssertion, node: Node) -> str:
    """The status to give the engine: the clock's verdict; the rest it derives itself."""
    status = stored.status(node.now())
    return status if status in ("expired", "not-yet-valid") else "valid"


def _feed(engine: FeedableEngine, stored: StoredAssertion, node: Node) -> None:
    try:
        assertion = from_credential(json.loads(stored.record.document))
    except (ConfianceError, ValueError):  # held means verified: this would be a bug
        log.exception("stored assertion does not parse", extra={"id": stored.id})
        return
    engine.add(stored.id, assertion, engine_status(stored, node))


async def attach_trust_engine(engine: FeedableEngine, node: Node) -> asyncio.Task[int]:
    """Subscribe ``engine`` to new assertions and erasures, and load the store into it.

    Returns the background task loading the history (its result: how many were loaded).
    """
    node.ingestor.subscribe(lambda stored: _feed(engine, stored, node))

    def on_erasure(ids: list[str]) -> None:
        for assertion_id in ids:
            engine.remove(assertion_id)

    node.ingestor.subscribe_erasure(on_erasure)

    async def load() -> int:
        after, count = 0, 0
        while True:
            rows = await node.store.changes(after, BATCH)
            if not rows:
                break
            for stored in rows:
                _feed(engine, stored, node)
            count += len(rows)
            after = rows[-1].seq
            await asyncio.sleep(0)
        log.info("trust engine loaded", extra={"assertions": count})
        return count

    return asyncio.create_task(load())
