"""Leave-one-out Fairness and Goodness: every edge refitted without itself, many at once.

Kumar et al.'s protocol (ICDM 2016, section VI): remove edge ``(a, b)``, recompute fairness
and goodness on the rest (every node kept: without in-edges its goodness is 0, without
out-edges its fairness 1), predict ``f(a) g(b)``. A refit from scratch costs the whole
iteration (27 passes over all edges on Bitcoin OTC) for each edge. Here:

1. **Linearised, batched.** The map of ``fairness.py`` is affine wherever the signs
   ``s(u, v)`` of ``W(u, v) - g(v)`` stay those of the whole graph's fixed point:

       g = P f       with P = D_in^-1 W^T
       f = c + Q g   with Q(u, v) = s(u, v) / (2 |out(u)|),
                          c(u) = 1 - sum_v s(u, v) W(u, v) / (2 |out(u)|)

   Removing an edge changes one row of ``P`` (row ``b``: one term less, one in-degree
   less) and one row of ``Q`` and ``c`` (row ``a``). The refits of a block of edges are
   iterated together, from the whole graph's fixed point, in the fit's own order (goodness,
   then fairness): two sparse products of the matrices by the block of columns per
   iteration, the two changed rows of each column corrected, until each column's L1
   changes are below ``tol`` (1e-12, the fit's own test).
2. **Checked.** The linearisation is exact only if no sign changed: after the iteration
   each column's goodness is compared with every remaining edge's weight; a column where a
   sign differs from the whole graph's, or where ``W(u, v) = g(v)`` held exactly in the
   whole graph while ``g(v)`` moved, is refitted by the nonlinear map itself
   (:func:`_propagate`: from the whole graph's fixed point, propagating the changes wave by
   wave, a change smaller than ``tol`` left out). On Bitcoin OTC about 4% of the edges
   need it.

The predictions equal refits from scratch to about ``tol`` (tests; the benchmark
``tests/benchmarks/bench_fairness_loo.py`` compares all 35,592 on Bitcoin OTC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ..errors import LocalProtocolError
from .fairness import FairnessResult, fairness_goodness

__all__ = ["LeaveOneOut", "fairness_leave_one_out"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Columns refitted together (memory: a few blocks of nodes x BLOCK floats).
BLOCK = 64
_MAX_ITER = 1000
_ROUNDS = 8


@dataclass(frozen=True, eq=False)
class LeaveOneOut:
    """Leave-one-out predictions of every edge asked (in the CSR matrix's entry order).

    ``fxg[k]`` is ``f(a) g(b)`` and ``goodness[k]`` is ``g(b)`` refitted on the graph without
    edge ``k = (a, b)``; ``nonlinear`` counts the edges refitted by the nonlinear map (a
    sign changed), ``iterations`` the batched iterations made.
    """

    fxg: FloatArray
    goodness: FloatArray
    nonlinear: int
    iterations: int


@dataclass(frozen=True, eq=False)
class _Graph:
    n: int
    data: FloatArray
    rows: IntArray
    cols: IntArray
    optr: IntArray
    iptr: IntArray
    in_order: IntArray
    in_deg: FloatArray
    out_deg: FloatArray
    f0: FloatArray
    g0: FloatArray


def _slices(ptr: IntArray, order: IntArray, nodes: IntArray) -> IntArray:
    """The entries (``order`` positions ``ptr[x]..ptr[x+1]``) of every node in ``nodes``."""
    starts = ptr[nodes]
    lens = ptr[nodes + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return order[:0]
    offsets = np.cumsum(lens) - lens
    return order[np.repeat(starts - offsets, lens) + np.arange(total)]


def fairness_leave_one_out(weights: sp.csr_array | sp.csr_matrix, *,
                           entries: IntArray | None = None, tol: float = 1e-12,
                           base: FairnessResult | None = None,
                           block: int = BLOCK, method: str = "linear") -> LeaveOneOut:
    """Refit fairness and goodness without each edge in turn, and predict it (module
    docstring).

    Parameters
    ----------
    weights:
        Square CSR matrix of ratings in [-1, 1] (stored zeros are ratings).
    entries:
        Positions in ``weights.data`` (CSR order, after sorting the indices) to predict;
        default all.
    tol:
        Each refit stops when its L1 changes are below ``tol`` (the fit's own test).
    base:
        The fit of the whole graph, if already made (to 1e-12 or tighter).
    block:
        Edges refitted together.
    method:
        ``linear`` (the default: linearised and batched, checked, exact to ``tol``) or
        ``propagate`` (every edge refitted by the nonlinear map wave by wave, changes below
        ``tol`` dropped: faster only at loose tolerances, its predictions within a few
        ``tol`` of the refits').
    """
    w = sp.csr_array(weights)
    w.sort_indices()
    n = w.shape[0]
    if w.shape != (n, n):
        raise LocalProtocolError("the weight matrix must be square")
    if not 0 < tol < 1:
        raise LocalProtocolError(f"tol must lie in (0, 1), got {tol!r}")
    if block < 1:
        raise LocalProtocolError("block must be at least 1")
    if method not in ("linear", "propagate"):
        raise LocalProtocolError(f"method must be linear or propagate, got {method!r}")
    data = np.clip(np.asarray(w.data, dtype=np.float64), -1.0, 1.0)
    cols = w.indices.astype(np.int64)
    optr = w.indptr.astype(np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(optr))
    iptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=n), out=iptr[1:])
    fit = base if base is not None else fairness_goodness(w, tol=min(tol, 1e-12))
    g = _Graph(n=n, data=data, rows=rows, cols=cols, optr=optr, iptr=iptr,
               in_order=np.argsort(cols, kind="stable").astype(np.int64),
               in_deg=np.diff(iptr).astype(np.float64), out_deg=np.diff(optr).astype(np.float64),
               f0=fit.fairness, g0=fit.goodness)
    todo = np.arange(len(data), dtype=np.int64) if entries is None \
        else np.asarray(entries, dtype=np.int64)
    fxg = np.empty(len(todo))
    good = np.empty(len(todo))
    if not len(todo):
        return LeaveOneOut(fxg=fxg, goodness=good, nonlinear=0, iterations=0)
    if method == "propagate":
        for i, k in enumerate(todo.tolist()):
            fxg[i], good[i] = _propagate(g, k, tol)
        return LeaveOneOut(fxg=fxg, goodness=good, nonlinear=len(todo), iterations=0)
    # the linearised operators at the whole graph's fixed point
    margin = data - g.g0[cols]
    sign = np.sign(margin)
    inv_in = np.divide(1.0, g.in_deg, out=np.zeros(n), where=g.in_deg > 0)
    half_out = np.divide(0.5, g.out_deg, out=np.zeros(n), where=g.out_deg > 0)
    p_mat = sp.csr_array((data * inv_in[cols], (cols, rows)), shape=(n, n))
    q_mat = sp.csr_array((sign * half_out[rows], (rows, cols)), shape=(n, n))
    sum_sw: FloatArray = np.bincount(rows, weights=sign * data, minlength=n).astype(np.float64)
    c_vec = np.where(g.out_deg > 0, 1.0 - half_out * sum_sw, 1.0)
    flat = np.abs(margin) == 0.0  # W = g exactly: the sign may go either way
    iterations = 0
    nonlinear = 0
    ops = (p_mat, q_mat, c_vec, sum_sw)
    for start in range(0, len(todo), block):
        ks = todo[start:start + block]
        f_cols, g_cols, its = _linear_block(g, ks, p_mat, q_mat, c_vec, sum_sw, sign, tol)
        iterations += its
        flips = _flips(g, ks, g_cols, sign, flat, tol)
        flagged = [j for j, fx in enumerate(flips) if fx is not None]
        if flagged:
            nonlinear += len(flagged)
            sub = np.array(flagged)
            fs, gs, settled = _settle(g, ks[sub], f_cols[:, sub], g_cols[:, sub],
                                      [fx for fx in flips if fx is not None], ops, sign,
                                      flat, tol)
            f_cols[:, sub] = fs
            g_cols[:, sub] = gs
        else:
            sub, settled = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        for j, k in enumerate(ks.tolist()):
            fxg[start + j] = f_cols[rows[k], j] * g_cols[cols[k], j]
            good[start + j] = g_cols[cols[k], j]
        for j in sub[~settled].tolist():  # signs still moving: the nonlinear map itself
            fxg[start + j], good[start + j] = _propagate(g, int(ks[j]), tol)
    return LeaveOneOut(fxg=fxg, goodness=good, nonlinear=nonlinear, iterations=iterations)


#: Per column: the edges whose sign changed (raters, targets, weights, change of sign).
Flips = tuple[IntArray, IntArray, FloatArray, FloatArray]


def _linear_block(g: _Graph, ks: IntArray, p_mat: sp.csr_array, q_mat: sp.csr_array,
                  c_vec: FloatArray, sum_sw: FloatArray, sign: FloatArray, tol: float,
                  start: tuple[FloatArray, FloatArray] | None = None,
                  flips: list[Flips] | None = None) -> tuple[FloatArray, FloatArray, int]:
    """The linearised refits of the edges ``ks``, one column each, from the whole graph's
    fixed point or ``start``; ``flips`` (per column) are edges whose sign differs from the
    whole graph's in that column's refit: their terms are corrected in the rater's row.
    The working arrays hold the running columns only (copied out as they converge)."""
    m = len(ks)
    f_out = np.empty((g.n, m))
    g_out = np.empty((g.n, m))
    live = np.arange(m)
    if start is None:
        f = np.repeat(g.f0[:, None], m, axis=1)
        gg = np.repeat(g.g0[:, None], m, axis=1)
    else:
        f, gg = start[0].copy(), start[1].copy()
    fixes = list(flips) if flips is not None else None
    a, b = g.rows[ks], g.cols[ks]
    wk, sk = g.data[ks], sign[ks]
    ind_b, outd_a = g.in_deg[b] - 1.0, g.out_deg[a] - 1.0
    in_b, out_a = g.in_deg[b], g.out_deg[a]
    c_a, sw_a = c_vec[a], sum_sw[a]
    for it in range(1, _MAX_ITER + 1):
        j = np.arange(len(live))
        g_new = np.asarray(p_mat @ f)
        # row b: one rater less (the removed edge), renormalised
        total_b = g_new[b, j] * in_b - wk * f[a, j]
        g_new[b, j] = np.divide(total_b, ind_b, out=np.zeros(len(j)), where=ind_b > 0)
        f_new = np.asarray(q_mat @ g_new)
        f_new += c_vec[:, None]
        # row a: one rating less, renormalised (sum_v s g = 2 out(a) (Q g)(a))
        sum_sg = (f_new[a, j] - c_a) * (2.0 * out_a)
        inner = (sw_a - sk * wk) - (sum_sg - sk * g_new[b, j])
        f_new[a, j] = np.where(outd_a > 0, 1.0 - inner / np.where(outd_a > 0, 2.0 * outd_a,
                                                                   1.0), 1.0)
        if fixes is not None:  # |W - g| = s' (W - g): the term of a flipped sign
            for col, (raters, targets, weights, change) in enumerate(fixes):
                degree = g.out_deg[raters] - (raters == a[col])
                step = change * (weights - g_new[targets, col])
                np.add.at(f_new[:, col], raters, -step / (2.0 * np.maximum(degree, 1.0)))
        f -= f_new
        np.abs(f, out=f)
        gg -= g_new
        np.abs(gg, out=gg)
        going = (f.sum(axis=0) >= tol) | (gg.sum(axis=0) >= tol)
        f, gg = f_new, g_new
        if not going.all():
            done = ~going
            f_out[:, live[done]] = f[:, done]
            g_out[:, live[done]] = gg[:, done]
            live = live[going]
            if not len(live):
                return f_out, g_out, it
            f, gg = f[:, going].copy(), gg[:, going].copy()
            a, b, wk, sk = a[going], b[going], wk[going], sk[going]
            ind_b, outd_a, in_b, out_a = ind_b[going], outd_a[going], in_b[going], \
                out_a[going]
            c_a, sw_a = c_a[going], sw_a[going]
            if fixes is not None:
                fixes = [fx for fx, keep in zip(fixes, going, strict=True) if keep]
    raise LocalProtocolError(f"leave-one-out refits did not converge in {_MAX_ITER} "
                             "iterations")


def _flips(g: _Graph, ks: IntArray, g_cols: FloatArray, sign: FloatArray,
           flat: npt.NDArray[np.bool_], tol: float) -> list[Flips | None]:
    """Per column, the edges whose ``W(u, v) - g(v)`` has another sign than in the whole
    graph (an exact 0 there counts once ``g(v)`` moved), the removed edge left out;
    ``None`` when there is none. Only edges whose margin is smaller than the largest move of
    their target's goodness can flip: the others are never looked at."""
    out: list[Flips | None] = [None] * len(ks)
    dev = np.abs(g_cols - g.g0[:, None]).max(axis=1)
    margin = np.abs(g.data - g.g0[g.cols])
    cand = np.flatnonzero((margin <= dev[g.cols] + tol) & (dev[g.cols] > tol))
    if not len(cand):
        return out
    targets = g.cols[cand]
    now = np.sign(g.data[cand][:, None] - g_cols[targets])
    moved = np.abs(g_cols[targets] - g.g0[targets][:, None]) > tol
    changed = (now != sign[cand][:, None]) & moved
    changed &= cand[:, None] != ks[None, :]
    for j in np.flatnonzero(changed.any(axis=0)).tolist():
        rows = np.flatnonzero(changed[:, j])
        e = cand[rows]
        out[j] = (g.rows[e], g.cols[e], g.data[e], now[rows, j] - sign[e])
    return out


def _settle(g: _Graph, ks: IntArray, f_cols: FloatArray, g_cols: FloatArray,
            flips: list[Flips], ops: tuple[sp.csr_array, sp.csr_array, FloatArray, FloatArray],
            sign: FloatArray, flat: npt.NDArray[np.bool_], tol: float
            ) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Refits whose signs changed: the linearised map with those signs corrected, from the
    first solution, until the signs no longer change (the map is piecewise affine, so the
    solution with the right signs is the fixed point). The columns still moving after
    :data:`_ROUNDS` rounds are returned unsettled (the caller refits them otherwise)."""
    p_mat, q_mat, c_vec, sum_sw = ops
    settled = np.zeros(len(ks), dtype=bool)
    current = list(flips)
    for _ in range(_ROUNDS):
        f_cols, g_cols, _ = _linear_block(g, ks, p_mat, q_mat, c_vec, sum_sw, sign, tol,
                                          start=(f_cols, g_cols), flips=current)
        again = _flips(g, ks, g_cols, sign, flat, tol)
        same = [a is not None and a[1].shape == b[1].shape and np.array_equal(a[1], b[1])
                and np.array_equal(a[0], b[0]) and np.array_equal(a[3], b[3])
                for a, b in zip(again, current, strict=True)]
        settled = np.array(same, dtype=bool)
        if settled.all():
            break
        current = [a if a is not None else (b[0][:0], b[1][:0], b[2][:0], b[3][:0])
                   for a, b in zip(again, current, strict=True)]
    return f_cols, g_cols, settled


def _propagate(g: _Graph, k: int, tol: float) -> tuple[float, float]:
    """The refit without edge ``k`` by the nonlinear map, from the whole graph's fixed
    point, wave by wave; a change below ``tol`` is not propagated."""
    n, data, rows, cols = g.n, g.data, g.rows, g.cols
    out_order = np.arange(len(data), dtype=np.int64)
    f, gv = g.f0.copy(), g.g0.copy()
    sum_g = np.bincount(cols, weights=f[rows] * data, minlength=n)
    sum_f = np.bincount(rows, weights=np.abs(data - gv[cols]), minlength=n)
    ind, outd = g.in_deg.copy(), g.out_deg.copy()
    a, b, wk = rows[k], cols[k], data[k]
    ind[b] -= 1.0
    outd[a] -= 1.0
    sum_g[b] -= f[a] * wk
    sum_f[a] -= abs(wk - gv[b])
    g_nodes = np.array([b], dtype=np.int64)
    first = True
    while True:
        cnt = ind[g_nodes]
        g_new = np.divide(sum_g[g_nodes], cnt, out=np.zeros(len(g_nodes)), where=cnt > 0)
        moved = np.abs(g_new - gv[g_nodes]) > tol
        changed = g_nodes[moved]
        f_mask = np.zeros(n, dtype=bool)
        if len(changed):
            e = _slices(g.iptr, g.in_order, changed)
            e = e[e != k]
            old = gv[cols[e]]
            gv[changed] = g_new[moved]
            delta = np.abs(data[e] - gv[cols[e]]) - np.abs(data[e] - old)
            sum_f += np.bincount(rows[e], weights=delta, minlength=n)
            f_mask[rows[e]] = True
        if first:
            f_mask[a] = True
            first = False
        f_nodes = np.flatnonzero(f_mask)
        if not len(f_nodes):
            break
        cnt = outd[f_nodes]
        f_new = 1.0 - np.divide(sum_f[f_nodes], 2.0 * cnt, out=np.zeros(len(f_nodes)),
                                where=cnt > 0)
        step = f_new - f[f_nodes]
        moved = np.abs(step) > tol
        changed = f_nodes[moved]
        if not len(changed):
            break
        f[changed] = f_new[moved]
        full = np.zeros(n)
        full[changed] = step[moved]
        e = _slices(g.optr, out_order, changed)
        e = e[e != k]
        add = np.bincount(cols[e], weights=full[rows[e]] * data[e], minlength=n)
        sum_g += add
        g_nodes = np.flatnonzero(add)
        if not len(g_nodes):
            break
    return float(f[a] * gv[b]), float(gv[b])
