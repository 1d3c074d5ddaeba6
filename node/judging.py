"""Judging erased referrals: the node's part in referral accountability.

A subject may erase what it issued, referrals included; the mission also says that "a
referrer who vouches for someone who then betrays the trust loses a little of its own".
Erasing the vouch after the betrayal must not buy the penalty back (``specs/trust.md``
section 5). So when a Referral is erased here (at its issuer's request, or by a gossiped
erasure notice), the store writes a pending row in the erasure's own transaction
(``storage/judgements.py``), and this module has the trust engine judge it
(:meth:`~confiance.protocol.trust.TrustEngine.judge_erased`) and settles the row:

- a referral addressed to this node, erased after its referred party earned distrust here,
  leaves the node's judgement: referrer, audience (this node), context, ``bad``, when it
  stopped vouching and until when it counts (a year after, by default); no copy of the
  referral, not even whom it referred. The engine applies it; the referrer sees it in its
  export (``GET /subjects/{subject}/export``); it is deleted once expired;
- a referral erased while nothing was held against its referred party, or addressed to
  someone else (another node judges its own referrals), leaves nothing.

The pending rows make this crash-safe: whatever was erased and not yet judged is judged
when the node next loads its engine. An erasure is judged before the erasure's listeners
return, so a query answered after an erasure counts its judgement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from confiance.protocol.trust import ErasedReferral, KeptJudgement, TrustEngine

from .context import Node
from .trustworker import TrustWorker

__all__ = ["PURGE_INTERVAL", "judging"]

log = logging.getLogger("confiance.node")
#: Seconds between two deletions of expired judgements from the store.
PURGE_INTERVAL = 3600.0


class _Judge:
    def __init__(self, worker: TrustWorker, node: Node) -> None:
        self.worker = worker
        self.node = node
        self.ready = False
        self.lock = asyncio.Lock()

    async def restore(self) -> None:
        """After the engine's load: apply the judgements kept, judge what is pending."""
        now = self.node.now()
        await self.node.store.purge_judgements(now=now)
        kept = await self.node.store.kept_judgements(now=now)

        def apply(engine: TrustEngine) -> None:
            engine.refresh(now)
            for judgement in kept:
                engine.keep(judgement)

        await self.worker.run(apply, bounded=False)
        self.ready = True
        await self.judge_pending()
        log.info("referral judgements restored", extra={"kept": len(kept)})

    async def on_erasure(self, ids: list[str]) -> None:
        if self.ready:  # before, restore() judges them once the engine is loaded
            await self.judge_pending()

    async def judge_pending(self) -> None:
        async with self.lock:
            pending = await self.node.store.pending_judgements()
            if not pending:
                return
            audience, now = self.node.did, self.node.now()

            def judge(engine: TrustEngine) -> list[tuple[str, KeptJudgement | None]]:
                engine.refresh(now)
                return [(p.referral, _judge(engine, p, audience)) for p in pending]

            outcomes = await self.worker.run(judge, bounded=False)
            await self.node.store.settle_judgements(outcomes)
            kept = sum(1 for _, j in outcomes if j is not None)
            log.info("erased referrals judged", extra={"judged": len(outcomes), "kept": kept})


def _judge(engine: TrustEngine, erased: ErasedReferral, audience: str) -> KeptJudgement | None:
    if erased.audience != audience:  # not ours to judge: its audience's node does
        engine.remove(erased.referral)
        return None
    return engine.judge_erased(erased)


@contextlib.asynccontextmanager
async def judging(worker: TrustWorker, node: Node, loading: asyncio.Task[int]
                  ) -> AsyncIterator[asyncio.Task[None]]:
    """Judge erased referrals for as long as the node runs (see the module docstring).

    ``loading`` is the task loading the store into the engine: once it is done, the kept
    judgements are applied and the pending ones judged; the task yielded (``ready``) ends
    then, and queries should wait for it. Erasures are judged as they happen after that,
    and expired judgements deleted every :data:`PURGE_INTERVAL` seconds.
    """
    judge = _Judge(worker, node)
    node.ingestor.subscribe_erasure(judge.on_erasure)

    async def restore() -> None:
        try:
            await asyncio.shield(loading)
            await judge.restore()
        except asyncio.CancelledError:
            raise
        except Exception:  # the engine did not load (queries say so), or the store failed
            log.exception("referral judgements not restored")

    async def purge() -> None:
        await ready
        while True:
            await asyncio.sleep(PURGE_INTERVAL)
            try:
                await node.store.purge_judgements(now=node.now())
            except Exception:
                log.exception("expired referral judgements not purged")

    ready = asyncio.create_task(restore())
    purging = asyncio.create_task(purge())
    try:
        yield ready
    finally:
        for task in (ready, purging):
            task.cancel()
        await asyncio.gather(ready, purging, return_exceptions=True)
