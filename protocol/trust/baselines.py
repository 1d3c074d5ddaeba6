"""Global baselines that the trust-metric literature compares against, as leave-one-out
predictors of an edge's weight.

They need no path and no evaluator: what the target received, or what the pair said the
other way. Each is defined where it was published, and each predicts the held-out edge
``(u, v)`` from the graph *without* that edge:

- :func:`ebay_predictions`: Trustlet's ``ebay_tm`` (Massa, Souren et al.): the average of
  the weights ``v`` received from everyone else, like an auction site's feedback score.
  ``None`` when nobody else rated ``v`` (Trustlet prints 0.0: "not predicted").
- :func:`reciprocal_predictions`: Kumar et al.'s *Reciprocal* baseline (ICDM 2016): the
  weight of the reverse edge ``(v, u)``; without one, no prediction. Their protocol scores
  every held-out edge, so a missing reverse edge counts as a prediction of 0 (neutral) in
  their RMSE and correlation; :func:`reciprocal_predictions` returns ``nan`` there and the
  caller decides (``specs/trust.md`` section 9 states the choice made for the tables).

Both are vectorised over all edges of an edge list: arrays in, arrays out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..errors import LocalProtocolError

__all__ = ["ebay_predictions", "reciprocal_predictions"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _check(sources: IntArray, targets: IntArray, weights: FloatArray) -> None:
    if not (len(sources) == len(targets) == len(weights)):
        raise LocalProtocolError("sources, targets and weights must have the same length")


def ebay_predictions(sources: IntArray, targets: IntArray, weights: FloatArray,
                     n: int | None = None) -> FloatArray:
    """For each edge ``k``, the average weight its target received from the others
    (``nan`` when it received none from anyone else).

    Examples
    --------
    >>> import numpy as np
    >>> ebay_predictions(np.array([0, 1, 2]), np.array([3, 3, 0]), np.array([1.0, 0.6, 0.8]))
    array([0.6, 1. , nan])
    """
    _check(sources, targets, weights)
    size = int(max(targets.max(initial=-1), sources.max(initial=-1)) + 1) if n is None else n
    total = np.bincount(targets, weights=weights, minlength=size)
    count = np.bincount(targets, minlength=size).astype(np.float64)
    others = count[targets] - 1.0
    rest = total[targets] - weights
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(others > 0, rest / np.where(others > 0, others, 1.0),
                                   np.nan)
    return out


def reciprocal_predictions(sources: IntArray, targets: IntArray, weights: FloatArray
                           ) -> FloatArray:
    """For each edge ``(u, v)``, the weight of ``(v, u)`` (``nan`` when there is none).

    Examples
    --------
    >>> import numpy as np
    >>> reciprocal_predictions(np.array([0, 1, 0]), np.array([1, 0, 2]),
    ...                        np.array([0.5, -0.2, 1.0]))
    array([-0.2,  0.5,  nan])
    """
    _check(sources, targets, weights)
    size = int(max(targets.max(initial=-1), sources.max(initial=-1)) + 1)
    key = sources.astype(np.int64) * size + targets
    back = targets.astype(np.int64) * size + sources
    order = np.argsort(key, kind="stable")
    found = np.searchsorted(key[order], back)
    found = np.minimum(found, len(key) - 1)
    hit = key[order][found] == back if len(key) else np.zeros(0, dtype=bool)
    out: FloatArray = np.where(hit, weights[order][found], np.nan)
    return out
