"""Many evaluators at once: personalized PageRank for a batch of sources, and their rankings.

:func:`ppr_many` solves every evaluator whose view of the context is the shared one (no
Recognition of its own, no mark of its own: those replace rows of the matrix) as one batch
(:func:`~.batch.pagerank_batch`: one restricted set for the union of their reachable sets,
one elimination, blocks of vectors per sparse product); :func:`rank_many` ranks each
vector after the layers, as :meth:`~.engine.TrustEngine.rank` does, so each ranking equals
``rank``'s to the same guaranteed bound (specs/trust.md section 3.10). Evaluators outside
the batch are answered one by one.

``map_blocks`` maps the solve over blocks of sources (``map`` by default; a thread pool's
``map`` spreads the blocks over cores: the sparse products release the interpreter lock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..errors import RemoteProtocolError
from .batch import BatchResult, pagerank_batch
from .matrix import operator_for
from .results import RankEntry, RankResult, check_layers

if TYPE_CHECKING:
    from .engine import TrustEngine

__all__ = ["PprBatch", "ppr_many", "rank_many"]


@dataclass(frozen=True, eq=False)
class PprBatch:
    """Vectors of :func:`ppr_many`: ``x[:, column[j]]`` over ``nodes`` for source ``j``
    (``column[j] == -1``: not in the batch); ``bound[j]`` its guaranteed L1 distance to the
    exact vector."""

    sources: tuple[str, ...]
    nodes: tuple[str, ...]
    x: npt.NDArray[np.float64]
    bound: npt.NDArray[np.float64]
    column: npt.NDArray[np.int64]
    size: int

    def vector(self, j: int) -> dict[str, float]:
        """Source ``j``'s nonzero scores as a dictionary (empty when not in the batch)."""
        c = int(self.column[j])
        if c < 0:
            return {}
        col = self.x[:, c]
        return {self.nodes[int(i)]: float(col[i]) for i in np.flatnonzero(col)}


def ppr_many(engine: TrustEngine, sources: Sequence[str], context: str | None = None, *,
             block: int = 16, map_blocks: Callable[..., Iterable[BatchResult]] = map
             ) -> PprBatch:
    """Personalized PageRank vectors (no layers) of ``sources``, solved together."""
    from .engine import check_id

    ctx = engine.resolve_context(context)
    names = [check_id("source", s) for s in sources]
    shared: list[tuple[int, int]] = []  # (position in sources, operator index)
    op = None
    for j, source in enumerate(names):
        view = engine.graph.view(source, ctx)
        if source not in view.graph or view.rewritten_rows():
            continue
        if op is None:
            op = operator_for(view)
        i = op.index(source)
        if i is not None:
            shared.append((j, i))
    column = np.full(len(names), -1, dtype=np.int64)
    if op is None or not shared:
        return PprBatch(sources=tuple(names), nodes=(), x=np.zeros((0, 0)),
                        bound=np.zeros(len(names)), column=column, size=0)
    sub = op.restricted(sorted({i for _, i in shared}))
    local = [int(sub.local[i]) for _, i in shared]
    chunks = [local[k:k + block] for k in range(0, len(local), block)]
    damping, tol = engine.policy.damping, engine.policy.tolerance

    def solve(chunk: list[int]) -> BatchResult:
        return pagerank_batch(sub.split, chunk, damping=damping, tol=tol, block=block)

    parts = list(map_blocks(solve, chunks))
    x = np.concatenate([p.x for p in parts], axis=1) if parts else np.zeros((0, 0))
    bounds = np.concatenate([p.bound for p in parts]) if parts else np.zeros(0)
    bound = np.zeros(len(names))
    for k, (j, _) in enumerate(shared):
        column[j] = k
        bound[j] = bounds[k]
    nodes = tuple(op.nodes[int(i)] for i in sub.order)
    return PprBatch(sources=tuple(names), nodes=nodes, x=x, bound=bound, column=column,
                    size=len(nodes))


def rank_many(engine: TrustEngine, sources: Sequence[str], context: str | None = None, *,
              top: int = 10, distrust: str = "one-hop", penalty: bool = True,
              block: int = 16, map_blocks: Callable[..., Iterable[BatchResult]] = map
              ) -> list[RankResult]:
    """``engine.rank(source, context, "ppr", top=top)`` for every source, solved together."""
    from .engine import MAX_TOP

    ctx = engine.resolve_context(context)
    if not 1 <= top <= MAX_TOP:
        raise RemoteProtocolError(f"top must lie in 1..{MAX_TOP}, got {top}")
    layers = check_layers(distrust, penalty)
    batch = ppr_many(engine, sources, ctx, block=block, map_blocks=map_blocks)
    out: list[RankResult] = []
    for j, source in enumerate(batch.sources):
        if batch.column[j] < 0:
            out.append(engine.rank(source, ctx, "ppr", top=top, distrust=distrust,
                                   penalty=penalty))
            continue
        scored = engine.top_of(source, ctx, batch.x[:, batch.column[j]], batch.nodes, top,
                               distrust=distrust, penalty=penalty)
        best = sorted(scored, key=lambda s: (-s[0], s[1]))[:top]
        out.append(RankResult(
            source=source, context=ctx, algorithm="ppr",
            entries=tuple(RankEntry(node=v, score=sc, raw=r) for sc, v, r in best),
            details={"nodes": batch.size, "bound": float(f"{batch.bound[j]:.3g}"),
                     "method": "bicgstab-batch"}, layers=layers))
    return out
