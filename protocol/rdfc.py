"""RDF Dataset Canonicalization (RDFC-1.0) of a small dataset, with a hard work budget.

Why our own implementation rather than pyld's ``URDNA2015`` class:

- **A work budget.** RDFC-1.0 is exponential in the worst case (*Hash N-Degree Quads*
  tries every permutation of blank nodes that first-degree hashing cannot tell apart). The
  specification asks implementations to bound that work (RDFC-1.0, section 4.4 and
  "Dataset Poisoning"); pyld has no such bound. :func:`canonicalize` counts every call of
  *Hash N-Degree Quads* and every permutation examined and raises
  :class:`~confiance.protocol.errors.CanonicalizationTooCostly` past the budget.
- **Canonical N-Quads escaping.** RDFC-1.0 serialises literals with the canonical N-Quads
  rules of RDF 1.2: ``\\b \\t \\n \\f \\r \\" \\\\`` as ECHAR, the other characters in
  U+0000..U+001F and U+007F as ``\\uXXXX`` (upper-case hex). pyld 3.3 leaves ``\\b``,
  ``\\f`` and the other control characters raw, so its output (and any signature over it)
  differs from the specification and from other implementations for such strings.
- **Set semantics** for the quads of a blank node (a quad whose subject and object are the
  same blank node is counted once), as in the specification and rdf-canonize (JS); pyld
  counts it twice.
- **Speed.** Terms are pre-serialised strings, so hashing a quad is a string join; the
  common case (every blank node told apart by its first-degree hash) costs one SHA-256 per
  blank node.

A dataset is a sequence of quads ``(subject, predicate, object, graph)`` whose terms are
already serialised as in N-Quads: ``<iri>``, ``_:label`` or a literal made by
:func:`literal`; ``graph`` is ``""`` for the default graph.

References
----------
.. [1] D. Longley, G. Kellogg, D. Yamamoto, "RDF Dataset Canonicalization (RDFC-1.0)",
   W3C Recommendation, 21 May 2024. https://www.w3.org/TR/rdf-canon/
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import TypeAlias

from .errors import CanonicalizationTooCostly, TooManyBlankNodes

__all__ = [
    "RDF_LANGSTRING",
    "XSD_STRING",
    "Quad",
    "blank_node_count",
    "canonicalize",
    "escape_literal",
    "iri",
    "literal",
]

Quad: TypeAlias = tuple[str, str, str, str]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')
_ESCAPES: dict[int, str] = {i: f"\\u{i:04X}" for i in range(0x20)}
_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r",
                 0x22: '\\"', 0x5C: "\\\\", 0x7F: "\\u007F"})


def escape_literal(value: str) -> str:
    """Escape a literal's lexical form as canonical N-Quads requires (RDFC-1.0, 4.6)."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return value.translate(_ESCAPES)


def iri(value: str) -> str:
    """The N-Quads form of an IRI term."""
    return "<" + value + ">"


def literal(value: str, datatype: str = XSD_STRING, language: str | None = None) -> str:
    """The N-Quads form of a literal (plain string, language-tagged or typed)."""
    text = '"' + escape_literal(value) + '"'
    if datatype == RDF_LANGSTRING:
        return text + "@" + language if language else text
    if datatype != XSD_STRING:
        return text + "^^<" + datatype + ">"
    return text


def _line(s: str, p: str, o: str, g: str) -> str:
    if g:
        return s + " " + p + " " + o + " " + g + " .\n"
    return s + " " + p + " " + o + " .\n"


def blank_node_count(quads: Iterable[Quad]) -> int:
    """How many distinct blank nodes the dataset holds."""
    nodes: set[str] = set()
    for s, _p, o, g in quads:
        if s[:2] == "_:":
            nodes.add(s)
        if o[:2] == "_:":
            nodes.add(o)
        if g[:2] == "_:":
            nodes.add(g)
    return len(nodes)


class _Issuer:
    """An identifier issuer (RDFC-1.0, 4.5): prefix, counter, and issued ids in order."""

    __slots__ = ("issued", "prefix")

    def __init__(self, prefix: str, issued: dict[str, str] | None = None) -> None:
        self.prefix = prefix
        self.issued: dict[str, str] = {} if issued is None else issued

    def issue(self, existing: str) -> str:
        found = self.issued.get(existing)
        if found is None:
            found = self.prefix + str(len(self.issued))
            self.issued[existing] = found
        return found

    def copy(self) -> _Issuer:
        return _Issuer(self.prefix, dict(self.issued))


class _Canonicalizer:
    """The state of one run of the canonicalisation algorithm (RDFC-1.0, 4.4)."""

    def __init__(self, quads: Sequence[Quad], max_work: int) -> None:
        self.quads = quads
        self.max_work = max_work
        self.work = 0
        self.canonical = _Issuer("_:c14n")
        self.bnode_quads: dict[str, list[Quad]] = {}
        self.first_degree: dict[str, str] = {}
        for quad in quads:
            s, _p, o, g = quad
            seen: str | None = None
            for term in (s, o, g):
                if term[:2] == "_:" and term != seen:
                    entries = self.bnode_quads.setdefault(term, [])
                    # set semantics: a quad is listed once per blank node
                    if not entries or entries[-1] is not quad:
                        entries.append(quad)
                    seen = term

    def _spend(self, units: int = 1) -> None:
        self.work += units
        if self.work > self.max_work:
            raise CanonicalizationTooCostly(
                "RDF canonicalisation needs more work than allowed: the document's blank "
                "nodes cannot be told apart cheaply (a poisoned graph?)",
                limit=self.max_work)

    def hash_first_degree(self, node: str) -> str:
        """Hash First Degree Quads (RDFC-1.0, 4.6)."""
        cached = self.first_degree.get(node)
        if cached is not None:
            return cached
        lines = []
        for s, p, o, g in self.bnode_quads[node]:
            lines.append(_line(
                ("_:a" if s == node else "_:z") if s[:2] == "_:" else s,
                p,
                ("_:a" if o == node else "_:z") if o[:2] == "_:" else o,
                ("_:a" if g == node else "_:z") if g[:2] == "_:" else g,
            ))
        lines.sort()
        digest = hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
        self.first_degree[node] = digest
        return digest

    def hash_related(self, related: str, predicate: str, issuer: _Issuer, position: str) -> str:
        """Hash Related Blank Node (RDFC-1.0, 4.7)."""
        ident = self.canonical.issued.get(related) or issuer.issued.get(related)
        if ident is None:
            ident = self.hash_first_degree(related)
        text = position + predicate + ident if position != "g" else position + ident
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def hash_n_degree(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        """Hash N-Degree Quads (RDFC-1.0, 4.8), charging the work budget."""
        self._spend()
        related_by_hash: dict[str, list[str]] = {}
        for s, p, o, g in self.bnode_quads[node]:
            for term, position in ((s, "s"), (o, "o"), (g, "g")):
                if term[:2] == "_:" and term != node:
                    h = self.hash_related(term, p, issuer, position)
                    related_by_hash.setdefault(h, []).append(term)
        data = []
        for related_hash in sorted(related_by_hash):
            data.append(related_hash)
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            for permutation in itertools.permutations(related_by_hash[related_hash]):
                self._spend()
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    canonical = self.canonical.issued.get(related)
                    if canonical is not None:
                        path += canonical
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, issuer_copy)
                    path += issuer_copy.issue(related)
                    path += "<" + result_hash + ">"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data.append(chosen_path)
            if chosen_issuer is not None:
                issuer = chosen_issuer
        return hashlib.sha256("".join(data).encode("utf-8")).hexdigest(), issuer

    def run(self) -> str:
        """The canonicalisation algorithm (RDFC-1.0, 4.4.3): canonical N-Quads text."""
        nodes = self.bnode_quads
        if len(nodes) == 1:
            self.canonical.issue(next(iter(nodes)))
        elif nodes:
            by_hash: dict[str, list[str]] = {}
            for node in nodes:
                by_hash.setdefault(self.hash_first_degree(node), []).append(node)
            shared: list[tuple[str, list[str]]] = []
            for h in sorted(by_hash):
                group = by_hash[h]
                if len(group) == 1:
                    self.canonical.issue(group[0])
                else:
                    shared.append((h, group))
            for _h, group in shared:
                results = []
                for node in group:
                    if node in self.canonical.issued:
                        continue
                    temporary = _Issuer("_:b")
                    temporary.issue(node)
                    results.append(self.hash_n_degree(node, temporary))
                results.sort(key=lambda r: r[0])
                for _rh, result_issuer in results:
                    for existing in result_issuer.issued:
                        self.canonical.issue(existing)
        ids = self.canonical.issued
        lines = {
            _line(ids.get(s, s) if s[:2] == "_:" else s, p,
                  ids.get(o, o) if o[:2] == "_:" else o,
                  ids.get(g, g) if g[:2] == "_:" else g)
            for s, p, o, g in self.quads
        }
        return "".join(sorted(lines))


def canonicalize(quads: Sequence[Quad], *, max_blank_nodes: int, max_work: int) -> str:
    """Canonical N-Quads of ``quads`` (RDFC-1.0 with SHA-256), within the given caps.

    Parameters
    ----------
    quads:
        The dataset, terms pre-serialised (see the module docstring). Duplicates are
        allowed and collapse (a dataset is a set).
    max_blank_nodes:
        Refuse with :class:`TooManyBlankNodes` above this many blank nodes, before any
        hashing.
    max_work:
        Budget for *Hash N-Degree Quads* calls plus permutations examined; past it,
        :class:`CanonicalizationTooCostly` is raised and no output is produced.

    Returns
    -------
    str
        The canonical N-Quads document: one line per distinct quad, each ending in
        ``"\\n"``, sorted in code point order.

    Examples
    --------
    >>> q = ("_:x", "<http://ex/p>", '"v"', "")
    >>> canonicalize([q], max_blank_nodes=4, max_work=10)
    '_:c14n0 <http://ex/p> "v" .\\n'
    """
    state = _Canonicalizer(quads, max_work)
    if len(state.bnode_quads) > max_blank_nodes:
        raise TooManyBlankNodes(
            f"the document has {len(state.bnode_quads)} blank nodes; at most "
            f"{max_blank_nodes} are allowed", limit=max_blank_nodes,
            found=len(state.bnode_quads))
    return state.run()
