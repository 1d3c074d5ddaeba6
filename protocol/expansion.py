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
  refused context URL) when pyld wrapped them;
- **compiles the contexts once**: the allow-listed contexts are static, so the active
  context that results from processing one of them (its term definitions, a type-scoped or
  property-scoped context included) on a given active context is always the same. pyld
  recomputes it for every document: for each type-scoped context it clones the active
  context, serialises the scoped context to canonical JSON as a cache key, and redefines
  every term (about 100 term definitions for a credential, 80% of the expansion time).
  :class:`_CompiledContexts` keeps each result, keyed by the identity of the active
  context and the local context, in a table private to the loader
  (:attr:`~confiance.protocol.contexts.DocumentLoader.processed_contexts`); since the
  results are themselves reused, every later document finds its contexts ready, and a
  document of a shape never seen costs little more than pyld's expansion walk itself.
  The expansion algorithm stays pyld's; ``tests/protocol/test_canonical.py`` checks the
  N-Quads against plain pyld on every vector, the W3C vectors and generated documents.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver

from .contexts import DocumentLoader
from .errors import ConfianceError, MalformedDocument, UndefinedTermError
from .jsondoc import ABSOLUTE_IRI
from .rdfc import XSD_STRING, Quad, iri, literal

__all__ = ["dataset_quads", "expand_checked", "pyld_options", "to_dataset", "to_quads", "translate"]




_PROCESS_CONTEXT_PARAMETERS = ("self", "active_ctx", "local_ctx", "options",
                               "override_protected", "propagate", "validate_scoped", "cycles")
#: the pyld method memoised below has the signature it was written for (else: plain pyld)
_CAN_COMPILE = tuple(inspect.signature(
    jsonld.JsonLdProcessor._process_context).parameters) == _PROCESS_CONTEXT_PARAMETERS \
    and all(hasattr(jsonld.JsonLdProcessor, name)
            for name in ("_create_node_map", "_graph_to_rdf")) \
    and hasattr(jsonld, "_is_absolute_iri") and hasattr(jsonld, "IdentifierIssuer")
#: entries kept per loader before the table starts again (contexts are few: about 10)
MAX_PROCESSED_CONTEXTS = 4096


class _CompiledContexts(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor, processing each (active context, local context) pair once.

    Only the outermost context processing of a call is kept: pyld processes scoped
    contexts *during* the processing of a context, against an active context still being
    built, and those intermediate results must not be reused. A key holds the identity of
    the active context and of a local context object, so each entry keeps both alive (an
    identity is never reused while its entry exists). Local contexts are URLs, lists of
    URLs, or objects from the loader's own context documents (documents carrying embedded
    contexts are refused before expansion).
    """

    def __init__(self, table: dict[Any, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._table = table
        self._depth = 0

    def _process_context(self, active_ctx: Any, local_ctx: Any, options: Any,
                         override_protected: bool = False, propagate: bool = True,
                         validate_scoped: bool = True, cycles: Any = None) -> Any:
        if isinstance(local_ctx, str):
            local: Any = local_ctx
        elif isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
            local = tuple(local_ctx)
        elif isinstance(local_ctx, dict):
            local = id(local_ctx)
        else:
            local = None
        key = (id(active_ctx), local, override_protected, propagate, validate_scoped)
        if local is not None and not self._depth:
            entry = self._table.get(key)
            if entry is not None and entry[0] is active_ctx and (
                    not isinstance(local, int) or entry[2] is local_ctx):
                return entry[1]
        self._depth += 1
        try:
            result = super()._process_context(active_ctx, local_ctx, options,
                                              override_protected, propagate,
                                              validate_scoped, cycles)
        finally:
            self._depth -= 1
        if local is not None and not self._depth:
            if len(self._table) >= MAX_PROCESSED_CONTEXTS:
                self._table.clear()
            self._table[key] = (active_ctx, result, local_ctx)
        return result


def _processor(loader: DocumentLoader, **kwargs: Any) -> Any:
    if _CAN_COMPILE:
        return _CompiledContexts(loader.processed_contexts, **kwargs)
    return jsonld.JsonLdProcessor(**kwargs)  # pragma: no cover - another pyld


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
    processor = _processor(loader, on_property_dropped=dropped.append)
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
    """pyld's RDF dataset of an expanded document.

    The steps of pyld's ``to_rdf`` after its expansion (the node map, then each graph's
    triples): ``to_rdf`` would expand the already expanded document again.
    """
    loader = options["documentLoader"]
    processor = _processor(loader)
    try:
        if not _CAN_COMPILE:  # pragma: no cover - another pyld
            return processor.to_rdf(expanded, dict(options))  # type: ignore[no-any-return]
        settings = {**options, "produceGeneralizedRdf": False}
        issuer = jsonld.IdentifierIssuer("_:b")
        node_map: dict[str, Any] = {"@default": {}}
        processor._create_node_map(expanded, node_map, "@default", issuer)
        return {name: processor._graph_to_rdf(graph, issuer, settings)
                for name, graph in sorted(node_map.items())
                if name == "@default" or jsonld._is_absolute_iri(name)}
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
