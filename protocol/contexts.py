"""The offline JSON-LD document loader: a pinned allow-list of contexts, never the network.

A JSON-LD context decides what every term of a signed document means, so a verifier that
fetches contexts lets whoever controls a URL (or the network path to it) change the meaning
of signed data after the fact, and learns nothing but a tracking beacon in return. pyld's
default loader even fetches over HTTP when ``requests`` is importable. Confiance therefore
processes JSON-LD only with a :class:`DocumentLoader`, which serves:

- ``https://www.w3.org/ns/credentials/v2`` from the copy bundled in pyld (it parses to the
  same JSON as the file whose SHA-256 the VC Data Model 2.0 publishes);
- ``https://w3id.org/confiance/v1`` from the package data ``data/confiance-v1.jsonld``;
- whatever a folder adds through :meth:`DocumentLoader.with_directory` (an ``index.json``
  mapping URL to file, as in ``../shared/contexts``);

and refuses any other URL with :class:`~confiance.protocol.errors.ContextError` naming it.

Each loader also carries the caches that make JSON-LD processing fast and safe: pyld's
processed-context cache (kept per loader, so two loaders never see each other's contexts;
pyld's own cache is global and keyed by URL only), the set of terms its contexts define,
and the shape cache of :mod:`confiance.protocol.canonical`.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import ContextError

__all__ = [
    "CONFIANCE_V1_URL",
    "CREDENTIALS_V2_URL",
    "DocumentLoader",
    "default_loader",
]

CREDENTIALS_V2_URL = "https://www.w3.org/ns/credentials/v2"
CONFIANCE_V1_URL = "https://w3id.org/confiance/v1"

MAX_CONTEXT_BYTES = 1 << 20
MAX_CONTEXTS_IN_DIRECTORY = 64
SHAPE_CACHE_SIZE = 512
_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _parse_context(data: bytes, where: str) -> dict[str, Any]:
    if len(data) > MAX_CONTEXT_BYTES:
        raise ContextError(f"context file {where} is larger than {MAX_CONTEXT_BYTES} bytes")
    try:
        doc = json.loads(data.decode("utf-8"), object_pairs_hook=_strict_object)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ContextError(f"context file {where} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("@context"), dict | list):
        raise ContextError(f"context file {where} is not a JSON-LD context document "
                           "(an object with @context)")
    return doc


def _collect_terms(node: object, terms: set[str]) -> None:
    """Every key of every object in a context document: a superset of the terms it defines."""
    if isinstance(node, dict):
        for key, value in node.items():
            terms.add(key)
            _collect_terms(value, terms)
    elif isinstance(node, list):
        for item in node:
            _collect_terms(item, terms)


def _find_type_aliases(ctx: object, out: set[str]) -> None:
    """Terms defined as ``@type`` anywhere in a context, scoped contexts included."""
    if isinstance(ctx, list):
        for item in ctx:
            _find_type_aliases(item, out)
    elif isinstance(ctx, dict):
        for term, definition in ctx.items():
            if definition == "@type" or (isinstance(definition, dict)
                                         and definition.get("@id") == "@type"):
                out.add(term)
            if isinstance(definition, dict):
                _find_type_aliases(definition.get("@context"), out)


class DocumentLoader:
    """An allow-list of JSON-LD context documents, usable as pyld's ``documentLoader``.

    Instances are immutable in what they serve; :meth:`with_directory` and
    :meth:`with_documents` return new loaders. Calling the loader with a URL returns pyld's
    RemoteDocument (with ``"tag": "static"`` so pyld caches the processed context) or raises
    :class:`ContextError`.
    """

    def __init__(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        for url in documents:
            if not isinstance(url, str) or not _URL.match(url):
                raise ContextError(f"a context URL must be an http(s) URL, got {url!r:.100}")
        self._documents: dict[str, dict[str, Any]] = {
            url: copy.deepcopy(dict(doc)) for url, doc in documents.items()
        }
        self._urls = frozenset(self._documents)
        terms: set[str] = set()
        _collect_terms([doc["@context"] for doc in self._documents.values()], terms)
        #: every key found in the contexts (used by the shape cache of canonical.py)
        self.terms: frozenset[str] = frozenset(terms)
        aliases = {"@type"}
        _find_type_aliases([doc["@context"] for doc in self._documents.values()], aliases)
        #: the keys that mean ``@type`` (``type`` in credentials v2)
        self.type_aliases: frozenset[str] = frozenset(aliases)
        #: pyld's processed-context cache, private to this loader (see module docstring)
        self.resolved_contexts: dict[str, Any] = {}
        #: the active contexts made from these contexts, each made once (expansion.py)
        self.processed_contexts: dict[Any, Any] = {}
        self._shapes: OrderedDict[object, object] = OrderedDict()
        self._lock = threading.Lock()

    # -- what it serves ------------------------------------------------------------------------

    @property
    def urls(self) -> frozenset[str]:
        """The context URLs this loader serves."""
        return self._urls

    def __contains__(self, url: object) -> bool:
        return url in self._documents

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._documents))

    def __repr__(self) -> str:
        return f"DocumentLoader({sorted(self._documents)!r})"

    def __call__(self, url: str, options: object = None) -> dict[str, Any]:
        """pyld's loader protocol: the RemoteDocument for ``url``, or ContextError."""
        doc = self._documents.get(url)
        if doc is None:
            raise ContextError(f"JSON-LD context {url!r:.200} is not on the allow-list "
                               "(contexts are never fetched from the network)", url=url)
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(doc),
            "tag": "static",
        }

    def document(self, url: str) -> dict[str, Any]:
        """A copy of the context document served for ``url``."""
        return self(url)["document"]  # type: ignore[no-any-return]

    # -- building new loaders ------------------------------------------------------------------

    def with_documents(self, documents: Mapping[str, Mapping[str, Any]]) -> DocumentLoader:
        """A new loader serving these documents too (they win over same-URL entries)."""
        merged: dict[str, Mapping[str, Any]] = dict(self._documents)
        for url, doc in documents.items():
            if not isinstance(doc, Mapping) or "@context" not in doc:
                raise ContextError(f"the document for {url!r:.100} is not a JSON-LD context")
            merged[url] = doc
        return DocumentLoader(merged)

    def with_directory(self, path: str | Path) -> DocumentLoader:
        """A new loader that also serves the contexts listed in ``path/index.json``.

        ``index.json`` maps each context URL to a file name in the same folder. File names
        must stay inside the folder (no absolute paths, no ``..``, no symbolic link leading
        out); each file must be a JSON-LD context document of at most 1 MiB.
        """
        folder = Path(path)
        try:
            root = folder.resolve(strict=True)
            index_data = (root / "index.json").read_bytes()
        except OSError as exc:
            raise ContextError(f"cannot read {folder / 'index.json'}: "
                               f"{exc.strerror or exc}") from None
        try:
            index = json.loads(index_data.decode("utf-8"), object_pairs_hook=_strict_object)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ContextError(f"{folder / 'index.json'} is not valid JSON: {exc}") from None
        if not isinstance(index, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in index.items()
        ):
            raise ContextError(f"{folder / 'index.json'} must map context URLs to file names")
        if len(index) > MAX_CONTEXTS_IN_DIRECTORY:
            raise ContextError(f"{folder / 'index.json'} lists more than "
                               f"{MAX_CONTEXTS_IN_DIRECTORY} contexts")
        documents: dict[str, dict[str, Any]] = {}
        for url, name in index.items():
            if not _URL.match(url):
                raise ContextError(f"{folder / 'index.json'}: {url!r:.100} is not an http(s) URL")
            candidate = Path(name)
            if candidate.is_absolute() or ".." in candidate.parts or not name.strip():
                raise ContextError(f"{folder / 'index.json'}: file {name!r:.100} for {url} "
                                   "must be a plain name inside the folder")
            try:
                target = (root / candidate).resolve(strict=True)
            except OSError as exc:
                raise ContextError(f"cannot read context file {name!r:.100} for {url}: "
                                   f"{exc.strerror or exc}") from None
            if not target.is_relative_to(root) or not target.is_file():
                raise ContextError(f"{folder / 'index.json'}: file {name!r:.100} for {url} "
                                   "leads outside the folder or is not a file")
            try:
                data = target.read_bytes()
            except OSError as exc:
                raise ContextError(f"cannot read context file {target}: "
                                   f"{exc.strerror or exc}") from None
            documents[url] = _parse_context(data, str(target))
        return self.with_documents(documents)

    # -- the shape cache (used by canonical.py) ------------------------------------------------

    def cached_shape(self, key: object) -> object | None:
        """The cached compilation for a document shape, or None (thread-safe LRU)."""
        with self._lock:
            found = self._shapes.get(key)
            if found is not None:
                self._shapes.move_to_end(key)
            return found

    def cache_shape(self, key: object, value: object) -> None:
        """Remember the compilation for a document shape (bounded LRU)."""
        with self._lock:
            self._shapes[key] = value
            self._shapes.move_to_end(key)
            while len(self._shapes) > SHAPE_CACHE_SIZE:
                self._shapes.popitem(last=False)


def _package_context(relative: str, anchor: str) -> dict[str, Any] | None:
    try:
        resource = importlib.resources.files(anchor).joinpath(relative)
        data = resource.read_bytes()
    except (OSError, ModuleNotFoundError):
        return None
    return _parse_context(data, f"{anchor}:{relative}")


@functools.lru_cache(maxsize=1)
def default_loader() -> DocumentLoader:
    """The pinned allow-list: credentials v2 (pyld's bundled copy) and Confiance v1.

    Built once per process. Raises :class:`ContextError` if the credentials context is
    missing from the installed pyld (a broken installation).
    """
    documents: dict[str, dict[str, Any]] = {}
    credentials = _package_context("documentloader/frozen/bundled/credentials-v2.jsonld",
                                   "pyld")
    if credentials is None:
        raise ContextError("pyld's bundled credentials-v2.jsonld is missing: reinstall pyld")
    documents[CREDENTIALS_V2_URL] = credentials
    confiance = _package_context("data/confiance-v1.jsonld", __package__ or "confiance.protocol")
    if confiance is not None:
        documents[CONFIANCE_V1_URL] = confiance
    return DocumentLoader(documents)
