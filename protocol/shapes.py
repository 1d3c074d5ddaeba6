"""Document shapes: a fast, exact path from JSON-LD to RDF for documents of a known form.

JSON-LD expansion with pyld costs about 0.4 ms for the W3C alumni credential, over the
whole verification budget, and a verifier sees the same few *shapes* of document again and
again (a Rating from the CLI, a proof configuration...).

The **shape** of a document (computed by :func:`confiance.protocol.jsondoc.inspect_document`)
is its JSON with each value replaced by its class. Strings the contexts define as terms,
values of ``@`` keywords and of ``type``, blank node labels, strings starting with ``@``
and booleans are kept verbatim; other strings are *absolute IRI* (scheme not a term, no
forbidden character) or *other text*; numbers are *integer* or *double*, pyld's two
lexical rules. Two documents of one shape expand alike except for those values, because
pyld treats every value of a class the same way: it never looks inside an IRI whose scheme
is not a term, and never inside a literal's text.

The first document of a shape is **compiled**: a probe document, with a unique marker in
place of each value, goes through the full path (:mod:`confiance.protocol.expansion`) and
every check; the resulting quads become a template in which each marker sits as a whole
IRI or a whole literal. Later documents of that shape skip pyld: their values are put into
the template, and the dataset goes straight to RDFC-1.0. An ``@json`` literal (a
Recognition's conversion rule) is templated as a whole: its text is the canonical JSON of
the same part of the document, computed with pyld's own function. If a marker lands anywhere
else (inside an IRI built from ``@vocab``, a string coerced to ``xsd:double``...), is lost,
or the probe fails a check, the shape is marked **slow** and each of its documents takes the
full path, which then gives the exact answer or error.
A shape compiled clean also proves the term checks for its documents, so
:func:`confiance.protocol.canonical.check_terms` costs one cache lookup.

The cache lives in the :class:`~confiance.protocol.contexts.DocumentLoader` (what a shape
means depends on the contexts) and is a bounded LRU. ``tests/protocol/test_canonical.py``
checks that both paths give identical N-Quads on the test vectors and on generated
documents.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from pyld import jsonld

from .contexts import DocumentLoader
from .errors import ConfianceError
from .expansion import expand_checked, to_dataset
from .jsondoc import (
    LEAF_DOUBLE,
    LEAF_INTEGER,
    LEAF_IRI,
    LEAF_TEXT,
    SHAPE_FALSE,
    SHAPE_TRUE,
    DocumentInfo,
    shape_tree,
)
from .rdfc import XSD_STRING, Quad, iri, literal

__all__ = ["SLOW", "Template", "compiled", "fill"]

XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"

_PROBE = "confiance-probe"
_PROBE_IRI = "urn:" + _PROBE + ":"
_PROBE_TEXT = _PROBE + "-"
_PROBE_INT_BASE = 7_319_000_000_000
_PROBE_DBL_BASE = 7_319_000_000.25
_LEAVES = (LEAF_TEXT, LEAF_IRI, LEAF_INTEGER, LEAF_DOUBLE)

#: a template term: constant N-Quads text, or (kind, leaf or JSON-path index, datatype, lang)
Slot: TypeAlias = tuple[str, int, str, str | None]
TemplateTerm: TypeAlias = str | Slot
Path: TypeAlias = tuple[str | int, ...]
SLOW = "slow"


@dataclass(frozen=True)
class Template:
    """The compiled quads of a shape, and the document paths of its ``@json`` literals."""

    quads: tuple[tuple[TemplateTerm, TemplateTerm, TemplateTerm, TemplateTerm], ...]
    json_paths: tuple[Path, ...] = ()


def _canonical_json(value: object) -> str:
    """pyld's text for an ``@json`` literal (RFC 8785, with pyld's own implementation)."""
    return jsonld.canonicalize(value).decode("utf-8")  # type: ignore[no-any-return]


class _Unclean(Exception):
    """A probe marker landed where plain substitution would not be exact."""


def canonical_double(value: float) -> str:
    """pyld's canonical ``xsd:double`` lexical form (``jsonld._canonicalize_double``)."""
    return re.sub(r"(\d)0*E\+?(-)?0*(\d)", r"\1E\2\3", f"{value:1.15E}")


def number_literal(value: float, datatype: str | None) -> tuple[str, str]:
    """pyld's RDF literal (text, datatype) for a JSON number (``_object_to_rdf``)."""
    if isinstance(value, float) and not value.is_integer():
        return canonical_double(value), datatype or XSD_DOUBLE
    if datatype == XSD_DOUBLE:
        return canonical_double(float(value)), XSD_DOUBLE
    if abs(value) >= 1e21:
        return canonical_double(value), datatype or XSD_DOUBLE
    return str(int(value)), datatype or XSD_INTEGER


def _leaf_classes(shape: object, out: list[int]) -> None:
    if isinstance(shape, tuple):
        for token in shape[-1]:  # (1, keys, tokens) or (2, tokens)
            _leaf_classes(token, out)
    elif isinstance(shape, int) and shape in _LEAVES:
        out.append(shape)


def _probe(shape: object, counter: list[int], path: Path = (),
           ranges: dict[Path, tuple[int, int]] | None = None) -> Any:
    """The probe document of a shape: a unique marker per leaf, in leaf order.

    ``ranges`` receives, for every path, the range of leaf indices below it.
    """
    start = counter[0]
    value = _probe_value(shape, counter, path, ranges)
    if ranges is not None:
        ranges[path] = (start, counter[0])
    return value


def _probe_value(shape: object, counter: list[int], path: Path,
                 ranges: dict[Path, tuple[int, int]] | None) -> Any:
    if isinstance(shape, tuple):
        if shape[0] == 1:
            return {key: _probe(token, counter, (*path, key), ranges)
                    for key, token in zip(shape[1], shape[2], strict=True)}
        return [_probe(token, counter, (*path, i), ranges) for i, token in enumerate(shape[1])]
    if isinstance(shape, str):
        return shape
    if shape == SHAPE_TRUE:
        return True
    if shape == SHAPE_FALSE:
        return False
    index = counter[0]
    counter[0] += 1
    if shape == LEAF_TEXT:
        return f"{_PROBE_TEXT}{index}~"
    if shape == LEAF_IRI:
        return f"{_PROBE_IRI}{index}~"
    if shape == LEAF_INTEGER:
        return _PROBE_INT_BASE + index
    return _PROBE_DBL_BASE + index


def _number_marker(value: str, datatype: str, classes: tuple[int, ...]) -> int | None:
    """The leaf index whose number marker renders as this literal, if any."""
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    for base, cls in ((_PROBE_INT_BASE, LEAF_INTEGER), (_PROBE_DBL_BASE, LEAF_DOUBLE)):
        index = round(number - base)
        if 0 <= index < len(classes) and classes[index] == cls:
            marker: float = base + index
            if number_literal(marker, datatype) == (value, datatype):
                return index
    return None


def _compile(shape: object, loader: DocumentLoader) -> Template | str:
    """Run a probe of ``shape`` through the full path: its template, or :data:`SLOW`."""
    found: list[int] = []
    _leaf_classes(shape, found)
    classes = tuple(found)
    ranges: dict[Path, tuple[int, int]] = {}
    probe = _probe(shape, [0], (), ranges)
    if json.dumps(probe).count(_PROBE) != sum(c in (LEAF_TEXT, LEAF_IRI) for c in classes):
        return SLOW  # a verbatim string of the shape contains the marker text
    try:
        expanded, options = expand_checked(probe, loader)
        dataset = to_dataset(expanded, options)
    except ConfianceError:
        return SLOW
    markers = {}
    for index, cls in enumerate(classes):
        if cls == LEAF_TEXT:
            markers[f"{_PROBE_TEXT}{index}~"] = index
        elif cls == LEAF_IRI:
            markers[f"{_PROBE_IRI}{index}~"] = index
    landed = [0] * len(classes)
    json_texts: dict[str, Path] = {}
    json_paths: list[Path] = []

    def json_slot(value: str) -> TemplateTerm:
        if not json_texts:
            for path in ranges:
                json_texts.setdefault(_canonical_json(_at(probe, path)), path)
        where = json_texts.get(value)
        if where is None:
            raise _Unclean
        first, end = ranges[where]
        if first == end:
            return literal(value, RDF_JSON)  # no value of the document in it: a constant
        for index in range(first, end):
            landed[index] += 1
        json_paths.append(where)
        return ("json", len(json_paths) - 1, RDF_JSON, None)

    def term(node: Mapping[str, Any], position: str) -> TemplateTerm:
        kind, value = node["type"], node["value"]
        if kind == "literal":
            datatype = node.get("datatype") or XSD_STRING
            language = node.get("language")
            if _PROBE in datatype or (language and _PROBE in language):
                raise _Unclean
            if datatype == RDF_JSON:
                return json_slot(value)
            index = markers.get(value)
            if index is not None:
                if datatype in (XSD_DOUBLE, RDF_JSON):
                    raise _Unclean  # pyld rewrites such values
                landed[index] += 1
                return ("lit", index, datatype, language)
            if _PROBE in value:
                raise _Unclean
            number = _number_marker(value, datatype, classes)
            if number is not None:
                landed[number] += 1
                return ("num", number, datatype, None)
            return literal(value, datatype, language)
        if kind == "IRI":
            index = markers.get(value)
            if index is not None and position != "p" and classes[index] == LEAF_IRI:
                landed[index] += 1
                return ("iri", index, "", None)
            if _PROBE in value:
                raise _Unclean
            return iri(value)
        return str(value)

    quads = []
    try:
        for graph, triples in dataset.items():
            if graph == "@default":
                g: TemplateTerm = ""
            elif graph[:2] == "_:":
                g = graph
            else:
                g = term({"type": "IRI", "value": graph}, "g")
            for triple in triples:
                quads.append((term(triple["subject"], "s"), term(triple["predicate"], "p"),
                              term(triple["object"], "o"), g))
    except _Unclean:
        return SLOW
    if not all(landed):
        return SLOW
    return Template(tuple(quads), tuple(json_paths))


def _at(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document


def compiled(info: DocumentInfo, loader: DocumentLoader) -> Template | str:
    """The template of the document's shape (compiled on first sight), or :data:`SLOW`.

    The cache key is the flat shape of :func:`~confiance.protocol.jsondoc.inspect_document`;
    compilation works on its tree form (:func:`~confiance.protocol.jsondoc.shape_tree`).
    """
    entry = loader.cached_shape(info.shape)
    if entry is None:
        entry = _compile(shape_tree(info.shape), loader)
        loader.cache_shape(info.shape, entry)
    assert isinstance(entry, Template | str)
    return entry


def fill(template: Template, leaves: tuple[Any, ...], document: Any) -> list[Quad]:
    """The quads of ``document``: its leaf values put into the template of its shape."""
    out: list[Quad] = []
    for quad in template.quads:
        terms: list[str] = []
        for t in quad:
            if isinstance(t, str):
                terms.append(t)
                continue
            kind, index, datatype, language = t
            if kind == "iri":
                terms.append("<" + leaves[index] + ">")
            elif kind == "lit":
                terms.append(literal(leaves[index], datatype, language))
            elif kind == "json":
                text = _canonical_json(_at(document, template.json_paths[index]))
                terms.append(literal(text, RDF_JSON))
            else:
                lexical, number_type = number_literal(leaves[index], datatype)
                terms.append(literal(lexical, number_type))
        out.append((terms[0], terms[1], terms[2], terms[3]))
    return out
