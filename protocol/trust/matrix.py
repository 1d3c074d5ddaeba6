"""Compiled sparse matrices of a context, and per-evaluator patches of them.

Compiling a context (``compile_context``) turns its base edge weights into scipy CSR
matrices once: the signed weights ``W`` (rows: issuers) and the transposed transition
matrix ``P^T`` of personalized PageRank (positive weights only, each row divided by its sum).
An evaluator sees the same matrix except for a few rows: its own and those of the issuers
whose marks it reads (``conversion.py``), plus the rows changed since the compilation.
:func:`operator_for` rebuilds just those rows and applies

    P_eff^T x = P_base^T (x * keep) + P_rows^T x

where ``keep`` zeroes the replaced rows. An update after one new assertion therefore costs
one dirty row, not a recompilation; the context is recompiled when the dirty rows exceed
``max(256, n / 64)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .graph import EvaluatorView, TrustGraph

__all__ = ["Compiled", "Operator", "compile_context", "compiled", "operator_for"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Compiled:
    """The base matrices of one context at one version."""

    version: int
    nodes: tuple[str, ...]
    index: dict[str, int]
    signed: sp.csr_array
    transition_t: sp.csr_array
    keep_template: FloatArray
    out_sum: FloatArray  # sum of each row's positive weights

    @property
    def n(self) -> int:
        return len(self.nodes)


def _row_normalised_t(rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64],
                      data: FloatArray, n: int) -> sp.csr_array:
    """(D^-1 W+)^T as CSR, from COO triples of positive weights."""
    sums = np.bincount(rows, weights=data, minlength=n)
    vals = data / sums[rows] if len(rows) else data
    return sp.csr_array((vals, (cols, rows)), shape=(n, n))


def compile_context(graph: TrustGraph, context: str) -> Compiled:
    """Build the base matrices of ``context`` from its cached base weights."""
    state = graph.context_state(context)
    g = state.graph
    nodes = tuple(g.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    n = len(nodes)
    src: list[int] = []
    dst: list[int] = []
    wts: list[float] = []
    for u, nbrs in g.adjacency():
        iu = index[u]
        for v, data in nbrs.items():
            w = data["w"]
            if w is not None:
                src.append(iu)
                dst.append(index[v])
                wts.append(w)
    rows = np.asarray(src, dtype=np.int64)
    cols = np.asarray(dst, dtype=np.int64)
    vals = np.asarray(wts, dtype=np.float64)
    signed = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    pos = vals > 0
    transition_t = _row_normalised_t(rows[pos], cols[pos], vals[pos], n)
    return Compiled(version=state.version, nodes=nodes, index=index, signed=signed,
                    transition_t=transition_t, keep_template=np.ones(n),
                    out_sum=np.asarray(np.bincount(rows[pos], weights=vals[pos], minlength=n),
                                       dtype=np.float64))


def compiled(graph: TrustGraph, context: str, *, fresh: bool = False
             ) -> tuple[Compiled, frozenset[str]]:
    """The context's compiled matrices and the rows changed since, recompiling when needed.

    ``fresh`` recompiles whenever anything changed (for computations that read the base
    matrix whole, such as fairness).
    """
    state = graph.context_state(context)
    comp: Compiled | None = state.compiled
    n = comp.n if comp is not None else 0
    stale = comp is not None and comp.version != state.version
    if comp is None or len(state.dirty) > max(256, n // 64) or (fresh and stale):
        comp = compile_context(graph, context)
        state.compiled = comp
        state.dirty = set()
        state.new_nodes = []
    return comp, frozenset(state.dirty)


@dataclass(frozen=True, eq=False)
class Operator:
    """``x -> P_eff^T x`` for one evaluator, over ``nodes`` (base nodes first, then new ones).

    ``keep`` is ``None`` when no row is replaced: the base matrix alone is applied.
    """

    nodes: tuple[str, ...]
    index: Callable[[str], int | None]
    base: Compiled
    keep: FloatArray | None
    rows_t: sp.csr_array | None
    version: int

    @property
    def n(self) -> int:
        return len(self.nodes)

    def base_out_sum(self, node: str) -> float | None:
        """The positive out-weight of ``node`` when its row is the base one, else ``None``."""
        i = self.base.index.get(node)
        if i is None or (self.keep is not None and self.keep[i] == 0.0):
            return None
        return float(self.base.out_sum[i])

    def apply(self, x: FloatArray) -> FloatArray:
        nb = self.base.n
        if self.keep is None or self.rows_t is None:
            out: FloatArray = self.base.transition_t @ x
            return out
        out = self.rows_t @ x
        if nb:
            out[:nb] += self.base.transition_t @ (x[:nb] * self.keep)
        return out


def operator_for(view: EvaluatorView) -> Operator:
    """The transition operator of ``view``: base matrix with the evaluator's rows replaced."""
    graph = view.trust_graph
    comp, dirty = compiled(graph, view.context)
    g = view.graph
    extra = list(graph.context_state(view.context).new_nodes)
    nodes = comp.nodes + tuple(extra)
    extra_index = {node: comp.n + i for i, node in enumerate(extra)}

    def index(node: str) -> int | None:
        i = comp.index.get(node)
        return i if i is not None else extra_index.get(node)

    override = {u for u in (dirty | view.rewritten_rows()) if u in g}
    n = len(nodes)
    if not override and n == comp.n:
        return Operator(nodes=nodes, index=index, base=comp, keep=None, rows_t=None,
                        version=graph.version(view.context))
    keep = comp.keep_template.copy()
    src: list[int] = []
    dst: list[int] = []
    wts: list[float] = []
    for u in override:
        iu = index(u)
        assert iu is not None
        if iu < comp.n:
            keep[iu] = 0.0
        for v, w in view.successors(u):
            if w > 0:
                iv = index(v)
                assert iv is not None
                src.append(iu)
                dst.append(iv)
                wts.append(w)
    rows = np.asarray(src, dtype=np.int64)
    cols = np.asarray(dst, dtype=np.int64)
    rows_t = _row_normalised_t(rows, cols, np.asarray(wts, dtype=np.float64), n)
    return Operator(nodes=nodes, index=index, base=comp, keep=keep, rows_t=rows_t,
                    version=graph.version(view.context))
