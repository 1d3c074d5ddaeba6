"""The node's trust engine behind a thread of its own, so that the event loop never computes.

A personalized PageRank on a large graph takes tens of milliseconds, an Advogato flow or a
Fairness/Goodness fixed point more; run on the event loop, each would stall every other
request, gossip session and health check of the node for that long. :class:`TrustWorker`
owns the :class:`~confiance.protocol.trust.TrustEngine` and one worker thread: every
change (a new assertion, an erasure) and every query is a job for that thread, taken in
the order submitted. Hence

- the engine is only ever touched by one thread (it has no locks, and needs none);
- a query sees every change submitted before it (a ``POST /assertions`` answered before a
  ``GET /trust`` is counted in it), with no lock held on the event loop;
- parsing stored documents back into assertions (a schema check each, milliseconds) also
  runs on the worker, so loading a large store at start-up does not block serving.

Queries wait in a bounded line: when ``max_waiting`` queries are already waiting, the next
is refused at once (:class:`TrustEngineBusy`, 503 with ``Retry-After``) rather than
queued without end. Changes are never refused: they are what the store already holds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import TypeVar

from confiance.protocol.errors import ConfianceError
from confiance.protocol.model import from_credential
from confiance.protocol.trust import TrustEngine

from .problems import TrustEngineBusy
from .storage import StoredAssertion

__all__ = ["TrustWorker", "engine_status", "feed_stored"]

log = logging.getLogger("confiance.node")
T = TypeVar("T")
MAX_WAITING = 16
#: Seconds new assertions are gathered on the event loop before one job takes them to the
#: worker (a query, an erasure or ``drain`` takes them at once): a wake of the worker
#: thread costs about what adding an assertion does, so not one per assertion.
FEED_DELAY = 0.02


def engine_status(stored: StoredAssertion, now: datetime) -> str:
    """The status to give the engine: the clock's verdict only.

    Revocations, subject decisions and supersession are assertions the engine receives
    too and applies itself (an older rating counts again when the newer one is revoked).
    """
    status = stored.status(now)
    return status if status in ("expired", "not-yet-valid") else "valid"


def feed_stored(engine: TrustEngine, stored: StoredAssertion, now: datetime) -> bool:
    """Parse one stored assertion and add it to ``engine`` (on the caller's thread).

    An assertion the ingestor has just verified comes parsed (``stored.parsed``).
    """
    assertion = stored.parsed
    if assertion is None:
        try:
            assertion = from_credential(json.loads(stored.record.document))
        except (ConfianceError, ValueError):  # held means verified: this would be a bug
            log.exception("stored assertion does not parse", extra={"id": stored.id})
            return False
    return engine.add(stored.id, assertion, engine_status(stored, now))


class TrustWorker:
    """A :class:`TrustEngine` and the one thread that may touch it.

    Parameters
    ----------
    engine:
        The engine; after this, only jobs run by the worker may use it.
    max_waiting:
        How many queries may wait for the worker before the next is refused (503).
    """

    def __init__(self, engine: TrustEngine, *, max_waiting: int = MAX_WAITING) -> None:
        self.engine = engine
        self.max_waiting = max_waiting
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="confiance-trust")
        self._waiting = 0
        # new assertions waiting for one job that takes them all (see feed); ``_fed_job``:
        # such a job is submitted or scheduled (``_fed_timer``, on the event loop)
        self._fed: list[tuple[StoredAssertion, datetime]] = []
        self._fed_lock = threading.Lock()
        self._fed_job = False
        self._fed_timer: asyncio.TimerHandle | None = None

    # --------------------------------------------------------------- changes
    def _submit(self, job: Callable[[], object], what: str) -> None:
        def report(done: Future[object]) -> None:
            if not done.cancelled() and done.exception() is not None:
                log.error("trust engine job failed", exc_info=done.exception(),
                          extra={"job": what})

        self._executor.submit(job).add_done_callback(report)

    def feed(self, stored: StoredAssertion, now: datetime) -> None:
        """Queue a stored assertion for the engine (parsed on the worker, if need be).

        Fed on the event loop, assertions are gathered for :data:`FEED_DELAY` and taken by
        one job; fed while that job waits for the worker, they join it: under load the
        worker wakes once for many assertions, not once each. Order is kept: a job (a
        query, an erasure) submitted after ``feed`` runs after the job that takes this
        assertion (it submits that job first).
        """
        with self._fed_lock:
            self._fed.append((stored, now))
            if self._fed_job:
                return  # the job submitted or scheduled takes it too
            self._fed_job = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on an event loop: at once
            self._submit(self._take_fed, "add")
            return
        self._fed_timer = loop.call_later(FEED_DELAY, self._submit_fed)

    def _submit_fed(self) -> None:
        """The gathered assertions go to the worker now (before any job submitted next)."""
        timer, self._fed_timer = self._fed_timer, None
        if timer is not None:
            timer.cancel()
            self._submit(self._take_fed, "add")

    def _take_fed(self) -> None:
        with self._fed_lock:
            batch, self._fed = self._fed, []
            self._fed_job = False
        for stored, now in batch:
            feed_stored(self.engine, stored, now)

    def erase(self, ids: list[str]) -> None:
        """Queue the removal of erased assertions (after those fed before)."""
        def job() -> None:
            for assertion_id in ids:
                self.engine.remove(assertion_id)

        self._submit_fed()
        self._submit(job, "erase")

    async def drain(self) -> None:
        """Wait until every change queued so far has been applied."""
        await self.run(lambda engine: None, bounded=False)

    # --------------------------------------------------------------- queries
    async def run(self, job: Callable[[TrustEngine], T], *, bounded: bool = True) -> T:
        """Run ``job(engine)`` on the worker, after everything queued before it.

        Raises
        ------
        TrustEngineBusy
            ``max_waiting`` queries are waiting already (``bounded`` only).
        """
        if bounded and self._waiting >= self.max_waiting:
            raise TrustEngineBusy(f"{self._waiting} trust queries are waiting already",
                                  retry_after=1.0)
        self._waiting += 1
        try:
            loop = asyncio.get_running_loop()
            self._submit_fed()  # what was fed before this query is counted in it
            return await loop.run_in_executor(self._executor, job, self.engine)
        finally:
            self._waiting -= 1

    def close(self) -> None:
        """Stop the worker: queued changes are dropped, a running job finishes."""
        if self._fed_timer is not None:
            self._fed_timer.cancel()
            self._fed_timer = None
        self._executor.shutdown(wait=True, cancel_futures=True)
