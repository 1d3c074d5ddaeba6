"""Canonical forms of documents: JCS (RFC 8785) and RDFC-1.0, safely, within hard limits.

The public entry points for what a signature covers. Each step lives in its own module:

======================================  ====================================================
:mod:`~confiance.protocol.jsondoc`      bounded JSON parsing, the checking walk, JCS
:mod:`~confiance.protocol.expansion`    pyld expansion and RDF, refusing undefined terms
:mod:`~confiance.protocol.shapes`       the fast path for documents of a known shape
:mod:`~confiance.protocol.rdfc`         RDFC-1.0 with blank-node and work caps
======================================  ====================================================

:func:`canonicalize_rdfc` refuses, before the exponential part of RDFC-1.0 can run:
contexts off the allow-list (:class:`~confiance.protocol.errors.ContextError`), undefined
terms and relative IRIs (:class:`~confiance.protocol.errors.UndefinedTermError`), more
quads than ``limits.max_quads`` (:class:`~confiance.protocol.errors.LimitExceeded`), more
blank nodes than ``limits.max_blank_nodes``
(:class:`~confiance.protocol.errors.TooManyBlankNodes`), and, while it runs, work above
``limits.max_canonicalization_work``
(:class:`~confiance.protocol.errors.CanonicalizationTooCostly`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .contexts import DocumentLoader, default_loader
from .errors import LimitExceeded, MalformedDocument
from .expansion import dataset_quads, expand_checked
from .jsondoc import DocumentInfo, canonicalize_jcs, inspect_document, parse_json
from .limits import DEFAULT_LIMITS, Limits
from .rdfc import canonicalize
from .shapes import SLOW, Template, compiled, fill

__all__ = [
    "DocumentInfo",
    "canonicalize_jcs",
    "canonicalize_rdfc",
    "check_terms",
    "expand",
    "inspect_document",
    "parse_json",
]


def _info(doc: Mapping[str, Any], loader: DocumentLoader, limits: Limits,
          info: DocumentInfo | None) -> DocumentInfo:
    if not isinstance(doc, dict):
        if not isinstance(doc, Mapping):
            raise MalformedDocument("a JSON-LD document is a JSON object")
        doc = dict(doc)
    if info is None or info.leaves is None:
        info = inspect_document(doc, limits, loader)
    return info


def expand(doc: Mapping[str, Any], loader: DocumentLoader | None = None,
           limits: Limits = DEFAULT_LIMITS) -> list[Any]:
    """Expanded JSON-LD of ``doc``, refusing undefined terms, relative IRIs, unknown contexts."""
    loader = loader if loader is not None else default_loader()
    _info(doc, loader, limits, None)
    expanded, _ = expand_checked(doc, loader)
    return expanded  # type: ignore[no-any-return]


def check_terms(doc: Mapping[str, Any], loader: DocumentLoader | None = None,
                limits: Limits = DEFAULT_LIMITS, info: DocumentInfo | None = None) -> None:
    """Refuse undefined terms, relative IRIs and unknown contexts in ``doc``.

    Cached per document shape: a document of a shape that compiled clean passes (see
    :mod:`~confiance.protocol.shapes`); any other document is expanded in full.
    ``info`` is the document's :func:`inspect_document` result, if already computed.
    """
    loader = loader if loader is not None else default_loader()
    if info is None or info.leaves is None or type(doc) is not dict:
        info = _info(doc, loader, limits, info)
    if compiled(info, loader) is SLOW:
        expand_checked(doc, loader)


def canonicalize_rdfc(doc: Mapping[str, Any], loader: DocumentLoader | None = None,
                      limits: Limits = DEFAULT_LIMITS, info: DocumentInfo | None = None) -> str:
    """Canonical N-Quads (RDFC-1.0, SHA-256) of a JSON-LD document, within ``limits``.

    The output is the text the ``eddsa-rdfc-2022`` cryptosuite hashes: one line per quad,
    each ending in ``"\\n"``, sorted. See the module docstring for what is refused.
    """
    loader = loader if loader is not None else default_loader()
    info = _info(doc, loader, limits, info)
    template = compiled(info, loader)
    if isinstance(template, Template):
        assert info.leaves is not None
        quads = fill(template, info.leaves, doc)
    else:
        quads = dataset_quads(doc, loader)
    quads = list(dict.fromkeys(quads))
    if len(quads) > limits.max_quads:
        raise LimitExceeded(f"the document makes {len(quads)} RDF quads; at most "
                            f"{limits.max_quads} are allowed", limit=limits.max_quads,
                            found=len(quads))
    return canonicalize(quads, max_blank_nodes=limits.max_blank_nodes,
                        max_work=limits.max_canonicalization_work)
