"""JSON-LD expansion and conversion to RDF with pyld, refusing what pyld would drop silently.

pyld has no "safe mode": a property its contexts do not define is dropped from the expanded
document, a ``type`` or ``@id`` that does not expand to an absolute IRI vanishes from the
RDF, and the signature over the RDF still verifies. The Data Integrity specification
requires an error instead (``DATA_LOSS_DETECTION_ERROR``). This module:

- expands with ``on_property_dropped`` and refuses any dropped property
  (:class:`~confiance.protocol.errors.UndefinedTermError`);
- walks the expanded form and refuses relative or invalid IRIs in ``@id`` and ``@type``;
- always passes its own :class:`~confiance.protocol.contexts.DocumentLoader` (pyld's
  default loader would fetch contexts over the network when ``requests`` is importable)
  and a context cache private to that loader, ``base`` null (DI 1.0 section 4) and
  ``rdfDirection="i18n-datatype"`` (else ``@direction`` is dropped);
- turns pyld's dataset into pre-serialised quads for :mod:`confiance.protocol.rdfc`
  (whose escaping follows RDFC-1.0; pyld's does not for control characters);
- translates every pyld exception into our error hierarchy, keeping our own errors (a
  refused context URL) when pyld wrapped them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver

from .contexts import DocumentLoader
from .errors import ConfianceError, MalformedDocument, UndefinedTermError
from .jsondoc import ABSOLUTE_IRI
from .rdfc import XSD_STRING, Quad, iri, literal

__all__ = ["dataset_quads", "expand_checked", "pyld_options", "to_dataset", "to_quads", "translate"]




def pyld_options(loader: DocumentLoader) -> dict[str, Any]:
    """The pyld options every call uses (see the module docstring)."""
    return {
        "documentLoader": loader,
        "contextResolver": ContextResolver(loader.resolved_contexts, loader),
        "base": None,
        "rdfDirection": "i18n-datatype",
        "processingMode": "json-ld-1.1",
        "extractAllScripts": False,
    }


def translate(exc: Exception, what: str) -> ConfianceError:
    """Find our own error inside pyld's chain of causes, or describe pyld's."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ConfianceError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    detail = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    code = getattr(exc, "code", None)
    return MalformedDocument(f"{what}: {str(detail)[:200]}"
                             + (f" ({code})" if code else ""))


def _check_expanded(node: object, where: str = "") -> None:
    """Refuse relative or invalid IRIs in expanded JSON-LD (they vanish from the RDF)."""
    if isinstance(node, list):
        for item in node:
            _check_expanded(item, where)
        return
    if not isinstance(node, dict):
        return
    is_value = "@value" in node
    for key, value in node.items():
        if key == "@id":
            if not isinstance(value, str) or not (value[:2] == "_:" or ABSOLUTE_IRI.match(value)):
                raise UndefinedTermError(
                    f"{value!r:.100} is not an absolute IRI: relative IRIs are dropped from "
                    "the signed RDF (a one-character typo in a scheme?)", value=str(value)[:100])
        elif key == "@type":
            for t in value if isinstance(value, list) else [value]:
                if not isinstance(t, str) or not (
                    t[:2] == "_:" or ABSOLUTE_IRI.match(t) or (is_value and t == "@json")
                ):
                    raise UndefinedTermError(
                        f"type {t!r:.100} is not defined by the document's contexts",
                        term=str(t)[:100])
        elif key[:1] == "@":
            if not is_value:
                _check_expanded(value, where)
        else:
            if not ABSOLUTE_IRI.match(key):
                raise UndefinedTermError(f"property {key!r:.100} does not expand to an "
                                         "absolute IRI", term=key[:100])
            _check_expanded(value, where)


def expand_checked(doc: Mapping[str, Any], loader: DocumentLoader) -> tuple[Any, dict[str, Any]]:
    """Expanded ``doc`` and the options used; refuses dropped terms and relative IRIs."""
    dropped: list[str | None] = []
    processor = jsonld.JsonLdProcessor(on_property_dropped=dropped.append)
    options = pyld_options(loader)
    try:
        expanded = processor.expand(dict(doc), options)
    except Exception as exc:  # pyld raises JsonLdError, and lets others through
        raise translate(exc, "JSON-LD expansion failed") from None
    if dropped:
        names = sorted({str(d) for d in dropped if d})
        raise UndefinedTermError(
            "the document uses terms its contexts do not define"
            + (f": {', '.join(names[:5])}" if names else "")
            + " (JSON-LD would drop them silently)", terms=names[:20])
    _check_expanded(expanded)
    return expanded, options


def to_dataset(expanded: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """pyld's RDF dataset of an expanded document."""
    try:
        return jsonld.JsonLdProcessor().to_rdf(expanded, dict(options))  # type: ignore[no-any-return]
    except Exception as exc:
        raise translate(exc, "conversion to RDF failed") from None


def dataset_quads(doc: Mapping[str, Any], loader: DocumentLoader) -> list[Quad]:
    """The full path: checked expansion, then RDF, as pre-serialised quads."""
    expanded, options = expand_checked(doc, loader)
    return to_quads(to_dataset(expanded, options))


def to_quads(dataset: Mapping[str, Any]) -> list[Quad]:
    """pyld's dataset as quads of N-Quads terms (see :mod:`confiance.protocol.rdfc`)."""
    quads: list[Quad] = []
    for graph, triples in dataset.items():
        g = "" if graph == "@default" else (graph if graph[:2] == "_:" else iri(graph))
        for triple in triples:
            quads.append((_term(triple["subject"]), _term(triple["predicate"]),
                          _term(triple["object"]), g))
    return quads


def _term(term: Mapping[str, Any]) -> str:
    kind = term["type"]
    if kind == "IRI":
        return iri(term["value"])
    if kind == "blank node":
        return str(term["value"])
    return literal(term["value"], term.get("datatype") or XSD_STRING, term.get("language"))
