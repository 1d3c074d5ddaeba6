"""Edge lists read with numpy: the same rules as ``edgelist.py``, no object per edge.

:func:`parse_edge_arrays` takes the whole text (``bytes``, ``str``, or an iterable of lines
the caller read) and applies exactly the rules of :class:`~.edgelist.EdgeListParser`: both
forms, ``#``/``%`` comments and blank lines, a header as first data line, the limits, and
the same error naming the first bad line. Lines end at ``\\n`` (a ``\\r`` before it is
whitespace); fields are split on ASCII whitespace (or commas, then stripped). Lines,
fields and numbers are located and converted by whole-array operations: no Python object is
made per line or per edge.

:func:`load_edge_arrays` turns the result into an :class:`~.arraygraph.ArrayAdjacency` and
its compiled matrices (``matrix.py``), installed in a new context of a
:class:`~.graph.TrustGraph`: ``ppr`` and ``eigentrust`` then run on the matrices directly,
explanations build the claims of the hops they name (ids ``origin:line``), and the
context becomes a networkx digraph only if something changes it. Both loaders produce the
same graph (same node and edge order, same weights: later line or later time wins), so
every score is identical to the bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..errors import LimitExceeded, LocalProtocolError, MalformedDocument, RemoteProtocolError
from ..rules import ConversionRule
from .arraygraph import ArrayAdjacency, Side
from .conversion import Claim
from .edgelist import (
    DEFAULT_EDGE_LIMITS,
    DEFAULT_RATING_RULE,
    DEFAULT_SIGN_RULE,
    FORMATS,
    EdgeListLimits,
    LoadReport,
)
from .graph import TrustGraph
from .matrix import compile_arrays

if TYPE_CHECKING:
    from .engine import TrustEngine

__all__ = ["EdgeArrays", "install_edge_arrays", "load_edge_arrays", "parse_edge_arrays"]

I64 = npt.NDArray[np.int64]
Offsets = npt.NDArray[np.signedinteger[Any]]  # int32 below 2 GiB of text, else int64
F64 = npt.NDArray[np.float64]
_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 11, 12, 13, 32]] = True  # bytes.split()'s whitespace
_SHORT = 32  # fields up to this many bytes are converted as a fixed-width array
_ID_WIDTH = 64  # ids up to this many bytes are grouped as a fixed-width array


@dataclass(frozen=True, eq=False)
class EdgeArrays:
    """The edges of a list, one array entry per data line (header excluded), in order.

    ``source``/``target`` are fixed-width byte strings (UTF-8), ``time`` is NaN where the
    line has no time column, ``line`` the 1-based line number.
    """

    format: str
    source: npt.NDArray[np.bytes_] | npt.NDArray[np.object_]
    target: npt.NDArray[np.bytes_] | npt.NDArray[np.object_]
    rating: F64
    time: F64
    line: I64

    @property
    def edges(self) -> int:
        return int(self.rating.shape[0])


def _as_bytes(data: bytes | str | Iterable[str | bytes]) -> bytes:
    try:
        if isinstance(data, bytes | bytearray | memoryview):
            return bytes(data)
        if isinstance(data, str):
            return data.encode("utf-8")
        parts = [p.encode("utf-8") if isinstance(p, str) else bytes(p) for p in data]
    except UnicodeEncodeError as exc:
        raise MalformedDocument(f"the edge list is not UTF-8 text: {exc.reason}") from None
    return b"".join(p if p.endswith(b"\n") else p + b"\n" for p in parts)


class _Text:
    """The byte buffer with its lines and character counts."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.buf = np.frombuffer(raw, dtype=np.uint8)
        size = len(raw)
        self.index_type: type[np.signedinteger[Any]] = \
            np.int32 if size < 2**31 - 2 else np.int64  # byte offsets
        nl: Offsets = np.flatnonzero(self.buf == 10).astype(self.index_type)
        starts: Offsets = np.concatenate(([0], nl + 1)).astype(self.index_type)
        ends: Offsets = np.concatenate((nl, [size])).astype(self.index_type)
        del nl
        if len(starts) and starts[-1] == size:  # nothing after the last newline
            starts, ends = starts[:-1], ends[:-1]
        self.starts: Offsets = starts
        self.ends: Offsets = ends
        self.ascii = size == 0 or int(self.buf.max()) < 128
        if not self.ascii:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MalformedDocument(f"the edge list is not UTF-8 text: {exc.reason}"
                                        ) from None
            lead = (self.buf & 0xC0) != 0x80  # the first byte of each character
            self._chars = np.concatenate(([0], np.cumsum(lead, dtype=np.int64)))

    def chars(self, a: Offsets, b: Offsets) -> Offsets:
        """Characters in the byte ranges ``[a, b)``."""
        if self.ascii:
            return b - a
        return self._chars[b] - self._chars[a]

    def text(self, a: int, b: int) -> str:
        return self.raw[a:b].decode("utf-8")


def _gather(buf: npt.NDArray[np.uint8], starts: Offsets, lengths: Offsets,
            width: int) -> npt.NDArray[np.bytes_]:
    """The byte ranges as one fixed-width array (NUL padded), column by column."""
    m = len(starts)
    width = max(1, width)
    out = np.zeros((m, width), dtype=np.uint8)
    for c in range(width):
        sel = np.flatnonzero(lengths > c)
        out[sel, c] = buf[starts[sel] + c]
    return out.reshape(-1).view(f"S{width}")


def _strings(text: _Text, starts: Offsets, ends: Offsets
             ) -> npt.NDArray[np.bytes_] | npt.NDArray[np.object_]:
    lengths = ends - starts
    width = int(lengths.max()) if len(lengths) else 1
    if width <= _ID_WIDTH:
        return _gather(text.buf, starts, lengths, width)
    raw = text.raw  # rare: long ids, kept as Python bytes rather than a huge array
    return np.array([raw[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)],
                    dtype=object)


def _numbers(text: _Text, starts: Offsets, ends: Offsets) -> tuple[F64, npt.NDArray[np.bool_]]:
    """The fields as floats and whether each parsed (NaN where not)."""
    lengths = ends - starts
    out = np.full(len(starts), np.nan)
    ok = np.zeros(len(starts), dtype=bool)
    short = np.flatnonzero(lengths <= _SHORT)
    if len(short):
        strings = _gather(text.buf, starts[short], lengths[short],
                          int(lengths[short].max()))
        try:
            out[short] = strings.astype(np.float64)
            ok[short] = True
        except ValueError:
            short = np.array([], dtype=np.int64)
    done = np.zeros(len(starts), dtype=bool)
    done[short] = True
    raw = text.raw
    for k in np.flatnonzero(~done).tolist():  # long fields, or a batch with a bad one
        try:
            out[k] = float(raw[int(starts[k]):int(ends[k])])
            ok[k] = True
        except ValueError:
            pass
    return out, ok


def _fail_number(text: str, what: str, line: int) -> MalformedDocument:
    try:
        value = float(text)
    except ValueError:
        return MalformedDocument(f"line {line}: {what} {text[:40]!r} is not a number",
                                 line=line)
    if not math.isfinite(value):
        return MalformedDocument(f"line {line}: {what} must be finite", line=line)
    raise AssertionError("unreachable: the field is a finite number")  # pragma: no cover


def parse_edge_arrays(data: bytes | str | Iterable[str | bytes], *,
                      limits: EdgeListLimits = DEFAULT_EDGE_LIMITS,
                      fmt: str = "auto") -> EdgeArrays:
    """Parse a whole edge list; raises as :meth:`EdgeListParser.parse` would, same line.

    Parameters
    ----------
    data:
        The text as bytes or str, or the lines the caller read (each ends a line).
    limits, fmt:
        As for :class:`~.edgelist.EdgeListParser`.
    """
    if fmt not in FORMATS:
        raise LocalProtocolError(f"unknown edge-list format {fmt!r}")
    text = _Text(_as_bytes(data))
    buf = text.buf
    starts, ends = text.starts, text.ends
    # The first error so far (checks run in the old parser's order within a line), and the
    # number of lines still to look at: everything from the erring line on is moot.
    pending: RemoteProtocolError | None = None
    cutoff = len(starts)
    if cutoff > limits.max_lines:
        cutoff = limits.max_lines
        pending = LimitExceeded(f"more than {limits.max_lines} lines", limit=limits.max_lines)
    has_nl = (ends[:cutoff] < len(buf)).astype(np.int64)
    lengths = text.chars(starts[:cutoff], ends[:cutoff]) + has_nl
    long = np.flatnonzero(lengths > limits.max_line_length)
    if len(long):
        cutoff = int(long[0])
        pending = MalformedDocument(f"line {cutoff + 1}: longer than "
                                    f"{limits.max_line_length} characters", line=cutoff + 1)
    # Whitespace-separated tokens of the lines kept.
    region = int(ends[cutoff - 1]) if cutoff else 0
    nonws = ~_WS[buf[:region]]
    edge = np.diff(nonws.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    del nonws
    tstart = np.flatnonzero(edge == 1).astype(text.index_type)
    tend = np.flatnonzero(edge == -1).astype(text.index_type)
    del edge
    tline = (np.searchsorted(starts, tstart, side="right") - 1).astype(text.index_type)
    counts = np.bincount(tline, minlength=cutoff)[:cutoff]
    first_tok = np.cumsum(counts) - counts
    has = counts > 0
    lead = np.zeros(cutoff, dtype=np.uint8)
    lead[has] = buf[tstart[first_tok[has]]]
    data_lines = np.flatnonzero(has & (lead != 35) & (lead != 37))
    form = None if fmt == "auto" else fmt
    if form is None and len(data_lines):
        d0 = int(data_lines[0])
        form = "csv" if b"," in text.raw[int(starts[d0]):int(ends[d0])] else "whitespace"
    form = form or "csv"
    # Fields of the data lines: (start, end) byte offsets, grouped by line, in order.
    is_data = np.zeros(cutoff, dtype=bool)
    is_data[data_lines] = True
    if form == "whitespace":
        keep = is_data[tline]
        fstart, fend = tstart[keep], tend[keep]
        nfields = counts[data_lines]
        del keep
    else:
        lo = tstart[first_tok[data_lines]]  # the stripped line
        hi = tend[first_tok[data_lines] + counts[data_lines] - 1]
        cpos = np.flatnonzero(buf[:region] == 44)
        cline = np.searchsorted(starts, cpos, side="right") - 1
        cpos, cline = cpos[is_data[cline]], cline[is_data[cline]]
        nfields = np.bincount(cline, minlength=cutoff)[data_lines] + 1
        fline = np.concatenate((data_lines, cline))
        order = np.lexsort((np.concatenate((lo, cpos + 1)), fline))
        fstart = np.concatenate((lo, cpos + 1))[order]
        fend = np.concatenate((hi, cpos))[np.lexsort((np.concatenate((hi, cpos)),
                                                      np.concatenate((data_lines, cline))))]
        active = np.flatnonzero(fstart < fend)
        while len(active):  # strip each field
            moved = active[_WS[buf[fstart[active]]]]
            fstart[moved] += 1
            active = moved[fstart[moved] < fend[moved]]
        active = np.flatnonzero(fstart < fend)
        while len(active):
            moved = active[_WS[buf[fend[active] - 1]]]
            fend[moved] -= 1
            active = moved[fstart[moved] < fend[moved]]
    del tstart, tend, tline, first_tok, counts, is_data
    bad = np.flatnonzero((nfields < 3) | (nfields > 4))
    if len(bad):
        line = int(data_lines[bad[0]])
        shape = "source,target,rating[,time]" if form == "csv" else "source target sign [time]"
        pending = MalformedDocument(f"line {line + 1}: expected {shape}, got "
                                    f"{int(nfields[bad[0]])} field(s)", line=line + 1)
        cutoff = line
    ndata = int(np.searchsorted(data_lines, cutoff))
    first_field = np.cumsum(nfields) - nfields  # of each data line, into the field arrays
    rows = np.arange(ndata)
    if ndata:  # a first data line whose third field is not a number is a header
        k = int(first_field[0]) + 2
        try:
            float(text.raw[int(fstart[k]):int(fend[k])])
        except ValueError:
            rows = rows[1:]
    if len(rows) > limits.max_edges:
        rows = rows[: limits.max_edges + 1]  # the last one's line is checked, then refused
        pending = LimitExceeded(f"more than {limits.max_edges} edges", limit=limits.max_edges)
    lines = data_lines[rows]
    base = first_field[rows]
    src_a, src_b = fstart[base], fend[base]
    tgt_a, tgt_b = fstart[base + 1], fend[base + 1]
    max_id = limits.max_id_length
    src_len, tgt_len = text.chars(src_a, src_b), text.chars(tgt_a, tgt_b)
    src_bad = (src_len <= 0) | (src_len > max_id)
    bad = np.flatnonzero(src_bad | (tgt_len <= 0) | (tgt_len > max_id))
    if len(bad):
        k = int(bad[0])
        name = "source" if src_bad[k] else "target"
        raise MalformedDocument(f"line {int(lines[k]) + 1}: {name} id must have 1 to "
                                f"{max_id} characters", line=int(lines[k]) + 1)
    rating, r_ok = _numbers(text, fstart[base + 2], fend[base + 2])
    timed = nfields[rows] == 4
    time = np.full(len(rows), np.nan)
    t_ok = np.ones(len(rows), dtype=bool)
    if timed.any():
        ti = base[timed] + 3
        tv, tok = _numbers(text, fstart[ti], fend[ti])
        time[timed] = tv
        t_ok[timed] = tok & np.isfinite(tv)
    bad = np.flatnonzero(~(r_ok & np.isfinite(rating)) | ~t_ok)
    if len(bad):
        k = int(bad[0])
        number = int(lines[k]) + 1
        if not (r_ok[k] and math.isfinite(rating[k])):
            field = int(base[k]) + 2
            raise _fail_number(text.text(int(fstart[field]), int(fend[field])), "rating",
                               number)
        field = int(base[k]) + 3
        raise _fail_number(text.text(int(fstart[field]), int(fend[field])), "time", number)
    if pending is not None:
        raise pending
    return EdgeArrays(format=form, source=_strings(text, src_a, src_b),
                      target=_strings(text, tgt_a, tgt_b), rating=rating, time=time,
                      line=(lines + 1).astype(np.int64))


def _weights(arrays: EdgeArrays, rule: ConversionRule) -> tuple[F64, npt.NDArray[np.bool_]]:
    """The converted weights (clamped to [-1, 1]) and whether the rule said anything."""
    distinct, inverse = np.unique(arrays.rating, return_inverse=True)
    out = np.zeros(len(distinct))
    said = np.zeros(len(distinct), dtype=bool)
    for k, r in enumerate(distinct.tolist()):  # data sets use a handful of distinct ratings
        w = rule.apply(value=r)
        if w is not None:
            out[k] = min(1.0, max(-1.0, w))
            said[k] = True
    return out[inverse], said[inverse]


def _factorize(ids: npt.NDArray[np.bytes_] | npt.NDArray[np.object_]) -> tuple[I64, I64]:
    """``(first, inverse)``: for each distinct id its first position, and each id's group."""
    if ids.dtype.kind == "S" and ids.dtype.itemsize <= 8 and len(ids):
        padded = np.zeros((len(ids), 8), dtype=np.uint8)  # 8 bytes as one integer
        width = ids.dtype.itemsize
        padded[:, :width] = ids.view(np.uint8).reshape(len(ids), width)
        keys = padded.view(np.uint64).reshape(-1)
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)


def _side(rows: I64, cols: I64, order_in_row: I64, n: int) -> Side:
    """One direction of the adjacency: rows ordered by ``order_in_row`` within each row.

    Each pair of keys is sorted as one integer (unique: one argsort is several times
    faster than ``lexsort``).
    """
    span = int(order_in_row.max()) + 1 if len(rows) else 1
    order = np.argsort(rows * span + order_in_row)
    by_col = np.argsort(rows * max(n, 1) + cols)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n))))
    return Side(indptr=indptr.astype(np.int32), cols=cols[order].astype(np.int32),
                edge=order.astype(np.int32), sorted_cols=cols[by_col].astype(np.int32),
                sorted_edge=by_col.astype(np.int32))


def _winners(pair: I64, time: F64, line: I64, origin: str) -> I64:
    """For each pair, the position of its deciding claim: the latest time, then the
    greatest id ``origin:line`` (as strings compare, like ``resolve_claims``)."""
    order = np.lexsort((line, time, pair))
    last = np.flatnonzero(np.r_[pair[order][1:] != pair[order][:-1], True])
    winner = order[last]
    prev = order[np.maximum(last - 1, 0)]
    tied = np.flatnonzero((last > 0) & (pair[prev] == pair[winner]) & (time[prev] == time[winner]))
    for k in tied.tolist():  # rare: same pair, same time; compare the ids as text
        p, t = pair[winner[k]], time[winner[k]]
        cands = np.flatnonzero((pair == p) & (time == t))
        winner[k] = max(cands.tolist(), key=lambda c: f"{origin}:{int(line[c])}")
    return winner.astype(np.int64)


def build_adjacency(arrays: EdgeArrays, rule: ConversionRule, *, context: str,
                    origin: str) -> tuple[ArrayAdjacency, I64, I64, F64, int] | None:
    """The adjacency of the edges ``rule`` keeps (self-loops skipped), plus the COO triples
    of :func:`~.matrix.compile_arrays` and the number of claims linked (``None``: none)."""
    weight, said = _weights(arrays, rule)
    src, tgt = arrays.source, arrays.target
    kept = np.flatnonzero(said & (src != tgt))
    if not len(kept):
        return None
    dtype: np.dtype[np.bytes_] | type[object] = object
    if src.dtype.kind == "S" and tgt.dtype.kind == "S":
        dtype = np.dtype(f"S{max(src.dtype.itemsize, tgt.dtype.itemsize)}")
    ids = np.empty(2 * len(kept), dtype=dtype)  # source, target, source, target...
    ids[0::2] = src[kept]
    ids[1::2] = tgt[kept]
    first, inverse = _factorize(ids)
    order = np.argsort(first, kind="stable")  # nodes in order of first appearance
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    nodes = tuple(_decode(x) for x in ids[first[order]].tolist())
    del ids, first, order
    index = {name: i for i, name in enumerate(nodes)}
    n = len(nodes)
    node = rank[inverse]
    del inverse, rank
    u, v = node[0::2], node[1::2]
    line = arrays.line[kept]
    time = np.where(np.isnan(arrays.time[kept]), line.astype(np.float64), arrays.time[kept])
    w = weight[kept]
    rating = arrays.rating[kept]
    del weight, said, kept
    _, pair_first, pair = np.unique(u * max(n, 1) + v, return_index=True, return_inverse=True)
    pair = pair.reshape(-1)
    winner = _winners(pair, time, line, origin)
    pu, pv = u[pair_first], v[pair_first]
    del node, u, v
    fwd = _side(pu, pv, pair_first, n)
    m = len(pair_first)
    epos = np.empty(m, dtype=np.int64)  # pair -> forward edge number
    epos[fwd.edge] = np.arange(m)
    e_first = pair_first[fwd.edge]
    e_u, e_v = pu[fwd.edge], pv[fwd.edge]
    rev = _side(e_v, e_u, e_first, n)
    claim_edge = epos[pair]
    del pair, pu, pv
    corder = np.argsort(claim_edge, kind="stable")  # claims by edge, in arrival order
    claim_ptr = np.concatenate(([0], np.cumsum(np.bincount(claim_edge, minlength=m))))
    del claim_edge
    adjacency = ArrayAdjacency(
        nodes=nodes, index=index, forward=Side(
            indptr=fwd.indptr, cols=fwd.cols, edge=np.arange(m, dtype=np.int32),
            sorted_cols=fwd.sorted_cols, sorted_edge=epos[fwd.sorted_edge].astype(np.int32)),
        reverse=rev, weights=w[winner[fwd.edge]], arrival=np.argsort(e_first).astype(np.int32),
        claim_ptr=claim_ptr.astype(np.int64), claim_line=line[corder],
        claim_time=time[corder], claim_rating=rating[corder],
        claim_weight=w[corder], context=context, origin=origin)
    return adjacency, e_u.astype(np.int64), e_v.astype(np.int64), adjacency.weights, len(line)


def _claims(arrays: EdgeArrays, rule: ConversionRule, *, context: str,
            origin: str) -> Iterable[Claim]:
    weight, said = _weights(arrays, rule)
    for k in np.flatnonzero(said).tolist():
        time = float(arrays.time[k])
        line = int(arrays.line[k])
        yield Claim(f"{origin}:{line}", "Rating", _decode(arrays.source[k]),
                    _decode(arrays.target[k]), context, float(line) if math.isnan(time) else time,
                    float(weight[k]), float(arrays.rating[k]))


def _decode(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def load_edge_arrays(target: TrustGraph | TrustEngine,
                     data: bytes | str | Iterable[str | bytes], *, context: str = "default",
                     origin: str = "edges", rule: ConversionRule | None = None,
                     fmt: str = "auto", limits: EdgeListLimits = DEFAULT_EDGE_LIMITS
                     ) -> LoadReport:
    """Read an edge list into ``target`` (a TrustGraph or TrustEngine) without per-edge
    objects; the same report and graph as :func:`~.edgelist.load_edge_list`.

    When ``context`` is new, the edges are installed as arrays with their compiled
    matrices; otherwise (or when the graph maintains cross-context imports) they are linked
    as claims, as :func:`~.edgelist.load_edge_list` does.
    """
    arrays = parse_edge_arrays(data, limits=limits, fmt=fmt)
    return install_edge_arrays(target, arrays, context=context, origin=origin, rule=rule)


def install_edge_arrays(target: TrustGraph | TrustEngine, arrays: EdgeArrays, *,
                        context: str = "default", origin: str = "edges",
                        rule: ConversionRule | None = None) -> LoadReport:
    """Put edges already held as :class:`EdgeArrays` into ``target`` (the second half of
    :func:`load_edge_arrays`; generators and other readers build the arrays themselves)."""
    form, edges = arrays.format, arrays.edges
    chosen = rule if rule is not None else (
        DEFAULT_RATING_RULE if form == "csv" else DEFAULT_SIGN_RULE)
    graph = target if isinstance(target, TrustGraph) else target.graph
    if not graph.can_install_arrays(context):
        linked = graph.add_claims(_claims(arrays, chosen, context=context, origin=origin))
    else:
        built = build_adjacency(arrays, chosen, context=context, origin=origin)
        del arrays  # before the matrices: less memory at the peak
        linked = 0  # nothing kept: no context, as with the claims path
        if built is not None:
            adjacency, rows, cols, vals, linked = built
            compiled = compile_arrays(linked, adjacency.nodes, adjacency.index, rows, cols,
                                      vals)
            graph.install_arrays(context, adjacency, compiled, linked)
    return LoadReport(format=form, edges=edges, linked=linked, rule=chosen)
