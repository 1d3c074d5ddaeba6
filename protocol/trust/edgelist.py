"""External signed edge lists (SNAP and alike), parsed from lines of text, with limits.

Researchers run the same engine on published data sets; the command line opens the file
(plain or gzip) and hands the lines here, so this module stays sans-IO. Two forms:

- **CSV**: ``source,target,rating[,time]`` (SNAP Bitcoin OTC / Alpha: ratings -10..+10,
  time in seconds since the epoch);
- **whitespace**: ``FromNodeId ToNodeId Sign`` separated by spaces or tabs (SNAP Epinions,
  Slashdot: signs +1/-1; KONECT lists: ``from to weight``), optionally a fourth time column.

Lines starting with ``#`` or ``%`` and blank lines are comments. A first data line whose
third field is not a number is a header and skipped. The form is detected from the first
data line (a comma means CSV) unless given.

Ratings become unit weights through a conversion rule (``rules.py``): by default
``LinearRescale [-10, 10] -> [-1, 1]`` for CSV ratings and ``[-1, 1] -> [-1, 1]`` for signs;
a rule returning ``None`` drops the edge; results are clamped to [-1, 1]. For the same pair
listed twice the later line wins (or the later time, when given).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from math import isfinite
from typing import NamedTuple, Protocol

from ..errors import LimitExceeded, LocalProtocolError, MalformedDocument
from ..rules import ConversionRule, LinearRule
from .conversion import Claim

__all__ = [
    "DEFAULT_EDGE_LIMITS",
    "DEFAULT_RATING_RULE",
    "DEFAULT_SIGN_RULE",
    "ClaimSink",
    "Edge",
    "EdgeListLimits",
    "EdgeListParser",
    "LoadReport",
    "edge_claims",
    "load_edge_list",
]

DEFAULT_RATING_RULE = LinearRule(source_min=-10, source_max=10, target_min=-1, target_max=1)
DEFAULT_SIGN_RULE = LinearRule(source_min=-1, source_max=1, target_min=-1, target_max=1)
FORMATS = ("auto", "csv", "whitespace")


@dataclass(frozen=True)
class EdgeListLimits:
    """Hard caps on what one edge list may hold."""

    max_edges: int = 20_000_000
    max_lines: int = 100_000_000
    max_line_length: int = 1024
    max_id_length: int = 256


DEFAULT_EDGE_LIMITS = EdgeListLimits()


class Edge(NamedTuple):
    """One parsed line: ``source`` rated ``target`` ``rating`` (at ``time``), line ``line``."""

    source: str
    target: str
    rating: float
    time: float | None
    line: int


def _number(text: str, what: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise MalformedDocument(f"line {line}: {what} {text[:40]!r} is not a number",
                                line=line) from None
    if not math.isfinite(value):
        raise MalformedDocument(f"line {line}: {what} must be finite", line=line)
    return value


class EdgeListParser:
    """Parse lines of an edge list; ``format`` is known once the first data line is read."""

    def __init__(self, *, limits: EdgeListLimits = DEFAULT_EDGE_LIMITS,
                 fmt: str = "auto") -> None:
        if fmt not in FORMATS:
            raise LocalProtocolError(f"unknown edge-list format {fmt!r}")
        self.limits = limits
        self.format: str | None = None if fmt == "auto" else fmt
        self.edges = 0

    def parse(self, lines: Iterable[str]) -> Iterator[Edge]:
        """Yield the edges of ``lines``, raising :class:`MalformedDocument` with the line."""
        limits = self.limits
        max_id = limits.max_id_length
        first = True
        for number, raw in enumerate(lines, start=1):
            if number > limits.max_lines:
                raise LimitExceeded(f"more than {limits.max_lines} lines",
                                    limit=limits.max_lines)
            if len(raw) > limits.max_line_length:
                raise MalformedDocument(f"line {number}: longer than {limits.max_line_length} "
                                        "characters", line=number)
            text = raw.strip()
            if not text or text[0] in "#%":
                continue
            if self.format is None:
                self.format = "csv" if "," in text else "whitespace"
            fields = [f.strip() for f in text.split(",")] if self.format == "csv" \
                else text.split()
            if not 3 <= len(fields) <= 4:
                shape = "source,target,rating[,time]" if self.format == "csv" \
                    else "source target sign [time]"
                raise MalformedDocument(f"line {number}: expected {shape}, got "
                                        f"{len(fields)} field(s)", line=number)
            if first:
                first = False
                try:
                    float(fields[2])
                except ValueError:
                    continue  # a header line
            source, target = fields[0], fields[1]
            if not (0 < len(source) <= max_id and 0 < len(target) <= max_id):
                name = "source" if not 0 < len(source) <= max_id else "target"
                raise MalformedDocument(f"line {number}: {name} id must have 1 to "
                                        f"{max_id} characters", line=number)
            try:
                rating = float(fields[2])
                time = float(fields[3]) if len(fields) == 4 else None
                ok = isfinite(rating) and (time is None or isfinite(time))
            except ValueError:
                ok = False
            if not ok:  # say which field, and why
                rating = _number(fields[2], "rating", number)
                time = _number(fields[3], "time", number) if len(fields) == 4 else None
            self.edges += 1
            if self.edges > limits.max_edges:
                raise LimitExceeded(f"more than {limits.max_edges} edges", limit=limits.max_edges)
            yield Edge(source=source, target=target, rating=rating, time=time, line=number)


def edge_claims(edges: Iterable[Edge], rule: ConversionRule, *, context: str,
                origin: str) -> Iterator[Claim]:
    """Claims for :meth:`TrustGraph.add_claims`: ids ``origin:line``, weights through ``rule``."""
    memo: dict[float, float | None] = {}  # data sets use a handful of distinct ratings
    for e in edges:
        rating = e.rating
        if rating in memo:
            w = memo[rating]
        else:
            w = rule.apply(value=rating)
            w = memo[rating] = None if w is None else min(1.0, max(-1.0, w))
        if w is None:
            continue
        yield Claim(f"{origin}:{e.line}", "Rating", e.source, e.target, context,
                    e.time if e.time is not None else float(e.line), w, rating)


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_edge_list` did."""

    format: str
    edges: int
    linked: int
    rule: ConversionRule


class ClaimSink(Protocol):
    """A TrustGraph or a TrustEngine: anything that links claims in bulk."""

    def add_claims(self, claims: Iterable[Claim]) -> int: ...


def load_edge_list(target: ClaimSink, lines: Iterable[str], *, context: str = "default",
                   origin: str = "edges", rule: ConversionRule | None = None,
                   fmt: str = "auto", limits: EdgeListLimits = DEFAULT_EDGE_LIMITS
                   ) -> LoadReport:
    """Parse ``lines`` and feed the claims to ``target`` (a TrustGraph or TrustEngine).

    Without ``rule``, the default of the detected form applies (module docstring).
    """
    parser = EdgeListParser(limits=limits, fmt=fmt)
    edges = parser.parse(lines)
    head = next(edges, None)
    form = parser.format or "csv"
    chosen = rule if rule is not None else (
        DEFAULT_RATING_RULE if form == "csv" else DEFAULT_SIGN_RULE)
    stream: Iterable[Edge] = edges if head is None else _chain(head, edges)
    linked = int(target.add_claims(edge_claims(stream, chosen, context=context, origin=origin)))
    return LoadReport(format=form, edges=parser.edges, linked=linked, rule=chosen)


def _chain(head: Edge, rest: Iterator[Edge]) -> Iterator[Edge]:
    yield head
    yield from rest
