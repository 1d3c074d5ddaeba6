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

A personalized PageRank from some seeds only ever reaches the nodes reachable from them:
:meth:`Operator.restricted` gives ``P_eff^T`` on that set (closed under out-edges, so no
mass leaves it, and dangling mass returns to the seeds inside it), which the solver iterates
on instead of the whole graph, its dangling nodes last (split off once, see
``pagerank.DanglingSplit``). All nodes of one strongly connected component reach the same
set: on the base matrix the restricted matrix is cached per seeds' components.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from .graph import EvaluatorView, TrustGraph
from .pagerank import DanglingSplit, split_dangling

__all__ = ["Compiled", "Operator", "Restricted", "compile_arrays", "compile_context", "compiled",
           "operator_for"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
_RESTRICTED_CACHE = 4


@dataclass(frozen=True, eq=False)
class Restricted:
    """``P_eff^T`` on the nodes reachable from some seeds.

    ``order[k]`` is the operator index of local node ``k`` (breadth-first order from the
    seeds, which keeps neighbours close in memory, the nodes with out-edges first and the
    dangling ones after them); ``local`` maps operator indices back (-1 outside the set).
    ``split`` is ``P_eff^T`` on the set (in that order) split at its dangling nodes, for the
    solver.
    """

    order: IntArray
    local: IntArray
    split: DanglingSplit


def _csr32(m: sp.csr_array) -> sp.csr_array:
    """The same CSR with int32 indices (half the index traffic of a product)."""
    if m.nnz >= 2**31 - 1 or m.shape[0] >= 2**31 - 1:
        return m
    return sp.csr_array((m.data, m.indices.astype(np.int32, copy=False),
                         m.indptr.astype(np.int32, copy=False)), shape=m.shape)


def _restrict(forward: sp.csr_array, seeds: list[int]) -> Restricted:
    """Restrict the transition matrix ``forward`` (``P``, rows: sources) to what the seeds
    reach, returned transposed (``P^T``) for the solver."""
    n = int(forward.shape[0])
    if len(seeds) == 1:
        order = breadth_first_order(forward, seeds[0], directed=True,
                                    return_predecessors=False)
    else:  # a virtual root pointing at every seed
        m = sp.csr_array((np.ones(len(seeds)), (np.full(len(seeds), n), seeds)),
                         shape=(n + 1, n + 1))
        ext = sp.csr_array(sp.block_diag((forward, sp.csr_array((1, 1)))) + m)
        order = breadth_first_order(ext, n, directed=True, return_predecessors=False)[1:]
    order = np.asarray(order, dtype=np.int32)
    dangling = np.diff(forward.indptr)[order] == 0  # stable: breadth-first order in each part
    order = np.concatenate([order[~dangling], order[dangling]])
    local = np.full(n, -1, dtype=np.int32)
    local[order] = np.arange(len(order), dtype=np.int32)
    rows = forward[order]  # every column of these rows lies in the set (it is closed)
    k = len(order)
    sub = sp.csr_array((rows.data, local[rows.indices], rows.indptr), shape=(k, k))
    matrix = _csr32(sp.csr_array(sub.T.tocsr()))
    return Restricted(order=order, local=local, split=split_dangling(matrix))


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
    transition: sp.csr_array = field(repr=False)  # P itself (rows: sources), for searches
    _restricted: OrderedDict[tuple[int, ...], Restricted] = field(
        default_factory=OrderedDict, repr=False)
    _components: list[IntArray] = field(default_factory=list, repr=False)

    @property
    def n(self) -> int:
        return len(self.nodes)

    def restricted(self, seeds: list[int]) -> Restricted:
        """``P^T`` on the nodes reachable from ``seeds``, cached per seeds' components."""
        if not self._components:
            self._components.append(np.asarray(connected_components(
                self.transition, directed=True, connection="strong")[1], dtype=np.int32))
        labels = self._components[0]
        key = tuple(sorted({int(labels[i]) for i in seeds}))
        got = self._restricted.get(key)
        if got is None:
            got = self._restricted[key] = _restrict(self.transition, seeds)
            while len(self._restricted) > _RESTRICTED_CACHE:
                self._restricted.popitem(last=False)
        else:
            self._restricted.move_to_end(key)
        return got


def _row_normalised_t(rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64],
                      data: FloatArray, n: int) -> sp.csr_array:
    """(D^-1 W+)^T as CSR, from COO triples of positive weights."""
    sums = np.bincount(rows, weights=data, minlength=n)
    vals = data / sums[rows] if len(rows) else data
    return _csr32(sp.csr_array((vals, (cols, rows)), shape=(n, n)))


def compile_context(graph: TrustGraph, context: str) -> Compiled:
    """Build the base matrices of ``context`` from its cached base weights."""
    state = graph.context_state(context)
    g = state.graph
    nodes = tuple(g.nodes)
    index = {node: i for i, node in enumerate(nodes)}
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
    return compile_arrays(state.version, nodes, index, np.asarray(src, dtype=np.int64),
                          np.asarray(dst, dtype=np.int64), np.asarray(wts, dtype=np.float64))


def compile_arrays(version: int, nodes: tuple[str, ...], index: dict[str, int],
                   rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64],
                   vals: FloatArray) -> Compiled:
    """The matrices from COO triples (``rows`` in node order, each row's edges in insertion
    order: the order fixes the floating-point sums, so both loaders agree to the bit)."""
    n = len(nodes)
    signed = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    pos = vals > 0
    transition_t = _row_normalised_t(rows[pos], cols[pos], vals[pos], n)
    return Compiled(version=version, nodes=nodes, index=index, signed=signed,
                    transition_t=transition_t, keep_template=np.ones(n),
                    transition=_csr32(sp.csr_array(transition_t.T.tocsr())),
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

    def restricted(self, seeds: list[int]) -> Restricted:
        """``P_eff^T`` on the nodes reachable from ``seeds`` (operator indices).

        With rows replaced, the base matrix's cached set is patched when it stays closed
        (:func:`_patch`); otherwise the set is searched again on the patched matrix.
        """
        if self.keep is None or self.rows_t is None:
            return self.base.restricted(seeds)
        patched = _patch(self, seeds)
        if patched is not None:
            return patched
        n, nb = self.n, self.base.n
        base = self.base.transition
        indptr = np.concatenate([base.indptr, np.full(n - nb, base.indptr[-1])])
        padded = sp.csr_array((base.data, base.indices, indptr), shape=(n, n))
        keep = np.concatenate([self.keep, np.ones(n - nb)])
        forward = sp.csr_array(sp.diags_array(keep) @ padded + self.rows_t.T.tocsr())
        forward.eliminate_zeros()
        return _restrict(_csr32(forward), seeds)

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


def _patch(op: Operator, seeds: list[int]) -> Restricted | None:
    """The base matrix's restricted set for ``seeds``, with ``op``'s replaced rows patched in.

    The set ``S`` the seeds reach in the base graph is closed under out-edges. With some
    rows replaced it stays closed when every new out-edge of a node in ``S`` ends in ``S``:
    nodes of ``S`` the seeds no longer reach then just score exactly 0, and the solve is
    exact. A new out-edge may also end at a node without out-edges (typically a subject
    new to the graph): that node joins ``S`` as a dangling node, at the end. ``None`` when
    a seed is new to the graph (it has no cached set), a new edge ends at a node outside
    ``S`` that has out-edges, or a node that was dangling gains out-edges (the caller then
    searches afresh).
    """
    assert op.keep is not None and op.rows_t is not None
    n, nb = op.n, op.base.n
    if any(not 0 <= i < nb for i in seeds):
        return None
    base = op.base.restricted(seeds)
    k = len(base.order)
    local = np.concatenate([base.local, np.full(n - nb, -1, dtype=np.int32)])
    edges = op.rows_t.tocoo()  # rows: targets, columns: the replaced sources
    sources = np.asarray(edges.col, dtype=np.int64)
    targets = np.asarray(edges.row, dtype=np.int64)
    new_degree = np.bincount(sources, minlength=n)  # out-degree of each replaced row
    in_set = local[sources] >= 0
    sources, targets, values = sources[in_set], targets[in_set], edges.data[in_set]
    joining = np.unique(targets[local[targets] < 0])
    if len(joining):
        replaced = np.zeros(n, dtype=bool)
        replaced[:nb] = op.keep == 0.0
        replaced[nb:] = True
        kept = ~replaced[joining] & (joining < nb)
        degree = np.where(kept, np.diff(op.base.transition.indptr)[np.minimum(joining, nb - 1)],
                          new_degree[joining])
        if degree.any():
            return None
        local[joining] = k + np.arange(len(joining), dtype=np.int32)
    size = k + len(joining)
    columns = local[np.flatnonzero(op.keep == 0.0)]
    columns = columns[columns >= 0]
    extra = sp.csr_array((values, (local[targets], local[sources])), shape=(size, size))
    split = base.split.patched(columns, extra)
    if split is None:
        return None
    order = np.concatenate([base.order, joining.astype(np.int32)])
    return Restricted(order=order, local=local, split=split)
