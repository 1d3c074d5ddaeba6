"""Personalized PageRank and EigenTrust with pre-trusted seeds, to a guaranteed tolerance.

The definition (normative in ``specs/trust.md``). Given positive edge weights ``w(u, v)``
(edges of weight <= 0 are left out), the transition probabilities are
``P[u, v] = w(u, v) / sum_v' w(u, v')``. A node with no positive out-edge is *dangling*.
With a restart distribution ``p`` (the evaluator alone for ``ppr``; the pre-trusted seeds
for ``eigentrust``) and damping ``a`` (0.85), the score vector is the unique fixed point of

    F(x) = a P^T x + (a * sum_{u dangling} x[u] + (1 - a) * sum(x)) p

that sums to 1: a walker follows a weighted out-edge with probability ``a``, restarts at
``p`` otherwise, and restarts at ``p`` whenever it reaches a dangling node. EigenTrust
(Kamvar, Schlosser, Garcia-Molina 2003, with pre-trusted peers and ``a`` = 1 - their
restart weight) is the same computation with ``p`` spread over the seeds.

Convergence is guaranteed, not hoped for: ``F`` is a contraction of factor ``a`` in L1, so
for the returned ``x = F(x')``, ``||x - x*||_1 <= a / (1 - a) * ||x - x'||_1``; both
implementations stop only when that bound is below ``tol`` (1e-12 by default), unlike
``networkx.pagerank``'s default, which stops when the L1 step is below ``n * 1e-6``.

Two implementations agree on every input:

- :func:`pagerank_reference`: power iteration over dictionaries, to read and to check;
- :func:`pagerank_sparse`: scipy sparse. It solves the equivalent linear system
  ``(I - a P^T) y = p`` with BiCGSTAB (the fixed point is ``y / sum(y)``: dangling mass
  returned to ``p`` only rescales the solution), then verifies the L1 bound with ``F``
  and finishes with power steps if needed.

References
----------
.. [1] L. Page, S. Brin, R. Motwani, T. Winograd, "The PageRank citation ranking: bringing
   order to the web", Stanford InfoLab, 1999.
.. [2] S. D. Kamvar, M. T. Schlosser, H. Garcia-Molina, "The EigenTrust algorithm for
   reputation management in P2P networks", WWW 2003.
.. [3] D. Gleich, L. Zhukov, P. Berkhin, "Fast parallel PageRank: a linear system
   approach", Yahoo! Research TR, 2004.

Examples
--------
>>> edges = {"s": [("a", 1.0), ("b", 1.0)], "a": [("b", 1.0)], "b": [("s", 1.0)]}
>>> x = pagerank_reference(lambda u: edges.get(u, []), {"s": 1.0})
>>> round(x["s"], 6), round(x["a"], 6), round(x["b"], 6)
(0.452233, 0.192199, 0.355568)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ..errors import LocalProtocolError

__all__ = [
    "PageRankResult",
    "TransitionOperator",
    "pagerank_reference",
    "pagerank_sparse",
    "restart_vector",
]

N = TypeVar("N", bound=Hashable)
FloatArray = npt.NDArray[np.float64]


def _check(damping: float, tol: float) -> None:
    if not 0 < damping < 1:
        raise LocalProtocolError(f"damping must lie in (0, 1), got {damping!r}")
    if not 0 < tol < 1:
        raise LocalProtocolError(f"tol must lie in (0, 1), got {tol!r}")


def _restart(seeds: Mapping[N, float]) -> dict[N, float]:
    positive = {k: float(v) for k, v in seeds.items() if v > 0 and math.isfinite(v)}
    total = sum(positive.values())
    if not positive or total <= 0:
        raise LocalProtocolError("personalized PageRank needs at least one seed of positive "
                                 "weight")
    return {k: v / total for k, v in positive.items()}


def pagerank_reference(successors: Callable[[N], Iterable[tuple[N, float]]],
                       seeds: Mapping[N, float], *, damping: float = 0.85,
                       tol: float = 1e-12, max_iter: int = 100_000) -> dict[N, float]:
    """Personalized PageRank by plain power iteration: the readable reference.

    Parameters
    ----------
    successors:
        ``successors(u)`` yields ``(v, weight)``; weights <= 0 are ignored.
    seeds:
        The restart distribution (normalised here), e.g. ``{evaluator: 1.0}``.
    damping, tol, max_iter:
        See the module docstring; the result is within ``tol`` (L1) of the exact vector.

    Returns
    -------
    dict
        Score of every node reachable from the seeds (the others have 0); sums to 1.
    """
    _check(damping, tol)
    p = _restart(seeds)
    out: dict[N, list[tuple[N, float]]] = {}
    stack = list(p)
    while stack:  # transition probabilities of every node reachable from the seeds
        u = stack.pop()
        if u in out:
            continue
        edges = [(v, w) for v, w in successors(u) if w > 0]
        total = sum(w for _, w in edges)
        out[u] = [(v, w / total) for v, w in edges]
        stack.extend(v for v, _ in edges if v not in out)
    x: dict[N, float] = {u: p.get(u, 0.0) for u in out}
    for _ in range(max_iter):
        nxt = dict.fromkeys(out, 0.0)
        restart = (1.0 - damping) * sum(x.values())
        for u, xu in x.items():
            if out[u]:
                for v, q in out[u]:
                    nxt[v] += damping * xu * q
            else:
                restart += damping * xu  # a dangling node sends its walker back to p
        for s, ps in p.items():
            nxt[s] += restart * ps
        step = sum(abs(nxt[u] - x[u]) for u in out)
        x = nxt
        if damping * step / (1.0 - damping) < tol:
            return x
    raise LocalProtocolError(f"personalized PageRank did not reach {tol:g} in {max_iter} "
                             "iterations")


class TransitionOperator(Protocol):
    """Anything that applies ``x -> P^T x`` over ``n`` nodes (see ``matrix.Operator``)."""

    @property
    def n(self) -> int: ...

    def apply(self, x: FloatArray) -> FloatArray: ...


@dataclass(frozen=True, eq=False)
class _MatrixOperator:
    matrix: sp.csr_array | sp.csr_matrix

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])

    def apply(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.matrix @ x, dtype=np.float64)


@dataclass(frozen=True)
class PageRankResult:
    """The score vector, with how it was obtained.

    ``bound`` is the guaranteed L1 distance to the exact vector; ``scale`` is ``sum(y)`` of
    the linear solve (pass it back with ``x`` as a warm start after a small change).
    """

    x: FloatArray
    bound: float
    matvecs: int
    method: str
    scale: float


def restart_vector(n: int, seeds: Mapping[int, float]) -> FloatArray:
    """The restart distribution over indices ``0..n-1`` from ``{index: weight}``."""
    p = np.zeros(n)
    for i, w in _restart(seeds).items():
        if not 0 <= i < n:
            raise LocalProtocolError(f"seed index {i} outside 0..{n - 1}")
        p[i] += w
    return p


def _bicgstab(apply: Callable[[FloatArray], FloatArray], b: FloatArray, y0: FloatArray,
              target: Callable[[FloatArray], float], max_iter: int
              ) -> tuple[FloatArray, int, bool]:
    """BiCGSTAB (van der Vorst 1992) for ``y - apply(y) = b``; stops when ``target`` says so.

    Vector operations are done in place, and dot products without BLAS: a threaded ``ddot``
    on a loaded two-core machine costs more than the whole sparse product.
    """
    tmp = np.empty_like(b)

    def dot(a: FloatArray, c: FloatArray) -> float:
        np.multiply(a, c, out=tmp)
        return float(tmp.sum())

    y = y0.copy()
    matvecs = 1
    r = b - (y - apply(y))
    r_hat = r.copy()
    rho = alpha = omega = 1.0
    v = np.zeros_like(b)
    p = np.zeros_like(b)
    s = np.empty_like(b)
    t = np.empty_like(b)
    for _ in range(max_iter):
        np.abs(r, out=tmp)
        if float(tmp.sum()) <= target(y):
            return y, matvecs, True
        rho_new = dot(r_hat, r)
        if rho_new == 0.0 or omega == 0.0:
            return y, matvecs, False
        beta = (rho_new / rho) * (alpha / omega)
        rho = rho_new
        np.multiply(v, omega, out=tmp)  # p = r + beta (p - omega v)
        p -= tmp
        p *= beta
        p += r
        np.subtract(p, apply(p), out=v)
        denom = dot(r_hat, v)
        if denom == 0.0:
            return y, matvecs + 1, False
        alpha = rho / denom
        np.multiply(v, alpha, out=tmp)  # s = r - alpha v
        np.subtract(r, tmp, out=s)
        np.subtract(s, apply(s), out=t)
        matvecs += 2
        tt = dot(t, t)
        omega = dot(t, s) / tt if tt > 0 else 0.0
        np.multiply(p, alpha, out=tmp)  # y += alpha p + omega s
        y += tmp
        np.multiply(s, omega, out=tmp)
        y += tmp
        np.multiply(t, omega, out=tmp)  # r = s - omega t
        np.subtract(s, tmp, out=r)
        if not np.isfinite(alpha * omega):
            return y0, matvecs, False
    return y, matvecs, False


def pagerank_sparse(operator: TransitionOperator | sp.csr_array | sp.csr_matrix,
                    seeds: Mapping[int, float] | FloatArray, *, damping: float = 0.85,
                    tol: float = 1e-12, warm: PageRankResult | None = None,
                    max_iter: int = 100_000) -> PageRankResult:
    """Personalized PageRank on a sparse transition operator (``x -> P^T x``).

    Parameters
    ----------
    operator:
        A :class:`TransitionOperator` or the CSR matrix ``P^T`` itself (columns sum to 1
        or, for dangling nodes, to 0).
    seeds:
        ``{index: weight}`` or a restart vector of length ``n``.
    warm:
        A previous result on a slightly different graph of the same nodes: a warm start.

    Returns
    -------
    PageRankResult
        ``x`` within ``tol`` (L1) of the exact fixed point of ``F``.
    """
    _check(damping, tol)
    op: TransitionOperator = operator if not isinstance(operator, sp.csr_array | sp.csr_matrix) \
        else _MatrixOperator(operator)
    n = op.n
    if isinstance(seeds, np.ndarray):
        p = np.asarray(seeds, dtype=np.float64)
        if p.shape != (n,) or (p < 0).any() or p.sum() <= 0:
            raise LocalProtocolError("the restart vector must be non-negative, of length n")
        p = p / p.sum()
    else:
        p = restart_vector(n, seeds)

    def leaky(y: FloatArray) -> FloatArray:
        out = op.apply(y)
        out *= damping
        return out

    def fixed(x: FloatArray) -> FloatArray:
        ax = damping * op.apply(x)
        return ax + (float(x.sum()) - float(ax.sum())) * p

    # ||F(x) - x||_1 <= 2 ||r||_1 / sum(y) for x = y / sum(y) (specs/trust.md): ask for a
    # residual whose bound is well under tol.
    limit = tol * (1.0 - damping) / (2.0 * damping) * 0.5
    method = "bicgstab"
    matvecs = 0
    if warm is not None and warm.x.shape == (n,):
        y = warm.x * warm.scale
        method = "bicgstab-warm"
    else:
        y = p.copy()
    for _ in range(2):
        y, used, ok = _bicgstab(leaky, p, y, lambda v: limit * float(v.sum()), 1000)
        matvecs += used
        if ok:
            break
    scale = float(y.sum())
    if not np.isfinite(y).all() or scale <= 0 or (y < -1e-9 * scale).any():
        y, scale, method = p.copy(), 1.0, "power"
    x = y / scale
    while True:  # verify the bound with F, and take power steps until it holds
        fx = fixed(x)
        matvecs += 1
        bound = damping * float(np.abs(fx - x).sum()) / (1.0 - damping)
        x = fx
        if bound < tol:
            break
        if matvecs > max_iter:
            raise LocalProtocolError(f"personalized PageRank did not reach {tol:g}")
        if method.startswith("bicgstab"):
            method += "+power"
    return PageRankResult(x=x, bound=bound, matvecs=matvecs, method=method, scale=scale)
