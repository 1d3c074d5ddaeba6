"""Rater reliability: Fairness and Goodness (Kumar, Spezzano, Subrahmanian, Faloutsos 2016).

"Rate the raters": in a signed, weighted rating network, a node's *goodness* is how much it
is trusted (the average of the ratings it receives, each weighted by its rater's fairness),
and a rater's *fairness* is how much its ratings can be believed (one minus its average
distance from the consensus about whom it rated). With weights ``W(u, v)`` in [-1, 1]:

    g(v) = 1 / |in(v)|  * sum_{u in in(v)}  f(u) W(u, v)
    f(u) = 1 - 1 / (2 |out(u)|) * sum_{v in out(u)} |W(u, v) - g(v)|

iterated from ``f = 1`` (goodness first) to a fixed point; the paper proves convergence, the
error halving at least every step. A node nobody rated has goodness 0 (no evidence); a node
that rated nobody has fairness 1 (no evidence against it). The likely weight of a new rating
``u -> v`` is ``f(u) * g(v)``.

A node uses fairness to *weigh raters*: a rating's weight in an average is its rater's
fairness (``specs/trust.md``, defaults per use).

References
----------
.. [1] S. Kumar, F. Spezzano, V. S. Subrahmanian, C. Faloutsos, "Edge weight prediction in
   weighted signed networks", IEEE ICDM 2016, pp. 221-230.

Examples
--------
Two raters of one node, one saying 1 and one saying 0; the consensus settles at 1/3:

>>> import numpy as np, scipy.sparse as sp
>>> w = sp.csr_array((np.array([1.0, 0.0]), (np.array([0, 1]), np.array([2, 2]))),
...                  shape=(3, 3))
>>> res = fairness_goodness(w)
>>> [round(float(v), 6) for v in res.fairness], round(float(res.goodness[2]), 6)
([0.666667, 0.833333, 1.0], 0.333333)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ..errors import LocalProtocolError

__all__ = ["FairnessResult", "fairness_goodness"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class FairnessResult:
    """Fairness and goodness per node index, and the iterations it took."""

    fairness: FloatArray
    goodness: FloatArray
    iterations: int

    def predict(self, u: int, v: int) -> float:
        """The likely weight of a rating ``u -> v``: ``f(u) * g(v)``."""
        return float(self.fairness[u] * self.goodness[v])


def fairness_goodness(weights: sp.csr_array | sp.csr_matrix, *, tol: float = 1e-12,
                      max_iter: int = 1000) -> FairnessResult:
    """Fairness and goodness of every node of a signed weighted graph.

    Parameters
    ----------
    weights:
        Square CSR matrix; every *stored* entry ``(u, v)`` is a rating in [-1, 1] (stored
        zeros are neutral ratings, not missing ones).
    tol:
        Stop when the L1 changes of both vectors are below ``tol``.
    max_iter:
        Safety bound on the iterations.
    """
    w = sp.csr_array(weights)
    n = w.shape[0]
    if w.shape != (n, n):
        raise LocalProtocolError("the weight matrix must be square")
    data = np.clip(np.asarray(w.data, dtype=np.float64), -1.0, 1.0)
    indices, indptr = w.indices, w.indptr
    out_deg = np.diff(indptr).astype(np.float64)
    in_deg = np.bincount(indices, minlength=n).astype(np.float64)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    rated = in_deg > 0
    rates = out_deg > 0
    f = np.ones(n)
    g = np.zeros(n)
    for iteration in range(1, max_iter + 1):
        g_new = np.zeros(n)
        g_new[rated] = (np.bincount(indices, weights=f[rows] * data, minlength=n)[rated]
                        / in_deg[rated])
        dist = np.abs(data - g_new[indices])
        f_new = np.ones(n)
        f_new[rates] = 1.0 - (np.bincount(rows, weights=dist, minlength=n)[rates]
                              / (2.0 * out_deg[rates]))
        df = float(np.abs(f_new - f).sum())
        dg = float(np.abs(g_new - g).sum())
        f, g = f_new, g_new
        if df < tol and dg < tol:
            return FairnessResult(fairness=f, goodness=g, iterations=iteration)
    raise LocalProtocolError(f"fairness/goodness did not converge in {max_iter} iterations")
