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
``moletrust-trustlet``  Trustlet's MoleTrust (shared levels)
``tidaltrust``  strongest shortest paths (one target)
``ppr``         personalized PageRank from the evaluator    ranking
``eigentrust``  PageRank from the pre-trusted seeds
``advogato``    network-flow admission (1 accepted, 0 not)  admitting one
``fairness``    predicted rating f(source) g(target)        weighing raters
==============  ==========================================  ==============================

Two adjustments are applied *after* the algorithm, as explicit, named layers, each of which
can be turned off (``distrust="none"``, ``penalty=False``): the one-hop distrust of
``specs/trust.md`` section 4 (``ppr``/``eigentrust`` scores are multiplied by ``1 - d``; the
path metrics read negative edges under the one-step rule, or none at all with
``distrust="none"``) and the referral penalty of section 5. Every result carries the
algorithm's own figure (``raw``) beside the adjusted one, and the layers used.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import RemoteProtocolError
from ..model import Assertion, Scale
from . import many
from .accountability import Penalty, judge_referral, referral_penalty
from .advogato import AdvogatoResult, advogato_admission
from .batch import BatchResult
from .conversion import Claim, from_unit
from .explain import TrustPath, confidence, explain_paths, strongest_paths
from .fairness import FairnessResult, fairness_goodness
from .graph import EvaluatorView, TrustGraph
from .matrix import Operator, compiled, operator_for
from .negative import Distrust
from .negative import distrust as negative_distrust
from .pagerank import PageRankResult, pagerank_sparse
from .pathtrust import moletrust, moletrust_layers, moletrust_trustlet, tidaltrust_support
from .policy import DEFAULT_POLICY, TrustPolicy
from .results import DISTRUST_LAYERS, RankEntry, RankResult, TrustResult, check_layers, num
from .withdrawn import ErasedReferral, KeptJudgement

__all__ = [
    "ALGORITHMS",
    "DEFAULT_ALGORITHMS",
    "DISTRUST_LAYERS",
    "RankEntry",
    "RankResult",
    "TrustEngine",
    "TrustResult",
]

ALGORITHMS = ("moletrust", "moletrust-trustlet", "tidaltrust", "ppr", "eigentrust", "advogato",
              "fairness")
#: The algorithm a node uses for each question (specs/trust.md, "Defaults per use").
DEFAULT_ALGORITHMS: Mapping[str, str] = {
    "score": "moletrust", "rank": "ppr", "admit": "advogato", "raters": "fairness"}
_RANKING = frozenset({"ppr", "eigentrust"})
MAX_ID_LENGTH = 2048
MAX_TOP = 10_000


_NO_DISTRUST = Distrust(value=0.0, direct=False, sources=())
_NO_PENALTY = Penalty(value=0.0, referrals=())


def _positive(successors: Callable[[str], Iterable[tuple[str, float]]]
              ) -> Callable[[str], Iterable[tuple[str, float]]]:
    """The edges of positive weight only (``distrust="none"``: nothing negative is read)."""
    def out(u: str) -> Iterable[tuple[str, float]]:
        return ((v, w) for v, w in successors(u) if w > 0)
    return out


def check_id(name: str, value: object) -> str:
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

    # ------------------------------------------------------------- accountability
    def judge_erased(self, erased: ErasedReferral) -> KeptJudgement | None:
        """Judge a referral being erased, as its audience sees it, and keep the judgement.

        The figure ``bad`` of ``specs/trust.md`` section 5 over the time the referral
        vouched (``erased.since`` to ``erased.ended``), from the graph as it is (the
        referral itself may already be gone: its vouch never counts anyway). ``None`` when
        nothing was held against the referred party then: the referral simply disappears.
        Otherwise the judgement is applied (:meth:`keep`) until ``ended`` + the policy's
        ``withdrawn_referral_days``, and returned for the caller to store: a node keeps it
        in place of the erased referral (who referred, to whom, in which context, how bad,
        when; not whom it referred).
        """
        self.graph.remove(erased.referral)
        ended = erased.ended.timestamp()
        expires = ended + self.policy.withdrawn_referral_days * 86400.0
        if self.graph.now is not None and expires <= self.graph.now:
            return None
        view = self.graph.view(erased.audience, erased.context)
        bad = judge_referral(view, erased.referrer, erased.referred,
                             since=erased.since.timestamp(), until=ended)
        if bad <= 0:
            return None
        judgement = KeptJudgement(
            referral=erased.referral, referrer=erased.referrer, audience=erased.audience,
            context=erased.context, bad=bad, ended=erased.ended,
            expires=datetime.fromtimestamp(expires, UTC))
        self.graph.keep(judgement)
        return judgement

    def keep(self, judgement: KeptJudgement) -> bool:
        """Apply a kept judgement of an erased referral (a node's, read back from its
        store at start-up); see :meth:`TrustGraph.keep`."""
        return self.graph.keep(judgement)

    def forget(self, referral: str) -> bool:
        """Stop applying the kept judgement of an erased referral."""
        return self.graph.forget(referral)

    # ------------------------------------------------------------- helpers
    def resolve_context(self, context: str | None) -> str:
        """``context``, or the only context held when none is named."""
        if context is not None:
            return check_id("context", context)
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
              level: float = 0.0, explain: bool = True, distrust: str = "one-hop",
              penalty: bool = True) -> TrustResult:
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
        distrust:
            The distrust layer: ``one-hop`` (default; specs/trust.md section 4) or ``none``
            (no distrust figure; the path metrics read positive edges only).
        penalty:
            The referral-penalty layer (specs/trust.md section 5), on by default.
        """
        source = check_id("source", source)
        target = check_id("target", target)
        ctx = self.resolve_context(context)
        if algorithm not in ALGORITHMS:
            raise RemoteProtocolError(f"unknown algorithm {algorithm!r}: expected one of "
                                      f"{', '.join(ALGORITHMS)}")
        layers = check_layers(distrust, penalty)
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
        raw: float | None = None
        allow: Callable[[str, str, float, int], bool] | None = None
        known = source in view.graph and target in view.graph and source != target
        succ = view.successors if distrust == "one-hop" else _positive(view.successors)
        if known and distrust == "one-hop":
            d = negative_distrust(view, source, target)
        if known and penalty:
            pen = referral_penalty(view, target)
        if known and algorithm == "moletrust":
            raw, allow = self._moletrust(succ, source, target)
        elif known and algorithm == "moletrust-trustlet":
            pred = view.predecessors if distrust == "one-hop" \
                else _positive(view.predecessors)
            got = moletrust_trustlet(succ, pred, source, target, horizon=self.policy.horizon,
                                     threshold=self.policy.threshold)
            raw = got.get(target)
            if raw == 0.0:
                raw = None  # Trustlet's "no prediction"
        elif known and algorithm == "tidaltrust":
            raw, allow = self._tidaltrust(succ, source, target)
        elif known and algorithm in _RANKING:
            raw = self._ranking_value(view, source, target, algorithm, details, notes)
        elif known and algorithm == "advogato":
            res = advogato_admission(view.successors, [source], level=level,
                                     capacities=self.policy.advogato_capacities)
            raw = 1.0 if target in res.accepted else 0.0
            details.update(_advogato_details(res, target, level))

            def allow(u: str, v: str, w: float, depth: int) -> bool:
                return w >= level and (v == target or v in res.accepted)

        elif known and algorithm == "fairness":
            fr, index = self._fairness_for(ctx)
            i, j = index.get(source), index.get(target)
            if i is not None and j is not None:
                raw = fr.predict(i, j)
                details.update({"fairness_source": num(float(fr.fairness[i])),
                                "fairness_target": num(float(fr.fairness[j])),
                                "goodness_target": num(float(fr.goodness[j])),
                                "iterations": fr.iterations})
        value = raw
        if value is not None and algorithm in _RANKING:
            value = value * (1.0 - d.value)
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
                           paths=paths, details=details, notes=tuple(notes), raw=raw,
                           layers=layers)

    def _moletrust(self, successors: Callable[[str], Iterable[tuple[str, float]]],
                   source: str, target: str
                   ) -> tuple[float | None, Callable[[str, str, float, int], bool]]:
        threshold = self.policy.threshold
        trust, layer = moletrust_layers(successors, source, horizon=self.policy.horizon,
                                        threshold=threshold)
        goal = layer.get(target)

        def allow(u: str, v: str, w: float, depth: int) -> bool:
            if v == target:
                return goal == depth + 1
            return layer.get(v) == depth + 1 and trust[v] >= threshold

        return trust.get(target), allow

    def _tidaltrust(self, successors: Callable[[str], Iterable[tuple[str, float]]],
                    source: str, target: str
                    ) -> tuple[float | None, Callable[[str, str, float, int], bool]]:
        sup = tidaltrust_support(successors, source, target, max_depth=self.policy.horizon)

        def allow(u: str, v: str, w: float, depth: int) -> bool:
            if v == target:
                return depth + 1 == sup.depth
            return sup.layer.get(v) == depth + 1 and w >= sup.best

        return sup.value, allow

    def _ranking_value(self, view: EvaluatorView, source: str, target: str, algorithm: str,
                       details: dict[str, Any], notes: list[str]) -> float | None:
        got = self._operator_ppr(view, self._seeds(algorithm, source))
        if got is None:
            notes.append("a seed has no edges in this context")
            return None
        res, op = got
        i = op.index(target)
        raw = float(res.x[i]) if i is not None else 0.0
        details.update({"raw": num(raw), "rank": int((res.x > raw).sum()) + 1 if raw else None,
                        "nodes": op.n, "bound": float(f"{res.bound:.3g}"),
                        "matvecs": res.matvecs, "method": res.method,
                        "damping": self.policy.damping, "tolerance": self.policy.tolerance})
        return raw

    def rank(self, source: str, context: str | None = None, algorithm: str = "ppr", *,
             top: int = 10, level: float = 0.0, distrust: str = "one-hop",
             penalty: bool = True) -> RankResult:
        """The ``top`` nodes ``source`` trusts most (itself excluded), best first.

        ``ppr``/``eigentrust`` rank by probability times ``1 - distrust`` (the one-hop
        layer), ``moletrust`` by path trust, ``advogato`` lists the accepted nodes nearest
        first, ``fairness`` ranks by goodness. Referral penalties apply as in :meth:`trust`
        (``penalty``); each entry keeps the algorithm's own figure as ``raw``.
        """
        source = check_id("source", source)
        ctx = self.resolve_context(context)
        if not 1 <= top <= MAX_TOP:
            raise RemoteProtocolError(f"top must lie in 1..{MAX_TOP}, got {top}")
        if algorithm == "tidaltrust" or algorithm not in ALGORITHMS:
            raise RemoteProtocolError(f"cannot rank with {algorithm!r}: use one of "
                                      "moletrust, moletrust-trustlet, ppr, eigentrust, "
                                      "advogato, fairness")
        layers = check_layers(distrust, penalty)
        view = self.graph.view(source, ctx)
        details: dict[str, Any] = {}
        if source not in view.graph:
            return RankResult(source=source, context=ctx, algorithm=algorithm, entries=(),
                              details={"note": f"{source} has no edges in context “{ctx}”"},
                              layers=layers)
        scored = self._scored(view, ctx, source, algorithm, level, distrust, penalty, top,
                              details)
        best = sorted(scored, key=lambda s: (-s[0], s[1]))[:top]
        if algorithm == "advogato":
            entries = tuple(RankEntry(node=v, score=1.0, raw=1.0) for _, v, _ in best)
        else:
            entries = tuple(RankEntry(node=v, score=s, raw=r) for s, v, r in best)
        return RankResult(source=source, context=ctx, algorithm=algorithm, entries=entries,
                          details=details, layers=layers)

    def scores(self, source: str, context: str | None = None, algorithm: str = "ppr", *,
               level: float = 0.0, distrust: str = "one-hop", penalty: bool = True
               ) -> dict[str, tuple[float, float]]:
        """Every node ``source`` has a figure for: ``{node: (score, raw)}``, the score after
        the layers (:meth:`rank` without its cut; for experiments that need them all).

        ``ppr``/``eigentrust``: every node of positive probability; ``moletrust``: every
        node valued within the horizon; ``advogato``: the accepted nodes (1.0);
        ``fairness``: every node's goodness. ``source`` itself is left out.
        """
        source = check_id("source", source)
        ctx = self.resolve_context(context)
        if algorithm == "tidaltrust" or algorithm not in ALGORITHMS:
            raise RemoteProtocolError(f"cannot score every node with {algorithm!r}")
        check_layers(distrust, penalty)
        view = self.graph.view(source, ctx)
        if source not in view.graph:
            return {}
        got = self._scored(view, ctx, source, algorithm, level, distrust, penalty, None, {})
        if algorithm == "advogato":
            return {v: (1.0, 1.0) for _, v, _ in got}
        return {v: (sc, raw) for sc, v, raw in got}

    def _scored(self, view: EvaluatorView, ctx: str, source: str, algorithm: str,
                level: float, distrust: str, penalty: bool, top: int | None,
                details: dict[str, Any]) -> list[tuple[float, str, float]]:
        """``(adjusted, node, raw)`` for the nodes ``algorithm`` gives ``source`` a figure
        for (``advogato``: ``(-distance, node, 1.0)`` of the accepted); with ``top``, the
        ``ppr`` scan stops once nothing further can enter the top."""
        succ = view.successors if distrust == "one-hop" else _positive(view.successors)

        def adjust(v: str, raw: float) -> float:
            return _adjusted(view, source, v, raw, algorithm, distrust, penalty)

        if algorithm in _RANKING:
            got = self._operator_ppr(view, self._seeds(algorithm, source))
            if got is None:
                return []
            res, op = got
            details.update({"nodes": op.n, "bound": float(f"{res.bound:.3g}"),
                            "matvecs": res.matvecs, "method": res.method})
            if top is not None:
                return self._top_ppr(view, source, res.x, op.nodes, top, distrust, penalty)
            return [(adjust(op.nodes[int(i)], float(res.x[i])), op.nodes[int(i)],
                     float(res.x[i])) for i in np.flatnonzero(res.x > 0)
                    if op.nodes[int(i)] != source]
        if algorithm in ("moletrust", "moletrust-trustlet"):
            if algorithm == "moletrust":
                values = moletrust(succ, source, horizon=self.policy.horizon,
                                   threshold=self.policy.threshold)
            else:
                pred = view.predecessors if distrust == "one-hop" \
                    else _positive(view.predecessors)
                values = {v: t for v, t in moletrust_trustlet(
                    succ, pred, source, horizon=self.policy.horizon,
                    threshold=self.policy.threshold).items() if t != 0.0}
            return [(adjust(v, t), v, t) for v, t in values.items()]
        if algorithm == "advogato":
            res_a = advogato_admission(view.successors, [source], level=level,
                                       capacities=self.policy.advogato_capacities)
            details.update({"accepted": len(res_a.accepted), "flow": res_a.flow,
                            "level": level})
            return [(-float(res_a.distance[v]), v, 1.0) for v in res_a.accepted
                    if v != source]
        fr, index = self._fairness_for(ctx)
        details["iterations"] = fr.iterations
        return [(adjust(v, float(fr.goodness[i])), v, float(fr.goodness[i]))
                for v, i in index.items() if v != source]

    def top_of(self, source: str, context: str, x: npt.NDArray[np.float64],
               nodes: Sequence[str], top: int, *, distrust: str = "one-hop",
               penalty: bool = True) -> list[tuple[float, str, float]]:
        """The ``top`` nodes of a ``ppr`` vector ``x`` over ``nodes`` after the layers, as
        ``(score, node, raw)`` (for vectors solved elsewhere: :func:`~.many.rank_many`)."""
        view = self.graph.view(source, context)
        return self._top_ppr(view, source, x, nodes, top, distrust, penalty)

    def _top_ppr(self, view: EvaluatorView, source: str, x: npt.NDArray[np.float64],
                 nodes: Sequence[str], top: int, distrust: str, penalty: bool
                 ) -> list[tuple[float, str, float]]:
        """The ``top`` nodes of the vector ``x`` (over ``nodes``) after the layers, as
        ``(adjusted, node, raw)``; the adjusted score never exceeds the raw one, so the
        scan stops at the first raw score that cannot enter the top."""
        order = np.argsort(-x, kind="stable")
        kept: list[tuple[float, str, float]] = []  # min-heap of the best adjusted scores
        for i in order:
            raw = float(x[i])
            if raw <= 0 or (len(kept) >= top and raw <= kept[0][0]):
                break
            node = nodes[int(i)]
            if node == source:
                continue
            adjusted = _adjusted(view, source, node, raw, "ppr", distrust, penalty)
            if len(kept) < top:
                heapq.heappush(kept, (adjusted, node, raw))
            elif adjusted > kept[0][0]:
                heapq.heapreplace(kept, (adjusted, node, raw))
        return kept

    def adjust(self, source: str, raws: Mapping[str, float], context: str | None = None,
               algorithm: str = "ppr", *, distrust: str = "one-hop", penalty: bool = True
               ) -> dict[str, float]:
        """The layers applied to figures an algorithm gave ``source`` (``raws``: node to
        raw figure), as :meth:`trust` applies them: for experiments that solve many
        vectors at once (:meth:`ppr_many`) and score every node."""
        ctx = self.resolve_context(context)
        check_layers(distrust, penalty)
        view = self.graph.view(source, ctx)
        return {v: _adjusted(view, source, v, r, algorithm, distrust, penalty)
                for v, r in raws.items()}

    # ------------------------------------------------------------- many at once
    def rank_many(self, sources: Sequence[str], context: str | None = None, *,
                  top: int = 10, distrust: str = "one-hop", penalty: bool = True,
                  block: int = 16,
                  map_blocks: Callable[..., Iterable[BatchResult]] = map,
                  ) -> list[RankResult]:
        """:meth:`rank` by ``ppr`` for many evaluators, solved together
        (:func:`~.many.rank_many`: one batch, the same rankings)."""
        return many.rank_many(self, sources, context, top=top, distrust=distrust,
                              penalty=penalty, block=block, map_blocks=map_blocks)

    def ppr_many(self, sources: Sequence[str], context: str | None = None, *,
                 block: int = 16, map_blocks: Callable[..., Iterable[BatchResult]] = map
                 ) -> many.PprBatch:
        """Personalized PageRank vectors of many evaluators (:func:`~.many.ppr_many`)."""
        return many.ppr_many(self, sources, context, block=block, map_blocks=map_blocks)


def _adjusted(view: EvaluatorView, source: str, node: str, raw: float, algorithm: str,
              distrust: str, penalty: bool) -> float:
    """``raw`` after the layers: ``1 - distrust`` for the ranking algorithms (one-hop layer),
    then the referral penalty (every algorithm but ``advogato``)."""
    out = raw
    if algorithm in _RANKING and distrust == "one-hop" and node != source:
        out *= 1.0 - negative_distrust(view, source, node).value
    if penalty and algorithm != "advogato":
        out = referral_penalty(view, node).apply(out)
    return out


def _advogato_details(res: AdvogatoResult[str], target: str, level: float) -> dict[str, Any]:
    return {"accepted": target in res.accepted, "level": level,
            "capacity": res.capacity.get(target), "distance": res.distance.get(target),
            "flow": res.flow, "admitted": len(res.accepted)}
