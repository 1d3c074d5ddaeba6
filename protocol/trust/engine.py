"""The trust engine: ``trust(source, target, context, algorithm)`` with its explanation.

:class:`TrustEngine` owns a :class:`~.graph.TrustGraph` (fed with assertions and their
statuses) and answers two questions from an evaluator's point of view:

- :meth:`TrustEngine.trust`: how much does ``source`` trust ``target`` in ``context``? A
  :class:`TrustResult`: the score on the evaluator's own scale, a confidence figure, the
  distrust and referral penalty applied, and the strongest paths (each hop's assertion id,
  the rule applied in plain language, the weights);
- :meth:`TrustEngine.rank`: whom does ``source`` trust most?

Algorithms (``specs/trust.md`` is normative) and the default per use:

==============  ==========================================  ==============================
name            what it computes                            default for
==============  ==========================================  ==============================
``moletrust``   path-based local trust, horizon, threshold  scoring a stranger
``tidaltrust``  strongest shortest paths (one target)
``ppr``         personalized PageRank from the evaluator    ranking
``eigentrust``  PageRank from the pre-trusted seeds
``advogato``    network-flow admission (1 accepted, 0 not)  admitting one
``fairness``    predicted rating f(source) g(target)        weighing raters
==============  ==========================================  ==============================
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from ..errors import RemoteProtocolError
from ..model import Assertion, Scale
from .accountability import Penalty, referral_penalty
from .advogato import AdvogatoResult, advogato_admission
from .conversion import Claim, from_unit
from .explain import TrustPath, confidence, explain_paths, strongest_paths
from .fairness import FairnessResult, fairness_goodness
from .graph import EvaluatorView, TrustGraph
from .matrix import Operator, compiled, operator_for
from .negative import Distrust, distrust
from .pagerank import PageRankResult, pagerank_sparse
from .pathtrust import moletrust, moletrust_layers, tidaltrust_support
from .policy import DEFAULT_POLICY, TrustPolicy

__all__ = [
    "ALGORITHMS",
    "DEFAULT_ALGORITHMS",
    "RankEntry",
    "RankResult",
    "TrustEngine",
    "TrustResult",
]

ALGORITHMS = ("moletrust", "tidaltrust", "ppr", "eigentrust", "advogato", "fairness")
#: The algorithm a node uses for each question (specs/trust.md, "Defaults per use").
DEFAULT_ALGORITHMS: Mapping[str, str] = {
    "score": "moletrust", "rank": "ppr", "admit": "advogato", "raters": "fairness"}
_RANKING = frozenset({"ppr", "eigentrust"})
MAX_ID_LENGTH = 2048
MAX_TOP = 10_000


@dataclass(frozen=True)
class TrustResult:
    """The answer to ``trust(source, target, context, algorithm)``.

    ``value`` is on the unit scale ([-1, 1] for the path metrics and fairness; a
    probability for ``ppr``/``eigentrust``; 1 or 0 for ``advogato``), after distrust and
    referral penalty; ``score`` is the same on ``scale`` (the evaluator's own) when the
    algorithm has one, else equal to ``value``. ``None``: no opinion (no path).
    """

    source: str
    target: str
    context: str
    algorithm: str
    score: float | None
    value: float | None
    scale: Scale | None
    confidence: float
    distrust: Distrust
    penalty: Penalty
    paths: tuple[TrustPath, ...]
    details: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON form served by ``GET /trust`` and printed by ``confiance trust --json``."""
        return {
            "source": self.source,
            "target": self.target,
            "context": self.context,
            "algorithm": self.algorithm,
            "score": _num(self.score),
            "value": _num(self.value),
            "scale": self.scale.to_json() if self.scale is not None else None,
            "confidence": _num(self.confidence),
            "distrust": {"value": _num(self.distrust.value), "direct": self.distrust.direct,
                         "sources": [{"node": n, "weight": _num(w)}
                                     for n, w in self.distrust.sources]},
            "penalty": {"value": _num(self.penalty.value),
                        "referrals": [{"referral": o.referral, "referred": o.referred,
                                       "bad": _num(o.bad)} for o in self.penalty.referrals]},
            "paths": [p.to_json() for p in self.paths],
            "details": dict(self.details),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class RankEntry:
    node: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "score": _num(self.score)}


@dataclass(frozen=True)
class RankResult:
    """The ``top`` nodes ``source`` trusts most in ``context`` by ``algorithm``."""

    source: str
    context: str
    algorithm: str
    entries: tuple[RankEntry, ...]
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "context": self.context, "algorithm": self.algorithm,
                "entries": [e.to_json() for e in self.entries], "details": dict(self.details)}


def _num(x: float | None) -> float | None:
    return None if x is None else float(f"{x:.12g}")


_NO_DISTRUST = Distrust(value=0.0, direct=False, sources=())
_NO_PENALTY = Penalty(value=0.0, referrals=())


def _check_id(name: str, value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise RemoteProtocolError(f"{name} must be a non-empty identifier of at most "
                                  f"{MAX_ID_LENGTH} characters")
    return value


class TrustEngine:
    """Transitive trust over a :class:`TrustGraph`; see the module docstring.

    Parameters
    ----------
    policy:
        The figures of :class:`TrustPolicy`.
    seeds:
        Pre-trusted nodes for ``eigentrust`` (default: the evaluator alone).
    cache_size:
        PageRank vectors kept per (context, seeds); a changed graph reuses them as warm
        starts.
    """

    def __init__(self, policy: TrustPolicy = DEFAULT_POLICY, *, seeds: Iterable[str] = (),
                 cache_size: int = 16) -> None:
        self.policy = policy
        self.graph = TrustGraph(policy)
        self.seeds = tuple(seeds)
        self._cache_size = max(1, cache_size)
        self._ppr: OrderedDict[tuple[str, tuple[str, ...], str], tuple[int, PageRankResult,
                                                                      Operator]] = OrderedDict()
        self._fairness: dict[str, tuple[int, FairnessResult, dict[str, int]]] = {}

    # ------------------------------------------------------------- feeding
    def add(self, assertion_id: str, assertion: Assertion, status: str = "valid") -> bool:
        """Feed one assertion (see :meth:`TrustGraph.add`)."""
        return self.graph.add(assertion_id, assertion, status)

    def set_status(self, assertion_id: str, status: str) -> bool:
        return self.graph.set_status(assertion_id, status)

    def remove(self, assertion_id: str) -> bool:
        return self.graph.remove(assertion_id)

    def refresh(self, now: datetime) -> list[str]:
        return self.graph.refresh(now)

    def add_claims(self, claims: Iterable[Claim]) -> int:
        return self.graph.add_claims(claims)

    # ------------------------------------------------------------- helpers
    def resolve_context(self, context: str | None) -> str:
        """``context``, or the only context held when none is named."""
        if context is not None:
            return _check_id("context", context)
        held = self.graph.contexts
        if len(held) == 1:
            return held[0]
        if not held:
            raise RemoteProtocolError("no trust context is held yet: nothing to evaluate")
        shown = ", ".join(held[:10]) + (", ..." if len(held) > 10 else "")
        raise RemoteProtocolError(f"name a context: this graph holds {len(held)} ({shown})")

    def evaluator_scale(self, evaluator: str, context: str) -> Scale | None:
        """The evaluator's own scale: of its latest Recognition, else of its latest Rating."""
        recs = self.graph.recognitions(context, evaluator)
        if recs:
            return max(recs, key=lambda c: (c.time, c.id)).scale
        g = self.graph.adjacency(context)
        best: Claim | None = None
        for data in g.succ.get(evaluator, {}).values():
            for c in data["claims"]:
                if c.kind == "Rating" and c.issuer == evaluator and c.scale is not None \
                        and (best is None or (c.time, c.id) > (best.time, best.id)):
                    best = c
        return best.scale if best is not None else None

    def _operator_ppr(self, view: EvaluatorView, seeds: tuple[str, ...]
                      ) -> tuple[PageRankResult, Operator] | None:
        key = (view.context, seeds, view.evaluator)
        version = self.graph.version(view.context)
        cached = self._ppr.get(key)
        if cached is not None and cached[0] == version:
            self._ppr.move_to_end(key)
            return cached[1], cached[2]
        op = operator_for(view)
        idx = [op.index(s) for s in seeds]
        if any(i is None for i in idx):
            return None
        seed_idx = [i for i in idx if i is not None]
        # Iterate on the nodes the seeds reach only: the others score exactly 0.
        sub = op.restricted(seed_idx)
        warm = None
        if cached is not None:
            old = cached[1]
            if old.x.shape[0] <= op.n:
                x = np.zeros(op.n)
                x[: old.x.shape[0]] = old.x
                warm = PageRankResult(x=x[sub.order], bound=old.bound, matvecs=0, method="",
                                      scale=old.scale)
        local = pagerank_sparse(sub.split, {int(sub.local[i]): 1.0 for i in seed_idx},
                                damping=self.policy.damping, tol=self.policy.tolerance,
                                warm=warm)
        full = np.zeros(op.n)
        full[sub.order] = local.x
        res = PageRankResult(x=full, bound=local.bound, matvecs=local.matvecs,
                             method=local.method, scale=local.scale)
        self._ppr[key] = (version, res, op)
        self._ppr.move_to_end(key)
        while len(self._ppr) > self._cache_size:
            self._ppr.popitem(last=False)
        return res, op

    def _fairness_for(self, context: str) -> tuple[FairnessResult, dict[str, int]]:
        version = self.graph.version(context)
        cached = self._fairness.get(context)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        comp, _ = compiled(self.graph, context, fresh=True)
        res = fairness_goodness(comp.signed)
        self._fairness[context] = (version, res, comp.index)
        return res, comp.index

    def _seeds(self, algorithm: str, source: str) -> tuple[str, ...]:
        if algorithm == "eigentrust" and self.seeds:
            return self.seeds
        return (source,)

    def _paths(self, view: EvaluatorView, source: str, target: str, algorithm: str,
               allow: Callable[[str, str, float, int], bool] | None = None,
               ) -> tuple[tuple[TrustPath, ...], bool]:
        k = self.policy.max_paths
        horizon = self.policy.horizon
        if k == 0 or target not in view.graph or source not in view.graph:
            return (), False
        factor = None
        if algorithm in _RANKING:
            sums: dict[str, float] = {}
            cached = self._ppr.get((view.context, self._seeds(algorithm, source), source))
            op = cached[2] if cached is not None else None

            def factor(u: str, v: str, w: float) -> float:
                total = sums.get(u)
                if total is None:
                    known = op.base_out_sum(u) if op is not None else None
                    total = sums[u] = known if known is not None else \
                        sum(x for _, x in view.successors(u) if x > 0)
                return w / total if w > 0 and total > 0 else 0.0

        paths, truncated = strongest_paths(view.successors, view.predecessors, source, target,
                                           k=k, horizon=horizon, factor=factor, allow=allow)
        return explain_paths(view, paths), truncated

    # ------------------------------------------------------------- queries
    def trust(self, source: str, target: str, context: str | None = None,
              algorithm: str = "moletrust", *, scale: Scale | None = None,
              level: float = 0.0, explain: bool = True) -> TrustResult:
        """How much ``source`` trusts ``target`` in ``context``, explained.

        Parameters
        ----------
        source, target:
            The evaluator and the evaluated (DIDs, URLs, or edge-list ids).
        context:
            The context of trust; may be omitted when the graph holds only one.
        algorithm:
            One of :data:`ALGORITHMS`.
        scale:
            The scale to express the score on (default: the evaluator's own).
        level:
            ``advogato`` only: the certification level (smallest edge weight counted).
        explain:
            Compute the strongest paths (the costliest part on a large graph).
        """
        source = _check_id("source", source)
        target = _check_id("target", target)
        ctx = self.resolve_context(context)
        if algorithm not in ALGORITHMS:
            raise RemoteProtocolError(f"unknown algorithm {algorithm!r}: expected one of "
                                      f"{', '.join(ALGORITHMS)}")
        view = self.graph.view(source, ctx)
        if scale is None and algorithm not in _RANKING and algorithm != "advogato":
            scale = self.evaluator_scale(source, ctx)
        notes: list[str] = []
        details: dict[str, Any] = {}
        if source not in view.graph:
            notes.append(f"{source} has no edges in context “{ctx}”")
        if target not in view.graph:
            notes.append(f"{target} has no edges in context “{ctx}”")
        if source == target:
            notes.append("an evaluator does not evaluate itself")
        d = _NO_DISTRUST
        pen = _NO_PENALTY
        value: float | None = None
        allow: Callable[[str, str, float, int], bool] | None = None
        known = source in view.graph and target in view.graph and source != target
        if known:
            d = distrust(view, source, target)
            pen = referral_penalty(view, target)
        if known and algorithm == "moletrust":
            value, allow = self._moletrust(view, source, target)
        elif known and algorithm == "tidaltrust":
            value, allow = self._tidaltrust(view, source, target)
        elif known and algorithm in _RANKING:
            value = self._ranking_value(view, source, target, algorithm, d, details, notes)
        elif known and algorithm == "advogato":
            res = advogato_admission(view.successors, [source], level=level,
                                     capacities=self.policy.advogato_capacities)
            value = 1.0 if target in res.accepted else 0.0
            details.update(_advogato_details(res, target, level))

            def allow(u: str, v: str, w: float, depth: int) -> bool:
                return w >= level and (v == target or v in res.accepted)

        elif known and algorithm == "fairness":
            fr, index = self._fairness_for(ctx)
            i, j = index.get(source), index.get(target)
            if i is not None and j is not None:
                value = fr.predict(i, j)
                details.update({"fairness_source": _num(float(fr.fairness[i])),
                                "fairness_target": _num(float(fr.fairness[j])),
                                "goodness_target": _num(float(fr.goodness[j])),
                                "iterations": fr.iterations})
        if value is not None and algorithm != "advogato":
            value = pen.apply(value)
        score = value
        if value is not None and scale is not None:
            score = from_unit(scale, value)
        paths: tuple[TrustPath, ...] = ()
        if explain and known and algorithm != "fairness":
            paths, truncated = self._paths(view, source, target, algorithm, allow)
            if truncated:
                notes.append("the path search was capped: more paths may exist")
        if value is None and known:
            notes.append("no opinion: no usable path within the horizon")
        return TrustResult(source=source, target=target, context=ctx, algorithm=algorithm,
                           score=score, value=value, scale=scale,
                           confidence=confidence(paths), distrust=d, penalty=pen,
                           paths=paths, details=details, notes=tuple(notes))

    def _moletrust(self, view: EvaluatorView, source: str, target: str
                   ) -> tuple[float | None, Callable[[str, str, float, int], bool]]:
        threshold = self.policy.threshold
        trust, layer = moletrust_layers(view.successors, source, horizon=self.policy.horizon,
                                        threshold=threshold)
        goal = layer.get(target)

        def allow(u: str, v: str, w: float, depth: int) -> bool:
            if v == target:
                return goal == depth + 1
            return layer.get(v) == depth + 1 and trust[v] >= threshold

        return trust.get(target), allow

    def _tidaltrust(self, view: EvaluatorView, source: str, target: str
                    ) -> tuple[float | None, Callable[[str, str, float, int], bool]]:
        sup = tidaltrust_support(view.successors, source, target, max_depth=self.policy.horizon)

        def allow(u: str, v: str, w: float, depth: int) -> bool:
            if v == target:
                return depth + 1 == sup.depth
            return sup.layer.get(v) == depth + 1 and w >= sup.best

        return sup.value, allow

    def _ranking_value(self, view: EvaluatorView, source: str, target: str, algorithm: str,
                       d: Distrust, details: dict[str, Any], notes: list[str]) -> float | None:
        got = self._operator_ppr(view, self._seeds(algorithm, source))
        if got is None:
            notes.append("a seed has no edges in this context")
            return None
        res, op = got
        i = op.index(target)
        raw = float(res.x[i]) if i is not None else 0.0
        details.update({"raw": _num(raw), "rank": int((res.x > raw).sum()) + 1 if raw else None,
                        "nodes": op.n, "bound": float(f"{res.bound:.3g}"),
                        "matvecs": res.matvecs, "method": res.method,
                        "damping": self.policy.damping, "tolerance": self.policy.tolerance})
        return raw * (1.0 - d.value)

    def rank(self, source: str, context: str | None = None, algorithm: str = "ppr", *,
             top: int = 10, level: float = 0.0) -> RankResult:
        """The ``top`` nodes ``source`` trusts most (itself excluded), best first.

        ``ppr``/``eigentrust`` rank by probability times ``1 - distrust``, ``moletrust`` by
        path trust, ``advogato`` lists the accepted nodes nearest first, ``fairness`` ranks
        by goodness. Referral penalties apply as in :meth:`trust`.
        """
        source = _check_id("source", source)
        ctx = self.resolve_context(context)
        if not 1 <= top <= MAX_TOP:
            raise RemoteProtocolError(f"top must lie in 1..{MAX_TOP}, got {top}")
        if algorithm == "tidaltrust" or algorithm not in ALGORITHMS:
            raise RemoteProtocolError(f"cannot rank with {algorithm!r}: use one of "
                                      "moletrust, ppr, eigentrust, advogato, fairness")
        view = self.graph.view(source, ctx)
        details: dict[str, Any] = {}
        if source not in view.graph:
            return RankResult(source=source, context=ctx, algorithm=algorithm, entries=(),
                              details={"note": f"{source} has no edges in context “{ctx}”"})
        scores: list[tuple[float, str]]
        if algorithm in _RANKING:
            scores = self._rank_ppr(view, source, algorithm, top, details)
        elif algorithm == "moletrust":
            values = moletrust(view.successors, source, horizon=self.policy.horizon,
                               threshold=self.policy.threshold)
            scores = [(referral_penalty(view, v).apply(t), v) for v, t in values.items()]
        elif algorithm == "advogato":
            res = advogato_admission(view.successors, [source], level=level,
                                     capacities=self.policy.advogato_capacities)
            details.update({"accepted": len(res.accepted), "flow": res.flow, "level": level})
            scores = [(-float(res.distance[v]), v) for v in res.accepted if v != source]
        else:
            fr, index = self._fairness_for(ctx)
            details["iterations"] = fr.iterations
            scores = [(float(fr.goodness[i]), v) for v, i in index.items() if v != source]
        best = sorted(scores, key=lambda s: (-s[0], s[1]))[:top]
        if algorithm == "advogato":
            entries = tuple(RankEntry(node=v, score=1.0) for _, v in best)
        else:
            entries = tuple(RankEntry(node=v, score=s) for s, v in best)
        return RankResult(source=source, context=ctx, algorithm=algorithm, entries=entries,
                          details=details)

    def _rank_ppr(self, view: EvaluatorView, source: str, algorithm: str, top: int,
                  details: dict[str, Any]) -> list[tuple[float, str]]:
        got = self._operator_ppr(view, self._seeds(algorithm, source))
        if got is None:
            return []
        res, op = got
        details.update({"nodes": op.n, "bound": float(f"{res.bound:.3g}"),
                        "matvecs": res.matvecs, "method": res.method})
        order = np.argsort(-res.x, kind="stable")
        kept: list[tuple[float, str]] = []  # min-heap of the best adjusted scores
        for i in order:
            raw = float(res.x[i])
            if raw <= 0 or (len(kept) >= top and raw <= kept[0][0]):
                break  # adjusted <= raw: nothing further can enter the top
            node = op.nodes[int(i)]
            if node == source:
                continue
            adjusted = raw * (1.0 - distrust(view, source, node).value)
            adjusted = referral_penalty(view, node).apply(adjusted)
            if len(kept) < top:
                heapq.heappush(kept, (adjusted, node))
            elif adjusted > kept[0][0]:
                heapq.heapreplace(kept, (adjusted, node))
        return kept


def _advogato_details(res: AdvogatoResult[str], target: str, level: float) -> dict[str, Any]:
    return {"accepted": target in res.accepted, "level": level,
            "capacity": res.capacity.get(target), "distance": res.distance.get(target),
            "flow": res.flow, "admitted": len(res.accepted)}
