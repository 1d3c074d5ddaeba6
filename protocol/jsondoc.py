"""Untrusted JSON: bounded parsing, one checking walk, and JCS (RFC 8785).

Every document from outside passes through here first:

- :func:`parse_json` refuses oversized input, duplicate keys, ``NaN``/``Infinity``,
  integers outside the I-JSON range (+-(2**53 - 1)) and anything nested too deeply;
- :func:`inspect_document` walks a parsed value once, enforcing the structural
  :class:`~confiance.protocol.limits.Limits` and the document rules: no ``null`` and no
  empty array (JSON-LD drops both silently, so they could be added to an
  ``eddsa-rdfc-2022`` document without breaking its signature), ``@context`` only as
  allow-listed URLs (never an embedded context object). With a loader it also records the
  document's *shape* (see :mod:`confiance.protocol.shapes`);
- :func:`canonicalize_jcs` is RFC 8785, with the standard library's C encoder whenever it
  provably gives the same bytes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import rfc8785

from .contexts import DocumentLoader
from .errors import (
    ContextError,
    DocumentTooLarge,
    LimitExceeded,
    MalformedDocument,
    NestingTooDeep,
)
from .limits import DEFAULT_LIMITS, Limits

__all__ = [
    "ABSOLUTE_IRI",
    "LEAF_DOUBLE",
    "LEAF_INTEGER",
    "LEAF_IRI",
    "LEAF_TEXT",
    "MAX_SAFE_INTEGER",
    "SHAPE_FALSE",
    "SHAPE_TRUE",
    "DocumentInfo",
    "canonicalize_jcs",
    "inspect_document",
    "parse_json",
    "shape_tree",
]

MAX_SAFE_INTEGER = 2**53 - 1
#: an absolute IRI as JSON-LD and N-Quads both accept it (no space or forbidden character)
ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*\Z")
#: a subset of :data:`ABSOLUTE_IRI` (printable ASCII only), about twice as fast to match
_PLAIN_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[!#-;=?-\[\]_a-z~]*")
#: an IRI scheme, and the printable ASCII an IRI may hold after it (both within ABSOLUTE_IRI)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_IRI_BYTES = bytes(c for c in range(0x21, 0x7F) if chr(c) not in '<>"{}|\\^`')

# leaf classes in a shape (small ints, never equal to a str, a tuple or a bool)
LEAF_TEXT, LEAF_IRI, LEAF_INTEGER, LEAF_DOUBLE, SHAPE_TRUE, SHAPE_FALSE = 3, 4, 5, 6, 7, 8
_S, _I, _N, _D = LEAF_TEXT, LEAF_IRI, LEAF_INTEGER, LEAF_DOUBLE
_TRUE, _FALSE = SHAPE_TRUE, SHAPE_FALSE


# ---------------------------------------------------------------------------------------------
# Parsing


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)  # C; a duplicate shows as a shorter dict, then is named below
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedDocument(f"duplicate key {key!r:.80} in a JSON object",
                                        key=key[:80])
            seen.add(key)
    return out


def _refuse_constant(name: str) -> Any:
    raise MalformedDocument(f"{name} is not a JSON number")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedDocument(f"number {text[:40]} is out of range")
    return value


def _parse_int(text: str) -> int:
    if len(text) > 17:
        raise MalformedDocument(f"integer {text[:40]} is outside +-(2**53 - 1)")
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise MalformedDocument(f"integer {text[:40]} is outside +-(2**53 - 1)")
    return value


def parse_json(data: bytes | str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse untrusted JSON text within ``limits``.

    Refuses, each with a specific :class:`~confiance.protocol.errors.RemoteProtocolError`:
    more than ``limits.max_bytes`` of UTF-8 (:class:`DocumentTooLarge`), invalid UTF-8 or
    JSON, duplicate object keys, ``NaN``/``Infinity``, numbers out of range
    (:class:`MalformedDocument`), nesting deeper than ``limits.max_depth``
    (:class:`NestingTooDeep`), and whatever :func:`inspect_document` refuses.
    """
    if isinstance(data, str):
        if len(data) > limits.max_bytes:
            raise DocumentTooLarge(f"the document is larger than {limits.max_bytes} bytes",
                                   limit=limits.max_bytes)
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedDocument("the document is not valid Unicode text") from None
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raise MalformedDocument("a JSON document must be bytes or text")
    if len(raw) > limits.max_bytes:
        raise DocumentTooLarge(f"the document has {len(raw)} bytes; at most "
                               f"{limits.max_bytes} are allowed", limit=limits.max_bytes,
                               found=len(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedDocument(f"the document is not valid UTF-8: {exc.reason} at byte "
                                f"{exc.start}") from None
    try:
        value = json.loads(text, object_pairs_hook=_object_without_duplicates,
                           parse_constant=_refuse_constant, parse_float=_parse_float,
                           parse_int=_parse_int)
    except RecursionError:
        raise NestingTooDeep(f"the document is nested deeper than {limits.max_depth} levels",
                             limit=limits.max_depth) from None
    except json.JSONDecodeError as exc:
        raise MalformedDocument(f"not valid JSON: {exc.msg} at line {exc.lineno} column "
                                f"{exc.colno}") from None
    except ValueError as exc:  # int() digit limit and the like
        raise MalformedDocument(f"not valid JSON: {exc}") from None
    inspect_document(value, limits)
    return value


# ---------------------------------------------------------------------------------------------
# One walk: limits, document rules, and the shape


@dataclass(frozen=True)
class DocumentInfo:
    """What one walk of a document found (see :func:`inspect_document`).

    ``shape`` and ``leaves`` are ``None`` unless a loader was given; ``jcs_plain`` says that
    the standard library's sorted ``json.dumps`` equals RFC 8785 for this document (no
    floating-point number, no object key outside the Basic Multilingual Plane).
    """

    shape: object
    leaves: tuple[Any, ...] | None
    jcs_plain: bool


# Shapes. A shape is a flat tuple of strings and small ints, the cheapest form to build and to
# hash: an object is ``_DICT, n, <its n keys>, <one encoding per value>``, an array ``_LIST,
# n, <one encoding per item>``, and a value's encoding is a verbatim string, a leaf class
# (LEAF_*, SHAPE_TRUE/FALSE) or a nested object or array. Each element's position says what
# it is, so two documents have equal flat shapes exactly when they have equal tree shapes
# (:func:`shape_tree`): a dict is ``(1, keys, tokens)``, a list ``(2, tokens)``, a token a
# verbatim string, a class or a tree.
_DICT, _LIST = 1, 2


def shape_tree(flat: object) -> object:
    """The tree form of a flat shape (what :mod:`~confiance.protocol.shapes` compiles)."""
    if not isinstance(flat, tuple):
        raise TypeError("a shape is a tuple")
    position = 0

    def read() -> object:
        nonlocal position
        token = flat[position]
        position += 1
        if type(token) is str or (token != _DICT and token != _LIST):
            return token
        count = flat[position]
        position += 1
        if token == _DICT:
            keys = flat[position:position + count]
            position += count
            return (_DICT, keys, tuple(read() for _ in keys))
        return (_LIST, tuple(read() for _ in range(count)))

    tree = read()
    if position != len(flat):
        raise ValueError("not a flat shape")
    return tree


def _flatten(tree: object, out: list[object] | None = None) -> tuple[object, ...]:
    """The flat form of a tree shape (inverse of :func:`shape_tree`)."""
    into: list[object] = [] if out is None else out
    if isinstance(tree, tuple):
        if tree[0] == _DICT:
            into += (_DICT, len(tree[1]), *tree[1])
        else:
            into += (_LIST, len(tree[1]))
        for token in tree[-1]:
            _flatten(token, into)
    else:
        into.append(tree)
    return tuple(into)


def _pointer(path: list[str], last: str | None = None) -> str:
    parts = [*path, last] if last is not None else path
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts) or "/"


def _string_error(value: str, path: list[str], last: str | None, max_string: int) -> None:
    """Raise the error a string deserves (too long, or not encodable), if any."""
    if len(value) > max_string:
        where = _pointer(path, last)
        raise LimitExceeded(f"a string at {where} has {len(value)} characters; at most "
                            f"{max_string} are allowed", limit=max_string, pointer=where)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        where = _pointer(path, last)
        raise MalformedDocument(f"the string at {where} is not valid Unicode (a lone "
                                "surrogate)", pointer=where) from None


class _Suspect(Exception):
    """The quick check saw something the precise walk must judge (and name)."""


_SCALARS = frozenset({str, int, float, bool, dict, list})


def _quick_check(doc: dict[str, Any], limits: Limits, urls: frozenset[str] | None) -> bool:
    """The limits and document rules without shape, batched per container (C-level work).

    Returns whether JCS may use the plain encoder; raises :class:`_Suspect` when anything
    might be wrong, so that :func:`_walk` finds and reports it precisely.
    """
    max_string = limits.max_string_length
    level: list[Any] = [doc]
    depth = values = size = 0
    plain = True
    while level:
        depth += 1
        if depth > limits.max_depth:
            raise _Suspect
        below: list[Any] = []
        for node in level:
            if type(node) is dict:
                if "@context" in node:
                    context = node["@context"]
                    for url in context if type(context) is list else [context]:
                        if type(url) is not str or (urls is not None and url not in urls):
                            raise _Suspect
                try:
                    keys = "".join(node)
                except TypeError:
                    raise _Suspect from None
                if not keys.isascii():
                    keys.encode("utf-8")
                    if max(keys) > "\uffff":
                        plain = False
                if len(keys) > max_string and max(map(len, node)) > max_string:
                    raise _Suspect
                size += len(keys) + 4 * len(node) + 2
                children: Any = list(node.values())
            elif node:
                children = node
                size += len(node) + 2
            else:
                raise _Suspect
            values += len(children)
            kinds = set(map(type, children))
            if kinds == _ONLY_STR:
                strings = children
            else:
                if not kinds <= _SCALARS:
                    raise _Suspect
                strings = [c for c in children if type(c) is str] if str in kinds else []
                if dict in kinds or list in kinds:
                    below.extend([c for c in children if type(c) is dict or type(c) is list])
                if int in kinds:
                    ints = [c for c in children if type(c) is int]
                    if max(ints) > MAX_SAFE_INTEGER or min(ints) < -MAX_SAFE_INTEGER:
                        raise _Suspect
                    size += 8 * len(ints)
                if float in kinds:
                    floats = [c for c in children if type(c) is float]
                    if not all(map(math.isfinite, floats)):
                        raise _Suspect
                    plain = False
                    size += 12 * len(floats)
                if bool in kinds:  # as the precise walk counts them: 5 each ("false")
                    size += 5 * sum(type(c) is bool for c in children)
            if strings:
                joined = "".join(strings)
                if not joined.isascii():
                    joined.encode("utf-8")
                if len(joined) > max_string and max(map(len, strings)) > max_string:
                    raise _Suspect
                size += len(joined) + 2 * len(strings)
        level = below
    if values >= limits.max_values or size > limits.max_bytes:
        raise _Suspect
    return plain


_ONLY_STR = {str}


def _fast_walk(doc: dict[str, Any], limits: Limits, loader: DocumentLoader) -> DocumentInfo:
    """:func:`_walk` with a loader and shape, for documents that pass (every verification).

    Computes exactly what :func:`_walk` computes (shape, leaves, ``jcs_plain``, and the
    same value count and approximate size) about twice as fast: the shape is built flat
    (one list, see :func:`shape_tree`), strings are checked once for the whole document
    (one join), lists of verbatim strings (``type``, ``@context``) are taken whole, and no
    JSON pointer is kept. It reports nothing: anything :func:`_walk` would refuse raises
    :class:`_Suspect` (or :class:`UnicodeEncodeError`), and the caller runs :func:`_walk`
    for the precise error. ``tests/protocol/test_fast_paths.py`` checks that both walks
    agree, on generated documents and on each side of every limit.
    """
    max_depth = limits.max_depth
    max_string = limits.max_string_length
    max_values = limits.max_values
    terms = loader.terms
    urls = loader.urls
    type_keys = loader.type_aliases
    plain_iri = _PLAIN_IRI.fullmatch
    iri_match = ABSOLUTE_IRI.match
    scheme_match = _SCHEME.fullmatch
    leaves: list[Any] = []
    leaf = leaves.append
    flat: list[object] = []
    append = flat.append
    texts: list[str] = []  # every string value, checked at the end
    text = texts.append
    values = 1
    size = 0
    odd = False  # a float, or a key outside the BMP
    iris: list[str] = []  # strings taken for IRIs on their scheme, checked at the end
    marks: list[int] = []  # and where their token is in the shape

    def iri(item: str) -> None:
        """The token of a string with a colon that starts with a letter."""
        scheme = item.partition(":")[0]
        if scheme in terms:  # a compact IRI: verbatim if it is an absolute IRI at all
            if plain_iri(item) or iri_match(item):
                append(item)
                return
        elif (scheme.isascii() and scheme.isalnum()) or scheme_match(scheme):
            marks.append(len(flat))
            iris.append(item)
            append(_I)
            leaf(item)
            return
        append(_S)
        leaf(item)

    def container(node: Any, depth: int, verbatim: bool) -> None:
        nonlocal values, size, odd
        if depth >= max_depth or values > max_values:
            raise _Suspect
        depth += 1
        if type(node) is list:
            if not node:
                raise _Suspect
            values += len(node)
            append(_LIST)
            append(len(node))
            if verbatim:
                try:
                    "".join(node)
                except TypeError:
                    pass
                else:  # only strings, all kept verbatim
                    texts.extend(node)
                    flat.extend(node)
                    size += 3 * len(node)
                    return
            for item in node:
                kind = type(item)
                if kind is str:
                    text(item)
                    size += 3
                    if verbatim or item in terms or item[:1] in "@_":  # "" is in "@_" too
                        append(item)
                    elif ":" in item and item[0].isalpha():
                        iri(item)
                    else:
                        append(_S)
                        leaf(item)
                elif kind is dict or kind is list:
                    container(item, depth, verbatim)
                elif kind is bool:
                    size += 5
                    append(_TRUE if item else _FALSE)
                elif kind is int:
                    if item > MAX_SAFE_INTEGER or item < -MAX_SAFE_INTEGER:
                        raise _Suspect
                    size += 8
                    leaf(item)
                    append(_N)
                elif kind is float:
                    if not math.isfinite(item):
                        raise _Suspect
                    size += 12
                    odd = True
                    leaf(item)
                    append(_N if item.is_integer() and abs(item) < 1e21 else _D)
                else:
                    raise _Suspect  # null, or not a JSON value
            return
        try:
            joined = "".join(node)
        except TypeError:
            raise _Suspect from None
        if len(joined) > max_string or not joined.isascii():
            if max(map(len, node)) > max_string:
                raise _Suspect
            joined.encode("utf-8")
            if max(joined) > "\uffff":
                odd = True
        values += len(node)
        size += len(joined) + 4 * len(node) + 2
        append(_DICT)
        append(len(node))
        flat.extend(node)
        keywords = "@" in joined
        if keywords and "@context" in node:
            context = node["@context"]
            for url in context if type(context) is list else [context]:
                if type(url) is not str or url not in urls:
                    raise _Suspect
        for key, item in node.items():
            kind = type(item)
            if kind is str:
                text(item)
                if (key in type_keys or item in terms or item[:1] in "@_"
                        or (keywords and key[:1] == "@" and key != "@id" and key != "@value")):
                    append(item)
                elif ":" in item and item[0].isalpha():
                    iri(item)
                else:
                    append(_S)
                    leaf(item)
            elif kind is dict or kind is list:
                container(item, depth, key in type_keys or (
                    keywords and key[:1] == "@" and key != "@id" and key != "@value"))
            elif kind is bool:
                size += 5
                append(_TRUE if item else _FALSE)
            elif kind is int:
                if item > MAX_SAFE_INTEGER or item < -MAX_SAFE_INTEGER:
                    raise _Suspect
                size += 8
                leaf(item)
                append(_N)
            elif kind is float:
                if not math.isfinite(item):
                    raise _Suspect
                size += 12
                odd = True
                leaf(item)
                append(_N if item.is_integer() and abs(item) < 1e21 else _D)
            else:
                raise _Suspect

    container(doc, 0, False)
    if iris:  # one C pass: every character printable ASCII allowed in an IRI?
        joined = "".join(iris)
        if not joined.isascii() or joined.encode("ascii").translate(None, _IRI_BYTES):
            for position, item in zip(marks, iris, strict=True):
                if not iri_match(item):  # one of them is text after all
                    flat[position] = _S
    if texts:
        joined = "".join(texts)
        if len(joined) > max_string or not joined.isascii():
            if max(map(len, texts)) > max_string:
                raise _Suspect
            joined.encode("utf-8")
        size += len(joined)
    if values > max_values or size > limits.max_bytes:
        raise _Suspect
    return DocumentInfo(shape=tuple(flat), leaves=tuple(leaves), jcs_plain=not odd)


def _walk(doc: dict[str, Any], limits: Limits, loader: DocumentLoader | None,
          shaped: bool) -> DocumentInfo:
    """One pass over a document: limits, document rules, shape and leaves.

    Written for speed (it runs on every verification): nested functions over local
    variables, strings handled inline, JSON pointers built only for error messages.
    It builds the shape as a tree (see :func:`shape_tree`) and returns it flat.
    """
    max_depth = limits.max_depth
    max_string = limits.max_string_length
    max_values = limits.max_values
    shaped = shaped and loader is not None
    terms: frozenset[str] = loader.terms if loader is not None and shaped else frozenset()
    urls = loader.urls if loader is not None else None
    type_keys = _type_aliases(loader)
    iri_match = ABSOLUTE_IRI.match
    leaves: list[Any] = []
    path: list[str] = []
    # values seen, approximate size, has float, key outside the BMP
    count: list[Any] = [1, 0, False, False]

    def contexts(value: object, last: str) -> None:
        for url in value if isinstance(value, list) else [value]:
            if not isinstance(url, str):
                where = _pointer(path, last)
                raise ContextError(f"embedded context objects are not allowed (at {where}): "
                                   "use allow-listed context URLs", pointer=where)
            if urls is not None and url not in urls:
                raise ContextError(f"JSON-LD context {url!r:.200} is not on the allow-list "
                                   "(contexts are never fetched from the network)", url=url)

    def container(node: object, depth: int, verbatim: bool, last: str | None) -> object:
        if depth >= max_depth:
            where = _pointer(path, last)
            raise NestingTooDeep(f"the document is nested deeper than {max_depth} levels "
                                 f"(at {where})", limit=max_depth, pointer=where)
        if count[0] > max_values:
            raise LimitExceeded(f"the document has more than {max_values} JSON values",
                                limit=max_values)
        if last is not None:
            path.append(last)
        try:
            if type(node) is dict:
                return mapping(node, depth + 1)
            return sequence(node, depth + 1, verbatim)  # type: ignore[arg-type]
        finally:
            if last is not None:
                path.pop()

    def mapping(node: dict[Any, Any], depth: int) -> object:
        try:
            joined = "".join(node)
        except TypeError:
            raise MalformedDocument(f"object keys must be strings (at {_pointer(path)})") \
                from None
        if len(joined) > max_string or not joined.isascii():
            for key in node:
                _string_error(key, path, key, max_string)
                if max(key, default="") > "\uffff":
                    count[3] = True
        count[0] += len(node)
        size = len(joined) + 4 * len(node) + 2
        if "@context" in node:
            contexts(node["@context"], "@context")
        tokens: list[object] = []
        append = tokens.append
        for key, item in node.items():
            keep = key in type_keys or (
                key[:1] == "@" and key != "@id" and key != "@value")
            if type(item) is str:
                if len(item) > max_string or not item.isascii():
                    _string_error(item, path, key, max_string)
                size += len(item)
                if not shaped:
                    continue
                if keep or item in terms or not item or item[0] in "@_":
                    append(item)
                elif ":" not in item or not iri_match(item):
                    leaves.append(item)
                    append(_S)
                elif item.partition(":")[0] in terms:
                    append(item)
                else:
                    leaves.append(item)
                    append(_I)
            else:
                append(value(item, depth, keep, key))
        count[1] += size
        return (1, tuple(node), tuple(tokens)) if shaped else None

    def sequence(node: list[Any], depth: int, verbatim: bool) -> object:
        if not node:
            where = _pointer(path)
            raise MalformedDocument(f"empty array at {where}: JSON-LD ignores it, so it would "
                                    "not be covered by an RDF signature", pointer=where)
        count[0] += len(node)
        tokens = [value(item, depth, verbatim, str(index)) for index, item in enumerate(node)]
        return (2, tuple(tokens)) if shaped else None

    def value(node: object, depth: int, verbatim: bool, last: str | None) -> object:
        kind = type(node)
        if kind is str:
            assert isinstance(node, str)
            if len(node) > max_string or not node.isascii():
                _string_error(node, path, last, max_string)
            count[1] += len(node) + 3
            if not shaped:
                return None
            if verbatim or node in terms or not node or node[0] in "@_":
                return node
            if ":" in node and iri_match(node):
                if node.partition(":")[0] in terms:
                    return node
                leaves.append(node)
                return _I
            leaves.append(node)
            return _S
        if kind is dict or kind is list:
            return container(node, depth, verbatim, last)
        if kind is bool:
            count[1] += 5
            return _TRUE if node else _FALSE
        if kind is int:
            assert isinstance(node, int)
            if node > MAX_SAFE_INTEGER or node < -MAX_SAFE_INTEGER:
                where = _pointer(path, last)
                raise MalformedDocument(f"integer at {where} is outside +-(2**53 - 1)",
                                        pointer=where)
            count[1] += 8
            if not shaped:
                return None
            leaves.append(node)
            return _N
        if kind is float:
            assert isinstance(node, float)
            if not math.isfinite(node):
                where = _pointer(path, last)
                raise MalformedDocument(f"number at {where} is not finite", pointer=where)
            count[1] += 12
            count[2] = True
            if not shaped:
                return None
            leaves.append(node)
            return _N if node.is_integer() and abs(node) < 1e21 else _D
        where = _pointer(path, last)
        if node is None:
            raise MalformedDocument(f"null at {where}: JSON-LD ignores it, so it would not be "
                                    "covered by an RDF signature; leave the member out",
                                    pointer=where)
        raise MalformedDocument(f"unsupported value of type {kind.__name__} at {where}",
                                pointer=where)

    shape = container(doc, 0, False, None)
    if count[0] > max_values:
        raise LimitExceeded(f"the document has more than {max_values} JSON values",
                            limit=max_values)
    if count[1] > limits.max_bytes:
        raise DocumentTooLarge(f"the document is larger than {limits.max_bytes} bytes",
                               limit=limits.max_bytes)
    return DocumentInfo(
        shape=_flatten(shape) if shaped else None,
        leaves=tuple(leaves) if shaped else None,
        jcs_plain=not count[2] and not count[3],
    )


def _type_aliases(loader: DocumentLoader | None) -> frozenset[str]:
    return loader.type_aliases if loader is not None else frozenset({"@type", "type"})


def inspect_document(doc: object, limits: Limits = DEFAULT_LIMITS,
                     loader: DocumentLoader | None = None, *, shape: bool = True) -> DocumentInfo:
    """Check ``doc`` against ``limits`` and the document rules; return its shape.

    Refuses, with a specific error: more values, depth or longer strings than allowed
    (:class:`LimitExceeded`, :class:`NestingTooDeep`), an approximate serialised size above
    ``limits.max_bytes`` (:class:`DocumentTooLarge`), ``null``, empty arrays, non-finite
    or out-of-range numbers, non-string keys, lone surrogates (:class:`MalformedDocument`),
    and ``@context`` values that are not allow-listed URLs (:class:`ContextError`, only
    when ``loader`` is given; embedded context objects are refused always).

    With a ``loader`` and ``shape`` true, the result also holds the document's shape and
    leaves (see the module docstring), which :func:`check_terms` and
    :func:`canonicalize_rdfc` reuse.
    """
    if not isinstance(doc, dict):
        raise MalformedDocument("a credential is a JSON object")
    if not shape or loader is None:
        try:
            plain = _quick_check(doc, limits, loader.urls if loader is not None else None)
        except (_Suspect, UnicodeEncodeError):
            pass  # the precise walk below raises the specific error
        else:
            return DocumentInfo(shape=None, leaves=None, jcs_plain=plain)
    else:
        try:
            return _fast_walk(doc, limits, loader)
        except (_Suspect, UnicodeEncodeError, RecursionError):
            pass  # the precise walk below raises the specific error
    return _walk(doc, limits, loader, shape)


# ---------------------------------------------------------------------------------------------
# JCS


def _not_json(value: object) -> Any:
    raise TypeError(f"{type(value).__name__} is not a JSON value")


# The pure encoder, where Python has no C encoder; also without circular-reference markers,
# so that a cycle ends as it does in the C encoder (RecursionError: the same error either way).
_JCS_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False,
                                check_circular=False, separators=(",", ":"), default=_not_json)
# The C encoder behind json.dumps, made once: JSONEncoder.encode builds a new one per call,
# a third of the time for a credential. No circular-reference markers (a parsed document has
# no cycles; a cycle ends in RecursionError), so one instance is safe to share.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_JCS_C = (None if _c_make_encoder is None else _c_make_encoder(
    None, _not_json, json.encoder.encode_basestring, None, ":", ",", True, False, False))


def _plain_jcs(obj: object) -> str:
    if _JCS_C is not None and isinstance(obj, dict | list):
        return "".join(_JCS_C(obj, 0))
    return _JCS_ENCODER.encode(obj)


def canonicalize_jcs(obj: object, info: DocumentInfo | None = None) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme bytes of ``obj``.

    Uses the standard library's sorted, compact ``json.dumps`` when it provably gives the
    same bytes (``info.jcs_plain``: no float, which ECMAScript formats differently, and no
    key outside the BMP, which UTF-16 sorts differently), else the ``rfc8785`` package.
    """
    plain = _jcs_plain(obj) if info is None else info.jcs_plain
    if plain:
        try:
            if _JCS_C is not None and type(obj) is dict:
                return "".join(_JCS_C(obj, 0)).encode("utf-8")
            return _plain_jcs(obj).encode("utf-8")
        except RecursionError:
            raise MalformedDocument("cannot canonicalise the document as JSON: nested too "
                                    "deeply or circular") from None
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            raise MalformedDocument(f"cannot canonicalise the document as JSON: {exc}") from None
    try:
        return rfc8785.dumps(obj)  # type: ignore[arg-type]
    except RecursionError:
        raise MalformedDocument("cannot canonicalise the document as JSON: nested too "
                                "deeply or circular") from None
    except (rfc8785.CanonicalizationError, TypeError, ValueError, UnicodeEncodeError) as exc:
        raise MalformedDocument(f"cannot canonicalise the document as JSON: {exc}") from None


def _jcs_plain(obj: object) -> bool:
    stack = [obj]
    seen: set[int] = set()  # containers looked at: a circular one is looked at once
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if id(node) in seen:
                continue
            seen.add(id(node))
            for key, value in node.items():
                if not isinstance(key, str) or (not key.isascii() and max(key) > "\uffff"):
                    return False
                stack.append(value)
        elif isinstance(node, list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.extend(node)
        elif isinstance(node, float):
            return False
    return True
