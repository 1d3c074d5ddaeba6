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
  and finishes with power steps if needed. Given a :class:`DanglingSplit`, it iterates on
  the nodes that have out-edges only: a dangling node feeds nothing back into ``y``, so
  ``y`` there follows from the rest in one product (``y_D = p_D + a P_DC^T y_C``).

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
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ..errors import LocalProtocolError
from .elimination import Elimination, Reduction, eliminate

__all__ = [
    "DanglingSplit",
    "PageRankResult",
    "TransitionOperator",
    "pagerank_reference",
    "pagerank_sparse",
    "restart_vector",
    "split_dangling",
    "with_dangling",
]

N = TypeVar("N", bound=Hashable)
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


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


@dataclass(frozen=True, eq=False)
class DanglingSplit:
    """``P^T`` with its dangling nodes (no positive out-edge) split off, made once per matrix.

    In the order ``order`` (``order[k]`` is the matrix index at position ``k``; ``None``:
    the matrix's own order), the ``core`` nodes with out-edges come first. ``core_block`` is
    ``P^T`` among them, ``tail_block`` the edges from them into the dangling nodes (rows:
    dangling, columns: core); a dangling node's column of ``P^T`` is empty, so these two
    blocks are all of ``P^T``. ``tail_colsum[j]`` is the mass node ``j`` sends to dangling
    nodes per step. Build it with :func:`split_dangling`; :meth:`patched` replaces a few
    columns (the out-edges of a few nodes) without rebuilding it.

    ``extra`` (``None`` unless patched) is added to ``matrix``: ``P^T = matrix + extra``,
    and likewise for the blocks.
    """

    matrix: sp.csr_array
    order: IntArray | None
    core: int
    core_block: sp.csr_array
    tail_block: sp.csr_array
    tail_colsum: FloatArray
    extra: sp.csr_array | None = None
    _elimination: list[Elimination | None] = field(default_factory=list, repr=False)
    _solves: list[int] = field(default_factory=lambda: [0], repr=False)
    _base: tuple[tuple[DanglingSplit, IntArray], ...] = field(default=(), repr=False)

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])

    def elimination(self) -> Elimination | None:
        """The core system with an independent set eliminated (:mod:`.elimination`), if
        made already (at the second solve on this split)."""
        return self._elimination[0] if self._elimination else None

    def reduction(self, damping: float, *, eager: bool = False) -> Reduction | None:
        """The reduced core system for a solve at ``damping``, or ``None`` (solve the core).

        The elimination is made at the second solve on a split and kept: making it costs
        about as much as it saves in one solve, so a split solved once (a one-off query)
        never pays for it; ``eager`` makes it at once (a batch of sources solves many
        times). A patched split uses its base's elimination, patched, when the
        base has one and no changed node is eliminated.
        """
        if self._base:
            base, columns = self._base[0]
            made = base.elimination()
            if made is None or self.extra is None:
                return None
            core = columns[columns < self.core]
            return made.patched_at(damping, core, sp.csr_array(self.extra[:self.core,
                                                                          :self.core]))
        self._solves[0] += 1
        if not self._elimination and (eager or self._solves[0] >= 2):
            self._elimination.append(eliminate(self.core_block))
        made = self.elimination()
        return None if made is None else made.at(damping)

    def apply(self, x: FloatArray) -> FloatArray:
        out = np.asarray(self.matrix @ x, dtype=np.float64)
        if self.extra is not None:
            out += self.extra @ x
        return out

    def patched(self, columns: IntArray, extra: sp.csr_array) -> DanglingSplit | None:
        """This split with the columns ``columns`` (nodes whose out-edges changed) replaced
        by ``extra`` (``P^T`` entries of those nodes' new out-edges).

        ``extra`` is ``n + g`` square: ``g`` new dangling nodes may be appended (new
        subjects of the changed rows, which have no out-edges themselves). ``None`` when the
        split cannot be kept: it has an ``order`` or is patched already, or a dangling node
        gains out-edges. The cost is one pass over the matrix's values (zeroing the replaced
        columns in a copy); the index arrays are shared.
        """
        n = self.n
        size = int(extra.shape[0])
        if self.order is not None or self.extra is not None or extra.shape != (size, size) \
                or size < n:
            return None
        extra = sp.csr_array(extra)
        if extra.nnz and int(extra.indices.max()) >= self.core:
            return None
        drop = np.zeros(n, dtype=bool)
        drop[columns] = True
        m = self.matrix
        data = np.where(drop[m.indices], 0.0, m.data)
        grow = np.full(size - n, m.indptr[-1], dtype=m.indptr.dtype)
        matrix = sp.csr_array((data, m.indices, np.concatenate([m.indptr, grow])),
                              shape=(size, size))
        cut = int(m.indptr[self.core])
        core_block = sp.csr_array((data[:cut], self.core_block.indices, self.core_block.indptr),
                                  shape=self.core_block.shape)
        tail_block = sp.csr_array(
            (data[cut:], self.tail_block.indices,
             np.concatenate([self.tail_block.indptr, grow - cut])), shape=(size - self.core,
                                                                         self.core))
        tail_extra = extra[self.core:]
        tail_colsum = np.asarray(
            np.bincount(tail_block.indices, weights=tail_block.data, minlength=self.core)
            + np.bincount(tail_extra.indices, weights=tail_extra.data, minlength=self.core),
            dtype=np.float64)
        return DanglingSplit(matrix=matrix, order=None, core=self.core, core_block=core_block,
                             tail_block=tail_block, tail_colsum=tail_colsum, extra=extra,
                             _base=((self, np.asarray(columns, dtype=np.int32)),))


@dataclass(frozen=True, eq=False)
class _SumOperator:
    """``x -> a @ x + b @ x``."""

    a: sp.csr_array
    b: sp.csr_array

    @property
    def n(self) -> int:
        return int(self.a.shape[0])

    def apply(self, x: FloatArray) -> FloatArray:
        out = np.asarray(self.a @ x, dtype=np.float64)
        out += self.b @ x
        return out


def split_dangling(matrix: sp.csr_array | sp.csr_matrix) -> DanglingSplit:
    """Split the transposed transition matrix ``matrix`` (``P^T``) at its dangling nodes.

    Keeps the relative order of the nodes in each part, so a matrix already ordered for
    locality stays so; when the dangling nodes already come last, ``order`` is ``None``.
    """
    m = sp.csr_array(matrix)
    n = int(m.shape[0])
    if m.shape != (n, n):
        raise LocalProtocolError(f"the transition matrix must be square, got {m.shape}")
    if (m.data == 0).any():  # an explicit zero is no edge
        m = m.copy()
        m.eliminate_zeros()
    has_out = np.bincount(m.indices, minlength=n) > 0
    core = int(has_out.sum())
    if not has_out[:core].all():
        order = np.concatenate([np.flatnonzero(has_out), np.flatnonzero(~has_out)]
                               ).astype(np.int32)
        m = sp.csr_array(m[order][:, order])
        m.indices = m.indices.astype(matrix.indices.dtype, copy=False)
        m.indptr = m.indptr.astype(matrix.indptr.dtype, copy=False)
    else:
        order = None
    # The columns of the dangling nodes are empty: both blocks are row ranges (no copy).
    cut = int(m.indptr[core])
    core_block = sp.csr_array((m.data[:cut], m.indices[:cut], m.indptr[:core + 1]),
                              shape=(core, core))
    tail_block = sp.csr_array((m.data[cut:], m.indices[cut:], m.indptr[core:] - cut),
                              shape=(n - core, core))
    tail_colsum = np.asarray(np.bincount(tail_block.indices, weights=tail_block.data,
                                         minlength=core), dtype=np.float64)
    return DanglingSplit(matrix=sp.csr_array(matrix), order=order, core=core,
                         core_block=core_block, tail_block=tail_block, tail_colsum=tail_colsum)


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

    Vector operations are done in place, and dot products without BLAS (``einsum``): a
    threaded ``ddot`` on a loaded two-core machine costs more than the whole sparse product.
    """
    tmp = np.empty_like(b)

    def dot(a: FloatArray, c: FloatArray) -> float:
        return float(np.einsum("i,i", a, c))

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


def pagerank_sparse(operator: TransitionOperator | DanglingSplit | sp.csr_array | sp.csr_matrix,
                    seeds: Mapping[int, float] | FloatArray, *, damping: float = 0.85,
                    tol: float = 1e-12, warm: PageRankResult | None = None,
                    max_iter: int = 100_000) -> PageRankResult:
    """Personalized PageRank on a sparse transition operator (``x -> P^T x``).

    Parameters
    ----------
    operator:
        A :class:`TransitionOperator`, the CSR matrix ``P^T`` itself (columns sum to 1
        or, for dangling nodes, to 0), or a :class:`DanglingSplit` of it (prepared once
        and reused: the solver then iterates on the nodes with out-edges only).
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
    split = operator if isinstance(operator, DanglingSplit) else None
    op: TransitionOperator
    if isinstance(operator, sp.csr_array | sp.csr_matrix):
        op = _MatrixOperator(operator)
    else:
        op = operator
    n = op.n
    if isinstance(seeds, np.ndarray):
        p = np.asarray(seeds, dtype=np.float64)
        if p.shape != (n,) or (p < 0).any() or p.sum() <= 0:
            raise LocalProtocolError("the restart vector must be non-negative, of length n")
        p = p / p.sum()
    else:
        p = restart_vector(n, seeds)

    def fixed(x: FloatArray) -> FloatArray:
        ax = damping * op.apply(x)
        return ax + (float(x.sum()) - float(ax.sum())) * p

    # ||F(x) - x||_1 <= 2 ||r||_1 / sum(y) for x = y / sum(y) (specs/trust.md): ask for a
    # residual whose bound is well under tol.
    limit = tol * (1.0 - damping) / (2.0 * damping) * 0.5
    method = "bicgstab"
    y0: FloatArray | None = None
    if warm is not None and warm.x.shape == (n,):
        y0 = warm.x * warm.scale
        method = "bicgstab-warm"
    if split is None:
        y, matvecs = _solve(op, p, p.copy() if y0 is None else y0, damping,
                            lambda v: limit * float(v.sum()))
    else:
        y, matvecs = _solve_split(split, p, y0, damping, limit)
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


def _solve(op: TransitionOperator, b: FloatArray, y0: FloatArray, damping: float,
           target: Callable[[FloatArray], float]) -> tuple[FloatArray, int]:
    """``(I - a P^T) y = b`` by BiCGSTAB from ``y0`` (one restart if it breaks down)."""
    def leaky(v: FloatArray) -> FloatArray:
        out = op.apply(v)
        out *= damping
        return out

    y, matvecs = y0, 0
    for _ in range(2):
        y, used, ok = _bicgstab(leaky, b, y, target, 1000)
        matvecs += used
        if ok:
            break
    return y, matvecs


def _solve_split(split: DanglingSplit, p: FloatArray, y0: FloatArray | None, damping: float,
                 limit: float) -> tuple[FloatArray, int]:
    """``(I - a P^T) y = p`` on the core nodes, then the dangling ones in one product.

    The residual on the dangling nodes is exactly zero, so the core residual is the whole
    residual, and the stopping test uses ``sum(y)`` of the whole vector (``sum(y_D)`` is
    ``sum(p_D) + a tail_colsum . y_C``). When the core has an :class:`Elimination`, the
    reduced system is solved instead (its residual is again the whole residual).
    """
    c = split.core
    q = p if split.order is None else p[split.order]
    b, p_tail = q[:c], q[c:]
    p_tail_sum = float(p_tail.sum())
    if y0 is None:
        start = b.copy()
    else:
        start = np.array((y0 if split.order is None else y0[split.order])[:c], dtype=np.float64)
    reduction = split.reduction(damping) if c else None
    if reduction is None:
        y_core, matvecs = _solve_core(split, b, start, damping, limit, p_tail_sum)
    else:
        y_core, matvecs = _solve_reduced(split, reduction, b, start, damping, limit,
                                         p_tail_sum)
    return with_dangling(split, y_core, p_tail, damping), matvecs + 1


def with_dangling(split: DanglingSplit, y_core: FloatArray, p_tail: FloatArray,
                  damping: float) -> FloatArray:
    """The whole solution from its core part: a dangling node's value follows in one
    product, ``y_D = p_D + a P_DC^T y_C`` (one column or a block of them), in the matrix's
    own order."""
    c = split.core
    y_tail = np.asarray(split.tail_block @ y_core, dtype=np.float64)
    if split.extra is not None:
        y_tail += split.extra[c:, :c] @ y_core
    y_tail *= damping
    y_tail += p_tail
    y = np.concatenate([y_core, y_tail])
    if split.order is not None:
        out = np.empty_like(y)
        out[split.order] = y
        y = out
    return y


def _solve_core(split: DanglingSplit, b: FloatArray, start: FloatArray, damping: float,
                limit: float, p_tail_sum: float) -> tuple[FloatArray, int]:
    """The core system as it is."""
    c = split.core
    colsum = split.tail_colsum

    def target(v: FloatArray) -> float:
        return limit * (float(v.sum()) + p_tail_sum
                        + damping * float(np.einsum("i,i", colsum, v)))

    core_op: TransitionOperator = _MatrixOperator(split.core_block)
    if split.extra is not None:
        core_op = _SumOperator(split.core_block, sp.csr_array(split.extra[:c, :c]))
    return _solve(core_op, b, start, damping, target) if c else (start, 0)


def _solve_reduced(split: DanglingSplit, reduction: Reduction, b: FloatArray,
                   start: FloatArray, damping: float, limit: float, p_tail_sum: float
                   ) -> tuple[FloatArray, int]:
    """The core system with its independent set eliminated; ``y_E`` follows exactly, and
    the stopping test reads ``sum(y)`` of the whole vector off ``y_K``
    (:func:`_total_of_kept`)."""
    kept, gone = reduction.kept, reduction.eliminated
    b_kept, b_gone = b[kept], b[gone]
    rhs = b_kept + damping * (reduction.to_kept @ b_gone)
    const, weight = _total_of_kept(split, reduction, b_gone, damping, p_tail_sum)

    def target(v: FloatArray) -> float:
        return limit * (const + float(np.einsum("i,i", weight, v)))

    y_kept, matvecs = _solve(reduction, rhs, start[kept], damping, target)
    y_core = np.empty(split.core)
    y_core[kept] = y_kept
    y_core[gone] = b_gone + damping * reduction.from_kept_apply(y_kept)
    return y_core, matvecs + 1


def _total_of_kept(split: DanglingSplit, reduction: Reduction, b_gone: FloatArray,
                   damping: float, p_tail_sum: float) -> tuple[float, FloatArray]:
    """``(const, weight)`` with ``sum(y) = const + weight . y_K`` for the whole vector.

    With ``u = 1 + a tail_colsum`` (what a core node's value adds to ``sum(y)``, itself and
    through the dangling nodes): ``weight = u_K + a M_EK^T u_E`` and ``const = u_E . b_E +
    sum(p_D)``.
    """
    u = 1.0 + damping * split.tail_colsum
    gone_u = u[reduction.eliminated]
    weight = u[reduction.kept] + damping * reduction.from_kept_transpose_apply(gone_u)
    return float(np.einsum("i,i", gone_u, b_gone)) + p_tail_sum, weight
