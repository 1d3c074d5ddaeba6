"""Real trust networks in their own formats, read from bytes (the caller reads the file).

=================  ===========================================================================
format             what
=================  ===========================================================================
``snap-csv``       SNAP weighted signed CSV ``source,target,rating,time`` (Bitcoin OTC, Alpha);
                   ratings -10..10 become ``rating / 10`` (Kumar et al.'s protocol)
``snap-signed``    SNAP / KONECT whitespace ``from to sign[ time]`` (Epinions, Slashdot)
``advogato-dot``   Advogato / Trustlet DOT snapshots, ``"a" -> "b" [level="Master"];``, level
                   names mapped by ``levels`` (Trustlet's 0.4/0.6/0.8/1.0 by default)
``filmtrust``      FilmTrust (LibRec) ``trust.txt`` (trustor trustee value), with the movie
                   ratings of ``ratings.txt`` kept in ``meta`` when given
``predgraph``      Trustlet's leave-one-out output ``a -> b [pred="0.8"];`` (a reference, not
                   a graph: :func:`read_predgraph`)
=================  ===========================================================================

Every reader keeps every line as an edge (self-loops and pairs listed twice included), with
``time`` the line number unless the file has times, so :meth:`SignedGraph.latest` gives
what the engine reads (one edge per pair, the later line winning, no self-loops) and the
statistics of ``graphstats.py`` can count what KONECT counts. Limits: those of the edge-list
parser (``specs/trust.md`` section 7): 20 million edges, 1,024 characters a line, 256 an id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import MalformedDocument
from ..trust import DEFAULT_EDGE_LIMITS, DEFAULT_RATING_RULE, parse_edge_arrays
from .graph import SignedGraph

__all__ = ["ADVOGATO_LEVELS", "DATASET_FORMATS", "read_dataset", "read_predgraph"]

DATASET_FORMATS = ("snap-csv", "snap-signed", "advogato-dot", "filmtrust")
#: Trustlet's reading of Advogato's certification levels (``Dataset/Advogato.py``).
ADVOGATO_LEVELS: Mapping[str, float] = {"Observer": 0.4, "Apprentice": 0.6, "Journeyer": 0.8,
                                        "Master": 1.0}
_DOT_EDGE = re.compile(rb'^\s*"?([^"\s]+)"?\s*->\s*"?([^"\s]+)"?\s*\[\s*(\w+)\s*=\s*"?([^"\]]*)"?'
                       rb'\s*\]\s*;?\s*$')
_MAX_LINE = DEFAULT_EDGE_LIMITS.max_line_length
_MAX_ID = DEFAULT_EDGE_LIMITS.max_id_length
_MAX_EDGES = DEFAULT_EDGE_LIMITS.max_edges


def _factorize(ids: list[bytes] | np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """Node names in order of first appearance and each id's index."""
    arr = ids if isinstance(ids, np.ndarray) else np.asarray(ids, dtype=object)
    if not len(arr):
        return (), np.zeros(0, dtype=np.int64)
    uniq, first, inverse = np.unique(arr, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    names = tuple(x.decode("utf-8") if isinstance(x, bytes) else str(x)
                  for x in uniq[order].tolist())
    return names, rank[inverse.reshape(-1)]


def _edge_list(data: bytes, fmt: str, name: str) -> SignedGraph:
    arrays = parse_edge_arrays(data, fmt="csv" if fmt == "snap-csv" else "whitespace")
    m = arrays.edges
    if arrays.source.dtype.kind == "S" and arrays.target.dtype.kind == "S":
        width = max(arrays.source.dtype.itemsize, arrays.target.dtype.itemsize)
        ids: Any = np.empty(2 * m, dtype=f"S{width}")
    else:
        ids = np.empty(2 * m, dtype=object)
    ids[0::2] = arrays.source
    ids[1::2] = arrays.target
    nodes, idx = _factorize(ids)
    if fmt == "snap-csv":
        rule = DEFAULT_RATING_RULE
        weight = np.array([rule.apply(value=float(r)) for r in arrays.rating.tolist()],
                          dtype=np.float64)
    else:
        weight = np.clip(arrays.rating, -1.0, 1.0)
    time = np.where(np.isnan(arrays.time), arrays.line.astype(np.float64), arrays.time)
    return SignedGraph(nodes=nodes, source=idx[0::2], target=idx[1::2], weight=weight,
                       time=time, name=name, meta={"format": fmt, "rating": arrays.rating,
                                                   "line": arrays.line})


def _dot(data: bytes, name: str, levels: Mapping[str, float]) -> SignedGraph:
    src: list[bytes] = []
    dst: list[bytes] = []
    weight: list[float] = []
    kind: list[str] = []
    declared: list[bytes] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if len(line) > _MAX_LINE:
            raise MalformedDocument(f"{name}: line {number} is longer than {_MAX_LINE} "
                                    "characters")
        stripped = line.strip()
        if b"->" not in stripped:
            if stripped.startswith(b"/*") and stripped.endswith(b"*/"):
                declared.append(stripped[2:-2].strip().strip(b'"'))
            continue
        got = _DOT_EDGE.match(line)
        if got is None:
            raise MalformedDocument(f"{name}: line {number} is not a DOT edge "
                                    "'a -> b [level=\"...\"];'")
        a, b, attr, value = got.groups()
        if len(a) > _MAX_ID or len(b) > _MAX_ID:
            raise MalformedDocument(f"{name}: line {number}: an id is longer than {_MAX_ID}")
        label = value.decode("utf-8", "replace")
        if attr != b"level" or label not in levels:
            raise MalformedDocument(f"{name}: line {number}: unknown level {label!r} (known: "
                                    f"{', '.join(levels)})")
        src.append(a)
        dst.append(b)
        weight.append(float(levels[label]))
        kind.append(label)
        if len(src) > _MAX_EDGES:
            raise MalformedDocument(f"{name}: more than {_MAX_EDGES} edges")
    ids: list[bytes] = [b""] * (2 * len(src))
    ids[0::2] = src
    ids[1::2] = dst
    nodes, idx = _factorize(ids) if ids else ((), np.zeros(0, dtype=np.int64))
    m = len(src)
    return SignedGraph(nodes=nodes, source=idx[0::2], target=idx[1::2],
                       weight=np.array(weight, dtype=np.float64),
                       time=np.arange(1, m + 1, dtype=np.float64), name=name,
                       meta={"format": "advogato-dot", "level": np.array(kind, dtype=object),
                             "declared": len(set(declared)), "levels": dict(levels)})


def _filmtrust(data: bytes, name: str, ratings: bytes | None) -> SignedGraph:
    graph = _edge_list(data, "snap-signed", name)
    meta: dict[str, Any] = {**graph.meta, "format": "filmtrust"}
    if ratings is not None:
        table = parse_edge_arrays(ratings, fmt="whitespace")
        meta["ratings"] = {"user": tuple(x.decode() if isinstance(x, bytes) else str(x)
                                         for x in table.source.tolist()),
                           "item": tuple(x.decode() if isinstance(x, bytes) else str(x)
                                         for x in table.target.tolist()),
                           "rating": table.rating}
    return SignedGraph(nodes=graph.nodes, source=graph.source, target=graph.target,
                       weight=graph.weight, time=graph.time, name=name, meta=meta)


def read_dataset(data: bytes, fmt: str, *, name: str = "dataset",
                 levels: Mapping[str, float] | None = None,
                 ratings: bytes | None = None) -> SignedGraph:
    """Parse a data set of format ``fmt`` (:data:`DATASET_FORMATS`; see the module
    docstring) from its bytes (already decompressed)."""
    if fmt in ("snap-csv", "snap-signed"):
        return _edge_list(data, fmt, name)
    if fmt == "advogato-dot":
        chosen = dict(ADVOGATO_LEVELS if levels is None else levels)
        if not chosen or not all(isinstance(v, int | float) and -1 <= v <= 1
                                 for v in chosen.values()):
            raise MalformedDocument("levels must map level names to weights in [-1, 1]")
        return _dot(data, name, chosen)
    if fmt == "filmtrust":
        return _filmtrust(data, name, ratings)
    raise MalformedDocument(f"unknown data set format {fmt!r}: expected one of "
                            f"{', '.join(DATASET_FORMATS)}")


def read_predgraph(data: bytes, *, name: str = "predgraph") -> dict[tuple[str, str], str]:
    """Trustlet's ``PredGraph.dot``: ``{(a, b): pred}``, the predicted value as printed
    (``"0.0"`` and ``"None"`` mean "not predicted" in Trustlet's evaluation)."""
    out: dict[tuple[str, str], str] = {}
    for number, line in enumerate(data.split(b"\n"), start=1):
        if b"->" not in line:
            continue
        if len(line) > _MAX_LINE:
            raise MalformedDocument(f"{name}: line {number} is too long")
        got = _DOT_EDGE.match(line)
        if got is None or got.group(3) != b"pred":
            raise MalformedDocument(f"{name}: line {number} is not 'a -> b [pred=\"x\"];'")
        a, b, _, value = got.groups()
        out[(a.decode("utf-8"), b.decode("utf-8"))] = value.decode("ascii", "replace")
        if len(out) > _MAX_EDGES:
            raise MalformedDocument(f"{name}: more than {_MAX_EDGES} edges")
    return out
