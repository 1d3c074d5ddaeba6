"""Personalized PageRank for many sources at once: one sparse product for many vectors.

A node answering "whom does each of my users trust most?", or an experiment ranking from a
thousand evaluators, solves the same system ``(I - a P^T) y = p`` for many restart vectors
``p``. Solving them one after another repeats, for every source, a pass over the matrix per
sparse product; solving them together multiplies the matrix by a block of vectors (one
pass over the matrix's indices and values feeds every column), which is several times
cheaper per vector on a machine whose products are bound by memory traffic.

:func:`pagerank_batch` is :func:`~.pagerank.pagerank_sparse` applied column by column, with
the same definition, the same guarantee and the same steps, vectorised:

1. the sources' reachable sets are united (one breadth-first search from all of them: the
   union is closed under out-edges, and a source's vector is exactly 0 outside its own
   set, so every column is solved exactly on the union), its dangling nodes split off and
   an independent set eliminated (``elimination.py``), as for a single source;
2. BiCGSTAB runs on the block: each column has its own scalars (``rho``, ``alpha``,
   ``omega``) and its own stopping test (the residual bound of ``specs/trust.md`` section
   3.1, against that column's ``sum(y)``); a column that has converged stops changing
   (its scalars are frozen) and the block shrinks to the columns still running;
3. every column is verified with the fixed-point map ``F`` and, when its bound is not
   below the tolerance, finished with power steps, exactly as a single solve is.

Each column therefore meets the same guaranteed L1 bound as a single query; the columns
are not mixed (a column's arithmetic never reads another's), so the result for a source
does not depend on the others in the batch beyond the set it is solved on and the
floating-point order of the sums.

Memory: a block of ``B`` vectors over ``k`` nodes is ``8 k B`` bytes, about ten of them
live at once; :func:`pagerank_batch` solves ``block`` columns at a time (64 by default:
under 300 MB on Epinions' 56,000-node reachable set).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ..errors import LocalProtocolError
from .elimination import Reduction
from .pagerank import DanglingSplit, with_dangling

__all__ = ["BatchResult", "pagerank_batch"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Scores of many sources: ``x[:, j]`` is the vector of source ``j`` over the set's
    nodes (``order``: operator indices, as in :class:`~.matrix.Restricted`); ``bound[j]``
    its guaranteed L1 distance to the exact vector; ``matvecs`` the block products used
    (each one product of the matrix by the whole block)."""

    x: FloatArray
    bound: FloatArray
    matvecs: int
    iterations: IntArray


def _coldot(a: FloatArray, b: FloatArray) -> FloatArray:
    out: FloatArray = np.einsum("ij,ij->j", a, b)
    return out


def _block_bicgstab(apply: Callable[[FloatArray], FloatArray], b: FloatArray, y0: FloatArray,
                    target: Callable[[FloatArray, IntArray], FloatArray], max_iter: int
                    ) -> tuple[FloatArray, int, IntArray, npt.NDArray[np.bool_]]:
    """BiCGSTAB for ``y - apply(y) = b`` on every column of ``b``, each column with its own
    scalars and stopping test ``sum |r| <= target(y, columns)``.

    Returns ``y``, the number of block products, each column's iterations and whether it
    met its test (a column that breaks down stops where it is; the caller's power steps
    finish it). The working arrays hold the running columns only: when a quarter of them
    have stopped, the others are copied into smaller arrays; until then a stopped column
    is frozen (its step scalars are 0). The L1 test is evaluated only once the residual's
    2-norm allows it (``||r||_1 <= sqrt(n) ||r||_2``), which saves a pass per iteration.
    """
    n, k = b.shape
    y_out = y0.copy()
    iters = np.zeros(k, dtype=np.int64)
    ok = np.zeros(k, dtype=bool)
    cols = np.arange(k)  # original column of each working column
    y = y_out.copy()
    r = b - (y - apply(y))
    matvecs = 1
    r_hat = r.copy()
    rho = np.ones(k)
    alpha = np.ones(k)
    omega = np.ones(k)
    v = np.zeros_like(b)
    p = np.zeros_like(b)
    tmp = np.empty_like(b)
    frozen = np.zeros(k, dtype=bool)
    root = np.sqrt(n)
    for _ in range(max_iter):
        # stopping tests (columns not frozen)
        norm2 = np.sqrt(_coldot(r, r))
        goal = target(y, cols)
        maybe = ~frozen & (norm2 * root > goal)
        check = ~frozen & ~maybe
        if check.any():
            l1 = np.abs(r[:, check]).sum(axis=0)
            met_idx = np.flatnonzero(check)[l1 <= goal[check]]
        else:
            met_idx = np.empty(0, dtype=np.int64)
        if len(met_idx):
            ok[cols[met_idx]] = True
            frozen[met_idx] = True
        if frozen.all():
            break
        if frozen.sum() * 4 >= len(frozen):  # compact: keep the running columns only
            y_out[:, cols[frozen]] = y[:, frozen]
            keep = ~frozen
            y, r, r_hat, v, p = (a[:, keep].copy() for a in (y, r, r_hat, v, p))
            tmp = np.empty_like(y)
            rho, alpha, omega, cols = rho[keep], alpha[keep], omega[keep], cols[keep]
            frozen = np.zeros(len(cols), dtype=bool)
        rho_new = _coldot(r_hat, r)
        broken = ~frozen & ((rho_new == 0.0) | (omega == 0.0))
        frozen |= broken
        live = ~frozen
        safe_rho = np.where(live, rho, 1.0)
        safe_omega = np.where(live, omega, 1.0)
        beta = np.where(live, (rho_new / safe_rho) * (alpha / safe_omega), 0.0)
        rho = np.where(live, rho_new, rho)
        np.multiply(v, np.where(live, omega, 0.0), out=tmp)  # p = r + beta (p - omega v)
        p -= tmp
        p *= beta
        p += r
        np.subtract(p, apply(p), out=v)
        denom = _coldot(r_hat, v)
        good = live & (denom != 0.0)
        al = np.where(good, rho_new / np.where(good, denom, 1.0), 0.0)
        np.multiply(v, al, out=tmp)  # s = r - alpha v
        s = r - tmp
        t = s - apply(s)
        matvecs += 2
        tt = _coldot(t, t)
        om = np.where(good & (tt > 0), _coldot(t, s) / np.where(tt > 0, tt, 1.0), 0.0)
        finite = np.isfinite(al * om)
        al = np.where(finite, al, 0.0)
        om = np.where(finite, om, 0.0)
        np.multiply(p, al, out=tmp)  # y += alpha p + omega s
        y += tmp
        np.multiply(s, om, out=tmp)
        y += tmp
        np.multiply(t, om, out=tmp)  # r = s - omega t (a frozen column keeps r = s = r)
        np.subtract(s, tmp, out=r)
        alpha = np.where(good, al, alpha)
        omega = np.where(good, om, omega)
        iters[cols[good]] += 1
        frozen |= live & ~(good & finite)
    y_out[:, cols] = y
    return y_out, matvecs, iters, ok


def _apply_block(matrix: sp.csr_array, extra: sp.csr_array | None, x: FloatArray
                 ) -> FloatArray:
    out = np.asarray(matrix @ x, dtype=np.float64)
    if extra is not None:
        out += extra @ x
    return out


def pagerank_batch(split: DanglingSplit, sources: Sequence[int], *, damping: float = 0.85,
                   tol: float = 1e-12, block: int = 64, max_iter: int = 100_000
                   ) -> BatchResult:
    """Personalized PageRank of each source in ``sources`` (indices into ``split``'s
    matrix, which must hold every node each source reaches), each to the guaranteed L1
    bound ``tol``.

    Parameters
    ----------
    split:
        ``P^T`` on a set closed under out-edges, split at its dangling nodes
        (:func:`~.pagerank.split_dangling`; :meth:`~.matrix.Operator.restricted` of all the
        sources gives one).
    sources:
        One restart node per column.
    block:
        Columns solved together (memory: about ten blocks of ``n x block`` floats).

    Returns
    -------
    BatchResult
        ``x[:, j]`` within ``tol`` (L1) of source ``j``'s exact vector.
    """
    if not 0 < damping < 1 or not 0 < tol < 1:
        raise LocalProtocolError("damping and tol must lie in (0, 1)")
    if block < 1:
        raise LocalProtocolError("block must be at least 1")
    n = split.n
    idx = np.asarray(sources, dtype=np.int64)
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        raise LocalProtocolError("a source index lies outside the matrix")
    x = np.empty((n, len(idx)))
    bound = np.empty(len(idx))
    iterations = np.zeros(len(idx), dtype=np.int64)
    matvecs = 0
    reduction = split.reduction(damping, eager=True) if split.core else None
    for start in range(0, len(idx), block):
        cols = idx[start:start + block]
        xs, bs, mv, it = _solve_block(split, reduction, cols, damping, tol, max_iter)
        x[:, start:start + len(cols)] = xs
        bound[start:start + len(cols)] = bs
        iterations[start:start + len(cols)] = it
        matvecs += mv
    return BatchResult(x=x, bound=bound, matvecs=matvecs, iterations=iterations)


def _solve_block(split: DanglingSplit, reduction: Reduction | None, cols: IntArray,
                 damping: float, tol: float, max_iter: int
                 ) -> tuple[FloatArray, FloatArray, int, IntArray]:
    n, c, k = split.n, split.core, len(cols)
    p = np.zeros((n, k))
    p[cols, np.arange(k)] = 1.0
    q = p if split.order is None else p[split.order]
    b, p_tail = q[:c], q[c:]
    p_tail_sum = p_tail.sum(axis=0)
    limit = tol * (1.0 - damping) / (2.0 * damping) * 0.5
    iters = np.zeros(k, dtype=np.int64)
    matvecs = 0
    if c == 0:
        y_core = b.copy()
    elif reduction is None:
        colsum = split.tail_colsum
        core_extra = sp.csr_array(split.extra[:c, :c]) if split.extra is not None else None

        def core_apply(v: FloatArray) -> FloatArray:
            out = _apply_block(split.core_block, core_extra, v)
            out *= damping
            return out

        def core_target(v: FloatArray, live: IntArray) -> FloatArray:
            total = v.sum(axis=0) + p_tail_sum[live] + damping * (colsum @ v)
            out: FloatArray = limit * total
            return out

        y_core, matvecs, iters, _ = _block_bicgstab(core_apply, b, b.copy(), core_target,
                                                    2000)
    else:
        kept, gone = reduction.kept, reduction.eliminated
        b_kept, b_gone = b[kept], b[gone]
        rhs = b_kept + damping * np.asarray(reduction.to_kept @ b_gone)
        u = 1.0 + damping * split.tail_colsum
        gone_u = u[gone]
        weight = u[kept] + damping * reduction.from_kept_transpose_apply(gone_u)
        const = gone_u @ b_gone + p_tail_sum

        def reduced_apply(v: FloatArray) -> FloatArray:
            out = np.asarray(reduction.reduced @ v, dtype=np.float64)
            if reduction.reduced_extra is not None:
                out += reduction.reduced_extra @ v
            out *= damping
            return out

        def reduced_target(v: FloatArray, live: IntArray) -> FloatArray:
            out: FloatArray = limit * (const[live] + weight @ v)
            return out

        y_kept, matvecs, iters, _ = _block_bicgstab(reduced_apply, rhs, rhs.copy(),
                                                    reduced_target, 2000)
        y_core = np.empty((c, k))
        y_core[kept] = y_kept
        y_core[gone] = b_gone + damping * np.asarray(reduction.from_kept @ y_kept)
        if reduction.from_extra is not None:
            y_core[gone] += damping * np.asarray(reduction.from_extra @ y_kept)
        matvecs += 1
    y = with_dangling(split, y_core, p_tail, damping)
    matvecs += 1
    scale = y.sum(axis=0)
    bad = ~np.isfinite(y).all(axis=0) | (scale <= 0) | (y < -1e-9 * scale).any(axis=0)
    if bad.any():  # as a single solve: fall back to power iteration from p
        y[:, bad] = p[:, bad]
        scale[bad] = 1.0
    x = y / scale
    bound = np.empty(k)
    live = np.arange(k)
    while len(live):  # verify each column with F; power steps until its bound holds
        xl = x[:, live]
        ax = damping * split.apply(xl)
        fx = ax + (xl.sum(axis=0) - ax.sum(axis=0)) * p[:, live]
        matvecs += 1
        bl = damping * np.abs(fx - xl).sum(axis=0) / (1.0 - damping)
        x[:, live] = fx
        bound[live] = bl
        live = live[bl >= tol]
        if matvecs > max_iter:
            raise LocalProtocolError(f"personalized PageRank did not reach {tol:g}")
    return x, bound, matvecs, iters
