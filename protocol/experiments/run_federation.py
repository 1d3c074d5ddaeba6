"""One repetition of a federation experiment: sites with their own scales, unilateral
recognitions, and how trust crosses from one site to another.

Each site (``[[federation.site]]``: ``name``, ``scale``, ``members``, ``context``) rates
its members on its own scale, from a latent quality ``q ~ Beta(a, b)`` drawn per user (the
same user may belong to several sites: the pool has ``users`` people), with noise:

==============  ==========================================================================
``scale``       what the site publishes about a member
==============  ==========================================================================
``stars``       a Rating on 1..5: ``round(1 + 4 q + noise)``
``signed``      a Rating on -10..10: ``round(20 q - 10 + noise)``
``percent``     a TrustMark "x% positive" with ``statusValue`` ``100 q + noise`` (0..100)
``categorical`` a TrustMark whose status is ``gold`` (q >= 0.8), ``silver`` (>= 0.6),
                ``bronze`` (>= 0.4) or ``new``
==============  ==========================================================================

Each ``[[federation.recognition]]`` (``by``, ``of``, ``rule``: a conversion rule in its JSON
form, ``scale`` "MIN:MAX" of the reader, optional ``source_context``) becomes a signed-form
Recognition assertion fed to the engine: the reader now reads the other site's marks (or
ratings) through the rule, in its own context, and no one else's view changes.

Measured for every ordered pair (reader ``A``, site ``B``), with ``A``'s operator as the
evaluator (``moletrust``, score on ``A``'s scale, and ``ppr``):

- ``coverage``: the fraction of ``B``'s members who are not ``A``'s that ``A`` can score;
- ``pearson`` (moletrust) and ``spearman`` (both) between those scores and the latent
  quality: does the translated trust keep its meaning?
- ``calibration``: for members of both sites, the mean absolute difference between
  ``A``'s own statement (its rating, or its mark's value) and ``A``'s reading of ``B``'s,
  on the scale of ``A``'s Recognition of ``B``;
- the rule's sentence, as explanations show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from ..errors import ConfianceError, MalformedDocument
from ..model import Rating, Recognition, Scale, TrustMark
from ..rules import rule_from_json
from ..trust import TrustEngine, from_unit
from .scenario import Task, policy_of

__all__ = ["SCALES", "run_federation"]

SCALES: Mapping[str, Scale] = {"stars": Scale(minimum=1, maximum=5),
                               "signed": Scale(minimum=-10, maximum=10),
                               "percent": Scale(minimum=0, maximum=100),
                               "categorical": Scale(minimum=0, maximum=1)}
T0 = datetime(2026, 1, 1, tzinfo=UTC)
MAX_USERS = 100_000


def _site_did(name: str) -> str:
    return f"did:web:{name}.example"


def _mark(name: str) -> str:
    return f"https://{name}.example/marks/standing"


def _scale(text: object, where: str) -> Scale:
    if not isinstance(text, str) or text.count(":") != 1:
        raise MalformedDocument(f"{where} must be MIN:MAX, got {text!r}")
    lo, hi = text.split(":")
    try:
        return Scale(minimum=float(lo), maximum=float(hi))
    except (ValueError, ConfianceError) as exc:
        raise MalformedDocument(f"{where}: {exc}") from None


def _publish(site: Mapping[str, Any], quality: float, noise: float, rng: np.random.Generator
             ) -> tuple[str, Any]:
    kind = site.get("scale", "stars")
    if kind == "stars":
        return "rating", float(np.clip(round(1 + 4 * quality + rng.normal(0, 4 * noise)), 1, 5))
    if kind == "signed":
        return "rating", float(np.clip(round(20 * quality - 10 + rng.normal(0, 20 * noise)),
                                       -10, 10))
    if kind == "percent":
        return "mark", float(np.clip(round(100 * quality + rng.normal(0, 100 * noise), 1),
                                     0, 100))
    status = "gold" if quality >= 0.8 else "silver" if quality >= 0.6 \
        else "bronze" if quality >= 0.4 else "new"
    return "status", status


def run_federation(task: Task, rng: np.random.Generator) -> dict[str, Any]:
    """Build the sites, feed the engine, measure every ordered pair (module docstring)."""
    fed = task.params["federation"]
    policy = policy_of(task.params)
    sites = fed["site"]
    names = []
    for i, site in enumerate(sites):
        if not isinstance(site, Mapping) or not isinstance(site.get("name"), str) \
                or not site["name"].isalnum() or len(site["name"]) > 40:
            raise MalformedDocument(f"federation.site[{i}].name must be a short alphanumeric "
                                    "name")
        if site.get("scale", "stars") not in SCALES:
            raise MalformedDocument(f"federation.site[{i}].scale must be one of "
                                    f"{', '.join(SCALES)}")
        names.append(site["name"])
    if len(set(names)) != len(names):
        raise MalformedDocument("federation: two sites have the same name")
    users = int(fed.get("users", 300))
    if not 2 <= users <= MAX_USERS:
        raise MalformedDocument(f"federation.users must lie in 2..{MAX_USERS}")
    noise = float(fed.get("noise", 0.05))
    quality = rng.beta(float(fed.get("a", 2.0)), float(fed.get("b", 2.0)), users)
    user_ids = [f"did:web:people.example:u{i}" for i in range(users)]
    engine = TrustEngine(policy)
    members: dict[str, np.ndarray] = {}
    published: dict[str, dict[int, Any]] = {}
    count = 0
    for site in sites:
        name = site["name"]
        context = site.get("context", "seller")
        size = int(site.get("members", users // 2))
        if not 1 <= size <= users:
            raise MalformedDocument(f"federation.site {name}: members must lie in 1..{users}")
        chosen = np.sort(rng.choice(users, size=size, replace=False))
        members[name] = chosen
        published[name] = {}
        for u in chosen.tolist():
            form, value = _publish(site, float(quality[u]), noise, rng)
            published[name][u] = value
            count += 1
            when = T0 + timedelta(seconds=count)
            if form == "rating":
                assertion: Any = Rating(issuer=_site_did(name), subject=user_ids[u],
                                        score=value, scale=SCALES[site.get("scale", "stars")],
                                        context=context, valid_from=when)
            else:
                assertion = TrustMark(
                    issuer=_site_did(name), subject=user_ids[u], mark=_mark(name),
                    status=f"{value:g}% positive" if form == "mark" else str(value),
                    value=value if form == "mark" else None, context=context,
                    valid_from=when)
            engine.add(f"sim:{name}:{u}", assertion)
    sentences: dict[tuple[str, str], str] = {}
    rec_scales: dict[tuple[str, str], Scale] = {}
    for i, rec in enumerate(fed.get("recognition", [])):
        by, of = rec.get("by"), rec.get("of")
        if by not in names or of not in names or by == of:
            raise MalformedDocument(f"federation.recognition[{i}]: by and of must name two "
                                    "different sites")
        target_site = sites[names.index(of)]
        reads_marks = target_site.get("scale", "stars") in ("percent", "categorical")
        scale = _scale(rec.get("scale", "1:5"), f"federation.recognition[{i}].scale")
        by_site = sites[names.index(by)]
        recognition = Recognition(
            issuer=_site_did(by), recognised=_site_did(of), rule=rule_from_json(rec.get("rule")),
            mark=_mark(of) if reads_marks else None, scale=scale,
            source_context=rec.get("source_context"),
            context=by_site.get("context", "seller"), valid_from=T0 + timedelta(days=1))
        engine.add(f"sim:recognition:{by}:{of}", recognition)
        sentences[(by, of)] = f"{by} reads {of}: {recognition.rule.explain()}"
        rec_scales[(by, of)] = scale
    pairs = []
    for a in names:
        site_a = sites[names.index(a)]
        context = site_a.get("context", "seller")
        scale_a = SCALES[site_a.get("scale", "stars")] if site_a.get("scale", "stars") in (
            "stars", "signed") else None
        own = members[a]
        for b in names:
            if a == b:
                continue
            foreign = np.setdiff1d(members[b], own)
            shared = np.intersect1d(members[b], own)
            scores, truth, ranks, rank_truth = [], [], [], []
            for u in foreign.tolist():
                res = engine.trust(_site_did(a), user_ids[u], context, "moletrust",
                                   explain=False, scale=scale_a)
                if res.score is not None:
                    scores.append(res.score)
                    truth.append(float(quality[u]))
                ppr = engine.trust(_site_did(a), user_ids[u], context, "ppr", explain=False)
                if ppr.value:
                    ranks.append(ppr.value)
                    rank_truth.append(float(quality[u]))
            calibration = []
            if (a, b) in rec_scales:
                for u in shared.tolist():
                    via = _reading(engine, _site_did(a), _site_did(b), user_ids[u], context,
                                   rec_scales[(a, b)])
                    mine = published[a][u]
                    if via is not None and isinstance(mine, float):
                        calibration.append(abs(via - mine))
            pairs.append({
                "reader": a, "site": b, "recognised": (a, b) in sentences,
                "rule": sentences.get((a, b)), "foreign_members": len(foreign),
                "coverage": len(scores) / len(foreign) if len(foreign) else None,
                "pearson": _pearson(scores, truth),
                "spearman": _spearman(scores, truth),
                "ppr_coverage": len(ranks) / len(foreign) if len(foreign) else None,
                "ppr_spearman": _spearman(ranks, rank_truth),
                "shared_members": len(shared),
                "calibration": float(np.mean(calibration)) if calibration else None})
    return {"sites": [{"name": s["name"], "scale": s.get("scale", "stars"),
                       "members": len(members[s["name"]]),
                       "context": s.get("context", "seller")} for s in sites],
            "users": users, "pairs": pairs}


def _reading(engine: TrustEngine, reader: str, site: str, user: str, context: str,
             scale: Scale) -> float | None:
    """How ``reader`` reads ``site``'s statement about ``user``, on ``reader``'s scale."""
    view = engine.graph.view(reader, context)
    w = view.edge_weight(site, user)
    return None if w is None else from_unit(scale, w)


def _pearson(x: list[float], y: list[float]) -> float | None:
    if len(x) < 3 or float(np.std(x)) == 0 or float(np.std(y)) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _spearman(x: list[float], y: list[float]) -> float | None:
    if len(x) < 3 or float(np.std(x)) == 0 or float(np.std(y)) == 0:
        return None
    return float(spearmanr(x, y).statistic)
