"""Negative ratings: distrust from the evaluator's direct and one-hop view, never further.

Signed data sets rate from -10 to +10; Confiance maps them to [-1, 1] (``conversion.py``).
A negative weight means distrust, and distrust does not compose the way trust does: the
enemy of my enemy is not my friend, and my friend's friend's enemy tells me little. So,
after Guha, Kumar, Raghavan and Tomkins (WWW 2004: distrust propagated one step only):

- the evaluator's own statement about the target decides: a negative one is distrust of its
  magnitude, a positive one means no distrust whatever others say;
- otherwise, the evaluator's trusted acquaintances (direct positive edges ``w(S, j)``)
  that state an opinion about the target are averaged, weighted by that trust; only their
  negative statements count as distrust::

      d(S, t) = sum_{j: w(j, t) < 0} w(S, j) * |w(j, t)| / sum_{j: w(j, t) exists} w(S, j)

- nobody else's negative statements count, and distrusted nodes pass nothing on.

The figure is used by the ranking metrics (``ppr`` and ``eigentrust`` scores are multiplied
by ``1 - d``) and by referral accountability; the path metrics apply the same rule inside
their propagation (``pathtrust.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .graph import EvaluatorView

__all__ = ["Distrust", "distrust"]


@dataclass(frozen=True)
class Distrust:
    """How much ``source`` distrusts ``target`` (0..1), and on whose word.

    ``direct`` is true when the evaluator's own statement decided; ``sources`` lists
    ``(node, weight)`` for each negative statement counted (the node's trust by the
    evaluator is in the weighting, not in this list).
    """

    value: float
    direct: bool
    sources: tuple[tuple[str, float], ...]


NONE = Distrust(value=0.0, direct=False, sources=())


def distrust(view: EvaluatorView, source: str, target: str, *,
             since: float | None = None) -> Distrust:
    """The one-step distrust figure ``d(source, target)`` of the module docstring.

    ``since`` (seconds) keeps only negative statements made at or after that time;
    positive opinions weigh in whatever their time. (Referral accountability judges a
    referral by its own figure, ``accountability.judge_referral``.)
    """
    if source == target or target not in view.graph:
        return NONE
    direct = view.resolve(source, target)
    if direct is not None:
        if direct.weight < 0 and (since is None or direct.claim.time >= since):
            return Distrust(value=min(1.0, -direct.weight), direct=True,
                            sources=((source, direct.weight),))
        return Distrust(value=0.0, direct=True, sources=())
    num = den = 0.0
    sources: list[tuple[str, float]] = []
    for j, trust_j in trusted_acquaintances(view, source, target):
        res = view.resolve(j, target)
        if res is None:
            continue
        den += trust_j
        if res.weight < 0 and (since is None or res.claim.time >= since):
            num += trust_j * -res.weight
            sources.append((j, res.weight))
    if den <= 0 or num <= 0:
        return NONE
    return Distrust(value=min(1.0, num / den), direct=False, sources=tuple(sorted(sources)))


def trusted_acquaintances(view: EvaluatorView, source: str, target: str
                          ) -> Iterator[tuple[str, float]]:
    """``source``'s trusted acquaintances that have an edge to ``target``, each with
    ``w(source, j) > 0``: whose opinions of ``target`` the one-step figures average (here
    and in referral accountability's judgement, ``accountability.py``)."""
    preds = view.graph.pred[target]
    out = view.graph.succ.get(source, {})
    candidates = [j for j in out if j in preds] if len(out) < len(preds) \
        else [j for j in preds if j in out]
    for j in candidates:
        if j == source:
            continue
        trust_j = view.edge_weight(source, j)
        if trust_j is not None and trust_j > 0:
            yield j, trust_j
