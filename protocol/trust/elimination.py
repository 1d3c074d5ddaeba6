"""Exact elimination of an independent set of nodes from a personalized PageRank system.

The core system of :func:`~.pagerank.pagerank_sparse` is ``(I - a M) y = b``, with ``M``
the transposed transition matrix among the nodes that have out-edges. Take a set ``E`` of
nodes no two of which share an edge (either way) and none with a self-loop; ``K`` is the
rest. Then ``M_EE = 0`` and, ordering ``K`` first::

    [ I - a M_KK   -a M_KE ] [y_K]   [b_K]
    [   -a M_EK       I    ] [y_E] = [b_E]

so ``y_E = b_E + a M_EK y_K`` exactly, and ``y_K`` solves the Schur complement system

    (I - a R) y_K = b_K + a M_KE b_E,      R = M_KK + a M_KE M_EK.

Eliminating node ``v`` removes its ``in(v) + out(v)`` entries and adds at most
``in(v) * out(v)`` (two-step paths through it), so only nodes with ``in * out`` at most
:data:`FILL_CAP` are taken: ``R`` keeps about as many entries as ``M`` on half as many
rows. The iterative solver then works on vectors half as long and needs fewer products: it
is one level of red-black (independent set) reduction [1]_, [2]_. The residual of the full
system equals the reduced one's (``r_E`` is exactly 0), so the solver's L1 bound holds as
is.

The set is chosen without randomness, in rounds (Luby's rule [3]_ with fixed priorities):
a candidate joins when its priority, ``in * out`` then its index, is below that of every
candidate neighbour; its neighbours then leave the candidates.

References
----------
.. [1] Y. Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., SIAM, 2003,
   section 3.3.2 (independent set orderings) and section 12.4 (multi-elimination).
.. [2] A. N. Langville, C. D. Meyer, "A reordering for the PageRank problem", SIAM J. Sci.
   Comput. 27(6), 2006 (eliminating dangling nodes, the first such reduction).
.. [3] M. Luby, "A simple parallel algorithm for the maximal independent set problem",
   SIAM J. Comput. 15(4), 1986.

Examples
--------
A cycle ``s -> a -> b -> s`` (nodes 0, 1, 2): ``s`` goes (every node has one edge in and
one out; the lowest index wins), and ``R`` holds the two-step edge ``b -> s -> a`` with
weight ``a`` (the damping times the product of the probabilities on the way).

>>> import scipy.sparse as sp
>>> m = sp.csr_array(([1.0, 1.0, 1.0], ([1, 2, 0], [0, 1, 2])), shape=(3, 3))  # P^T
>>> e = eliminate(m, min_fraction=0.0)
>>> e.eliminated.tolist(), e.kept.tolist(), e.reduced(0.85).toarray().tolist()
([0], [1, 2], [[0.0, 0.85], [1.0, 0.0]])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["FILL_CAP", "MIN_FRACTION", "Elimination", "Reduction", "eliminate",
           "independent_set"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

#: Largest ``in * out`` of an eliminated node (the entries it may add to ``R``).
FILL_CAP = 16
#: Eliminate only when at least this fraction of the nodes goes (else it is not worth it).
MIN_FRACTION = 0.1
_ROUNDS = 4


@dataclass(frozen=True, eq=False)
class Reduction:
    """What a solve needs of an :class:`Elimination` at one damping factor.

    ``reduced`` is ``R`` and ``from_kept`` is ``M_EK``; after an update the columns of the
    nodes whose out-edges changed are zeroed in both, and their new entries are in
    ``reduced_extra`` and ``from_extra`` (added: ``R' = reduced + reduced_extra``).
    """

    kept: IntArray
    eliminated: IntArray
    to_kept: sp.csr_array
    from_kept: sp.csr_array
    reduced: sp.csr_array
    from_extra: sp.csr_array | None = None
    reduced_extra: sp.csr_array | None = None

    @property
    def n(self) -> int:
        return len(self.kept)

    def apply(self, v: FloatArray) -> FloatArray:
        """``R' v``."""
        out = np.asarray(self.reduced @ v, dtype=np.float64)
        if self.reduced_extra is not None:
            out += self.reduced_extra @ v
        return out

    def from_kept_apply(self, v: FloatArray) -> FloatArray:
        """``M_EK' v``."""
        out = np.asarray(self.from_kept @ v, dtype=np.float64)
        if self.from_extra is not None:
            out += self.from_extra @ v
        return out

    def from_kept_transpose_apply(self, u: FloatArray) -> FloatArray:
        """``M_EK'^T u``."""
        out = np.asarray(self.from_kept.T @ u, dtype=np.float64)
        if self.from_extra is not None:
            out += self.from_extra.T @ u
        return out


@dataclass(frozen=True, eq=False)
class Elimination:
    """The reduced system of one core matrix.

    ``kept`` and ``eliminated`` are core positions (sorted); ``within`` is ``M_KK``,
    ``to_kept`` is ``M_KE`` and ``from_kept`` is ``M_EK`` (module docstring);
    :meth:`reduced` forms ``R`` for a damping factor (once: it is kept), :meth:`at` gives
    what a solve needs, and :meth:`patched_at` the same after a few columns changed.
    """

    kept: IntArray
    eliminated: IntArray
    within: sp.csr_array
    to_kept: sp.csr_array
    from_kept: sp.csr_array
    _reduced: dict[float, sp.csr_array] = field(default_factory=dict, repr=False)

    def reduced(self, damping: float) -> sp.csr_array:
        """``R = M_KK + a M_KE M_EK`` at ``damping`` (formed once per damping factor: its
        products are faster than those of the three blocks)."""
        got = self._reduced.get(damping)
        if got is None:
            got = sp.csr_array(self.within + damping * (self.to_kept @ self.from_kept))
            got.sum_duplicates()
            if got.nnz < 2**31 - 1:
                got.indices = got.indices.astype(np.int32, copy=False)
                got.indptr = got.indptr.astype(np.int32, copy=False)
            self._reduced[damping] = got
        return got

    def at(self, damping: float) -> Reduction:
        """The reduced system at ``damping``."""
        return Reduction(kept=self.kept, eliminated=self.eliminated, to_kept=self.to_kept,
                         from_kept=self.from_kept, reduced=self.reduced(damping))

    def patched_at(self, damping: float, columns: IntArray, extra: sp.csr_array
                   ) -> Reduction | None:
        """The reduced system of the core matrix with the columns ``columns`` (core
        positions: nodes whose out-edges changed) replaced by those of ``extra`` (core
        square, nonzero in those columns only).

        Exact when no changed node is eliminated: ``M_KE`` keeps its columns (sources in
        ``E``), ``M_EE`` stays 0, and ``R' = R`` with the columns zeroed ``+ X_K + a M_KE
        X_E`` (``X`` = ``extra``; rows ``K`` and ``E``). ``None`` otherwise. The cost is
        one pass over ``R``'s values and a small product.
        """
        eliminated_mask = np.zeros(int(extra.shape[0]), dtype=bool)
        eliminated_mask[self.eliminated] = True
        if eliminated_mask[columns].any():
            return None
        into_kept = np.searchsorted(self.kept, columns).astype(np.int64)
        drop = np.zeros(len(self.kept), dtype=bool)
        drop[into_kept] = True
        r = self.reduced(damping)
        reduced = sp.csr_array((np.where(drop[r.indices], 0.0, r.data), r.indices, r.indptr),
                               shape=r.shape)
        f = self.from_kept
        from_kept = sp.csr_array((np.where(drop[f.indices], 0.0, f.data), f.indices,
                                  f.indptr), shape=f.shape)
        extra = sp.csr_array(extra)
        x_kept = sp.csr_array(extra[self.kept][:, self.kept])
        x_gone = sp.csr_array(extra[self.eliminated][:, self.kept])
        reduced_extra = sp.csr_array(x_kept + damping * (self.to_kept @ x_gone))
        return Reduction(kept=self.kept, eliminated=self.eliminated, to_kept=self.to_kept,
                         from_kept=from_kept, reduced=reduced, from_extra=x_gone,
                         reduced_extra=reduced_extra)


def independent_set(m: sp.csr_array, *, cap: int = FILL_CAP, rounds: int = _ROUNDS
                    ) -> BoolArray:
    """Nodes of ``m`` (square, ``P^T``) no two of which share an edge, none with a
    self-loop, each with ``in * out <= cap``: the set :func:`eliminate` removes.

    Only edges between two candidates can stop a candidate; they are few (a candidate has
    few edges), so the rounds run on that short edge list.
    """
    n = int(m.shape[0])
    into = np.diff(m.indptr).astype(np.int64)  # a row of P^T holds a node's in-edges
    out = np.bincount(m.indices, minlength=n).astype(np.int64)
    targets = np.repeat(np.arange(n, dtype=np.int64), into)
    sources = m.indices.astype(np.int64)
    candidate = into * out <= cap
    candidate[targets[targets == sources]] = False  # a self-loop: M_EE would not be 0
    both = candidate[targets] & candidate[sources]
    u, v = targets[both], sources[both]
    never = np.iinfo(np.int64).max
    priority = into * out * n + np.arange(n, dtype=np.int64)
    chosen = np.zeros(n, dtype=bool)
    for _ in range(rounds):
        if not candidate.any():
            break
        live = candidate[u] & candidate[v]
        lu, lv = u[live], v[live]
        lowest = np.full(n, never, dtype=np.int64)
        np.minimum.at(lowest, lu, priority[lv])
        np.minimum.at(lowest, lv, priority[lu])
        pick = candidate & (priority < lowest)
        chosen |= pick
        blocked = np.zeros(n, dtype=bool)
        blocked[lv[pick[lu]]] = True
        blocked[lu[pick[lv]]] = True
        candidate &= ~(pick | blocked)
    return chosen


def _split_columns(rows: sp.csr_array, position: npt.NDArray[np.int64], cut: int
                   ) -> tuple[sp.csr_array, sp.csr_array]:
    """``rows`` with its columns renumbered by ``position``, split at ``cut``: the columns
    before it and those after (renumbered from 0), as two CSR matrices."""
    count = int(rows.shape[0])
    where = position[rows.indices]
    left = where < cut
    row_of = np.repeat(np.arange(count), np.diff(rows.indptr))
    out = []
    for mask, shift, width in ((left, 0, cut), (~left, cut, len(position) - cut)):
        indptr = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_of[mask], minlength=count), out=indptr[1:])
        index_type = np.int32 if len(where) < 2**31 - 1 else np.int64
        out.append(sp.csr_array((rows.data[mask], (where[mask] - shift).astype(index_type),
                                 indptr.astype(index_type)), shape=(count, width)))
    return out[0], out[1]


def eliminate(m: sp.csr_array, *, cap: int = FILL_CAP,
              min_fraction: float = MIN_FRACTION) -> Elimination | None:
    """The reduced system of ``(I - a m) y = b`` (module docstring), or ``None`` when fewer
    than ``min_fraction`` of the nodes can go."""
    n = int(m.shape[0])
    chosen = independent_set(m, cap=cap)
    eliminated = np.flatnonzero(chosen).astype(np.int32)
    if n == 0 or len(eliminated) == 0 or len(eliminated) < min_fraction * n:
        return None
    kept = np.flatnonzero(~chosen).astype(np.int32)
    position = np.empty(n, dtype=np.int64)  # K first, then E
    position[kept] = np.arange(len(kept))
    position[eliminated] = len(kept) + np.arange(len(eliminated))
    within, to_kept = _split_columns(sp.csr_array(m[kept]), position, len(kept))
    from_kept, _ = _split_columns(sp.csr_array(m[eliminated]), position, len(kept))
    return Elimination(kept=kept, eliminated=eliminated, within=within, to_kept=to_kept,
                       from_kept=from_kept)
