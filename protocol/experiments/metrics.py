"""What experiments measure: prediction error, ranking quality, attacker gains.

- :func:`prediction_metrics`: RMSE, MAE, Pearson correlation and coverage of predicted
  edge weights against the true ones. Kumar et al. score every held-out edge (a missing
  prediction counts as ``fill``); Trustlet scores the predicted ones only and reports the
  coverage beside (``fill=None``). Both conventions are offered, and the result says which.
- :func:`roc_auc`: the probability that a random honest node scores above a random
  attacker (ties count one half): the Mann–Whitney statistic, computed from ranks.
- :func:`mean_ci`: the mean over repetitions with a normal 95% interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from ..errors import LocalProtocolError

__all__ = ["mean_ci", "merge_sums", "metrics_from_sums", "prediction_metrics", "prediction_sums",
           "roc_auc"]

FloatArray = npt.NDArray[np.float64]


def prediction_sums(actual: FloatArray, predicted: FloatArray, *,
                    fill: float | None = None) -> dict[str, float | int | None]:
    """The sufficient statistics of :func:`prediction_metrics` (they add up over chunks of
    edges: :func:`merge_sums`)."""
    actual = np.asarray(actual, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if actual.shape != predicted.shape:
        raise LocalProtocolError("actual and predicted must have the same length")
    have = ~np.isnan(predicted)
    if fill is not None:
        a, p = actual, np.where(have, predicted, fill)
    else:
        a, p = actual[have], predicted[have]
    err = p - a
    return {"edges": len(actual), "predicted": int(have.sum()), "scored": len(a),
            "missing_as": fill, "sq": float((err * err).sum()), "abs": float(np.abs(err).sum()),
            "sa": float(a.sum()), "sp": float(p.sum()), "saa": float((a * a).sum()),
            "spp": float((p * p).sum()), "sap": float((a * p).sum())}


def merge_sums(parts: Sequence[dict[str, float | int | None]]) -> dict[str, float | int | None]:
    """Sufficient statistics of several chunks, added."""
    out: dict[str, float | int | None] = {}
    for part in parts:
        for key, value in part.items():
            if key == "missing_as":
                out[key] = value
            elif isinstance(value, int | float):
                prev = out.get(key, 0)
                out[key] = (prev if isinstance(prev, int | float) else 0) + value
    return out


def metrics_from_sums(sums: dict[str, float | int | None]) -> dict[str, float | int | None]:
    """RMSE, MAE, Pearson and coverage from :func:`prediction_sums` (merged or not)."""
    def num(key: str) -> float:
        value = sums.get(key, 0)
        return float(value) if isinstance(value, int | float) else 0.0

    n, edges = num("scored"), num("edges")
    out: dict[str, float | int | None] = {
        "edges": int(edges), "predicted": int(num("predicted")), "scored": int(n),
        "coverage": num("predicted") / edges if edges else 0.0,
        "missing_as": sums.get("missing_as")}
    if not n:
        out.update(rmse=None, mae=None, pearson=None)
        return out
    out["rmse"] = math.sqrt(max(num("sq"), 0.0) / n)
    out["mae"] = num("abs") / n
    va = n * num("saa") - num("sa") ** 2
    vp = n * num("spp") - num("sp") ** 2
    cov = n * num("sap") - num("sa") * num("sp")
    out["pearson"] = cov / math.sqrt(va * vp) if va > 0 and vp > 0 else None
    return out


def prediction_metrics(actual: FloatArray, predicted: FloatArray, *,
                       fill: float | None = None) -> dict[str, float | int | None]:
    """Error of ``predicted`` (``nan``: no prediction) against ``actual``.

    With ``fill`` a number, every edge is scored, a missing prediction counting as
    ``fill``; with ``fill=None`` only the predicted edges are. ``coverage`` is the fraction
    predicted either way.

    Examples
    --------
    >>> import numpy as np
    >>> m = prediction_metrics(np.array([1.0, 0.5, -1.0]), np.array([0.8, np.nan, -0.6]))
    >>> round(m["rmse"], 4), round(m["mae"], 4), round(m["coverage"], 4)
    (0.3162, 0.3, 0.6667)
    """
    return metrics_from_sums(prediction_sums(actual, predicted, fill=fill))


def roc_auc(positive: Sequence[float] | FloatArray, negative: Sequence[float] | FloatArray
            ) -> float | None:
    """P(score of a random positive > score of a random negative), ties one half.

    ``None`` when either side is empty.

    Examples
    --------
    >>> roc_auc([0.9, 0.8], [0.1, 0.8])
    0.875
    """
    pos = np.asarray(positive, dtype=np.float64)
    neg = np.asarray(negative, dtype=np.float64)
    if not len(pos) or not len(neg):
        return None
    ranks = rankdata(np.concatenate([pos, neg]))
    u = float(ranks[:len(pos)].sum()) - len(pos) * (len(pos) + 1) / 2.0
    return u / (len(pos) * len(neg))


def mean_ci(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """Mean, standard deviation and a normal 95% interval half-width over the values given
    (``None`` entries are left out and counted)."""
    have = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not have:
        return {"mean": None, "std": None, "ci95": None, "n": 0}
    arr = np.asarray(have)
    std = float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
    return {"mean": float(arr.mean()), "std": std,
            "ci95": 1.96 * std / math.sqrt(len(arr)) if len(arr) > 1 else 0.0, "n": len(arr)}
