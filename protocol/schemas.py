"""JSON Schema validation of Confiance documents, one schema per assertion kind.

The schemas (``specs/schemas/<Kind>.json`` plus ``common.json``, shipped as package data in
``protocol/data/schemas/``) are the normative *shape* of each kind: required members, types,
lengths, patterns, and no unknown members in ``credentialSubject`` or at the top level.
Checks that span several members (a score inside its scale, ``validUntil`` after
``validFrom``) are the model's job (:mod:`confiance.protocol.model`).

Why a bounded walk first: jsonschema is neither fast nor bounded on hostile input (a
100 MB string, a million-element array, deep nesting), and its messages quote the offending
instance. :func:`validate_document` therefore measures the document first, cheaply and with
early exit, and refuses absurd sizes before any schema is applied. The same walk refuses
non-finite numbers (which compare false against every bound, so a schema cannot reject
them), control characters other than tab and line breaks (RDF canonicalisation escapes them
differently across implementations, so signatures would not interoperate) and lone
surrogates (not encodable as UTF-8).

Validators are built once per kind and cached; the schemas are read once, from package
data, through :mod:`importlib.resources`. Each kind's verdict is also compiled
(:mod:`confiance.protocol.schemacheck`, about 10x faster): a document it accepts is valid;
one it refuses goes through :mod:`jsonschema`, which finds the error to report.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError, best_match

from .errors import DocumentTooLarge, MalformedDocument, NestingTooDeep, SchemaError
from .schemacheck import Check, compile_schema

__all__ = [
    "MAX_SCHEMA_DEPTH",
    "MAX_SCHEMA_NODES",
    "MAX_SCHEMA_TEXT",
    "SCHEMA_BASE",
    "SCHEMA_KINDS",
    "SCHEMA_NAMES",
    "compiled_check",
    "json_pointer",
    "load_schema",
    "reference_validator",
    "validate_document",
]

SCHEMA_BASE = "https://w3id.org/confiance/schemas/v1/"
SCHEMA_KINDS = ("Rating", "TrustMark", "Referral", "Recognition", "Revocation", "Acceptance")
#: Every document type with a schema: the six kinds, and the signed terms of a trust mark
#: (:mod:`confiance.protocol.marks`), which is not an assertion.
SCHEMA_NAMES = (*SCHEMA_KINDS, "MarkDefinition")

#: Total characters (keys and strings) a document may hold before schemas are applied.
MAX_SCHEMA_TEXT = 512 * 1024
#: Total JSON values (objects, arrays, scalars) a document may hold.
MAX_SCHEMA_NODES = 20_000
#: Deepest nesting of objects and arrays (a Confiance assertion needs 6).
MAX_SCHEMA_DEPTH = 16

_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_MESSAGE_LIMIT = 160


def json_pointer(path: Iterable[object]) -> str:
    """The RFC 6901 JSON pointer for a path of keys and indices (``""`` is the root)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _where(pointer: str) -> str:
    return pointer if pointer else "(document root)"


_ONLY_STR = frozenset({str})
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), dict, list})


def _measure_passes(doc: object) -> bool:
    """Would :func:`_measure` find nothing wrong? A quick pass, batched per container.

    True only when :func:`_measure` raises nothing; False when it might (then it runs and
    names the error). Containers level by level, their values classified by one
    ``set(map(type, ...))``, every string checked by one regular-expression search over
    them all: a third of :func:`_measure`'s time, which builds a path per value.
    ``tests/protocol/test_schema_fast_paths.py`` checks that both agree.
    """
    if type(doc) is not dict:
        return False
    level: list[Any] = [doc]
    strings: list[str] = []
    depth = 0
    nodes = 1
    text = 0
    while level:
        below: list[Any] = []
        for node in level:
            if type(node) is dict:
                try:
                    text += len("".join(node))
                except TypeError:  # a key that is not a string
                    return False
                children: Any = list(node.values())
            else:
                children = node
            if not children:
                continue
            if depth >= MAX_SCHEMA_DEPTH:  # its values would be deeper than allowed
                return False
            nodes += len(children)
            kinds = set(map(type, children))
            if kinds == _ONLY_STR:
                strings += children
                continue
            if not kinds <= _PLAIN_TYPES:
                return False
            if str in kinds:
                strings += [c for c in children if type(c) is str]
            if dict in kinds or list in kinds:
                below += [c for c in children if type(c) is dict or type(c) is list]
            if float in kinds and not all(
                    math.isfinite(c) for c in children if type(c) is float):
                return False
        if nodes > MAX_SCHEMA_NODES:
            return False
        level = below
        depth += 1
    joined = "".join(strings)
    return text + len(joined) <= MAX_SCHEMA_TEXT and not _BAD_CHARS.search(joined)


def _measure(doc: object, kind: str) -> None:
    """Refuse absurd or unrepresentable documents before any schema runs.

    Iterative (no recursion limit to hit), early exit on the first excess.
    """
    if _measure_passes(doc):
        return
    stack: list[tuple[object, tuple[object, ...]]] = [(doc, ())]
    nodes = 0
    text = 0
    while stack:
        value, path = stack.pop()
        nodes += 1
        if nodes > MAX_SCHEMA_NODES:
            raise DocumentTooLarge(
                f"the document holds more than {MAX_SCHEMA_NODES} JSON values",
                limit=MAX_SCHEMA_NODES,
            )
        if len(path) > MAX_SCHEMA_DEPTH:
            raise NestingTooDeep(
                f"{json_pointer(path)}: nesting deeper than {MAX_SCHEMA_DEPTH} levels",
                pointer=json_pointer(path), limit=MAX_SCHEMA_DEPTH,
            )
        if isinstance(value, str):
            text += len(value)
            if text > MAX_SCHEMA_TEXT:
                raise DocumentTooLarge(
                    f"the document holds more than {MAX_SCHEMA_TEXT} characters of text",
                    limit=MAX_SCHEMA_TEXT,
                )
            if _BAD_CHARS.search(value):
                raise SchemaError(
                    f"{_where(json_pointer(path))}: control characters (other than tab and "
                    "line breaks) and lone surrogates are not allowed",
                    pointer=json_pointer(path), kind=kind,
                )
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise MalformedDocument(
                        f"{_where(json_pointer(path))}: object keys must be strings"
                    )
                text += len(key)
                stack.append((item, (*path, key)))
            if text > MAX_SCHEMA_TEXT:
                raise DocumentTooLarge(
                    f"the document holds more than {MAX_SCHEMA_TEXT} characters of text",
                    limit=MAX_SCHEMA_TEXT,
                )
        elif isinstance(value, list):
            if len(value) > MAX_SCHEMA_NODES:
                raise DocumentTooLarge(
                    f"{_where(json_pointer(path))}: an array of more than "
                    f"{MAX_SCHEMA_NODES} items", limit=MAX_SCHEMA_NODES,
                )
            stack.extend((item, (*path, i)) for i, item in enumerate(value))
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise SchemaError(
                    f"{_where(json_pointer(path))}: numbers must be finite",
                    pointer=json_pointer(path), kind=kind,
                )
        elif value is not None and not isinstance(value, bool | int):
            raise MalformedDocument(
                f"{_where(json_pointer(path))}: {type(value).__name__} is not a JSON value"
            )


# -- schema loading -------------------------------------------------------------------------

def _is_datetime(value: object) -> bool:
    """A real calendar date-time (the schema's pattern only checks the shape)."""
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


_FORMATS = FormatChecker(formats=())
_FORMATS.checks("date-time", raises=ValueError)(_is_datetime)


@cache
def _compiled(pattern: str) -> tuple[re.Pattern[str], bool]:
    """The regex, and whether it is anchored at both ends.

    Anchored patterns must match the whole string: ``$`` in Python also matches before a
    final newline, which ECMA-262 (the regex dialect of JSON Schema) does not allow.
    """
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
        return re.compile(pattern[1:-1]), True
    return re.compile(pattern), False


def _pattern(
    validator: Any, pattern: str, instance: object, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not isinstance(instance, str):
        return
    compiled, anchored = _compiled(pattern)
    ok = compiled.fullmatch(instance) if anchored else compiled.search(instance)
    if not ok:
        yield ValidationError(f"{instance!r:.60} does not match the expected pattern")


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})


def _read(name: str) -> dict[str, Any]:
    data = resources.files("confiance.protocol").joinpath("data", "schemas", name).read_text(
        encoding="utf-8"
    )
    loaded: dict[str, Any] = json.loads(data)
    return loaded


@cache
def _shipped() -> dict[str, dict[str, Any]]:
    """Every shipped schema under its ``$id``, so the files may ``$ref`` one another."""
    names = ["common.json", *(f"{kind}.json" for kind in SCHEMA_NAMES)]
    return {SCHEMA_BASE + name: _read(name) for name in names}


def _lookup(ref: str, base: str) -> tuple[object, str]:
    """The schema a ``$ref`` names, and the base URI to resolve its own references."""
    # The shipped schemas only use "name.json#/pointer" and "#/pointer" (no urllib here:
    # protocol/ keeps away from network modules, even harmless ones).
    name, _, fragment = ref.partition("#")
    url = base.rsplit("/", 1)[0] + "/" + name if name else base
    target: object = _shipped()[url]
    for part in fragment.split("/")[1:] if fragment else ():
        key = part.replace("~1", "/").replace("~0", "~")
        target = target[int(key)] if isinstance(target, list) else target[key]  # type: ignore[index]
    return target, url


def _inline(node: object, base: str, depth: int = 0) -> Any:
    """Replace every ``$ref`` by the schema it names (the shipped schemas are not recursive).

    Resolving references through :mod:`referencing` at validation time costs about three
    quarters of the validation time; an inlined copy validates identically, 3x faster.
    """
    if depth > 32:
        raise RecursionError("schema references nest too deeply (a recursive schema?)")
    if isinstance(node, list):
        return [_inline(item, base, depth) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inline(v, base, depth) for k, v in node.items() if k not in ("$ref", "$defs")}
    ref = node.get("$ref")
    if isinstance(ref, str):
        target, target_base = _lookup(ref, base)
        inlined = _inline(target, target_base, depth + 1)
        return {"allOf": [inlined], **out} if out else inlined
    return out


def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (a fresh copy) for ``kind``, as shipped in the package."""
    if kind not in SCHEMA_NAMES:
        raise SchemaError(
            f"unknown assertion kind {kind!r}; expected one of {', '.join(SCHEMA_NAMES)}",
            kind=kind,
        )
    return _read(f"{kind}.json")


@cache
def _inlined(kind: str) -> dict[str, Any]:
    url = SCHEMA_BASE + f"{kind}.json"
    inlined: dict[str, Any] = _inline(_shipped()[url], url)
    return inlined


@cache
def reference_validator(kind: str) -> Any:
    """The :mod:`jsonschema` validator of ``kind``: it finds the errors to report, and is
    the reference the compiled check is tested against."""
    return _Validator(_inlined(kind), format_checker=_FORMATS)


@cache
def compiled_check(kind: str) -> Check:
    """The compiled verdict of ``kind``'s schema (:mod:`~confiance.protocol.schemacheck`)."""
    return compile_schema(_inlined(kind))


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "a number", float: "a number", type(None): "null"}


def _show(instance: object) -> str:
    text = json.dumps(instance, ensure_ascii=False) if _is_small(instance) else None
    return text if text is not None and len(text) <= 60 else _JSON_TYPES.get(
        type(instance), "a value"
    )


def _is_small(instance: object) -> bool:
    return isinstance(instance, str | int | float | bool) or instance is None


def _reason(error: ValidationError) -> str:
    """One sentence on what is wrong, without quoting a huge value back."""
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    shown = _show(instance)
    if keyword == "type":
        reason = f"{shown} is not of type {expected!r}"
    elif keyword == "maxLength":
        reason = f"a string longer than {expected} characters"
    elif keyword == "minLength":
        reason = f"a string shorter than {expected} character{'s' if expected != 1 else ''}"
    elif keyword in ("maxItems", "maxProperties"):
        reason = f"more than {expected} {'items' if keyword == 'maxItems' else 'members'}"
    elif keyword in ("minItems", "minProperties"):
        reason = f"fewer than {expected} {'items' if keyword == 'minItems' else 'members'}"
    elif keyword == "const":
        reason = f"must be {json.dumps(expected)}"
    elif keyword == "enum":
        reason = f"{shown} is not one of {json.dumps(expected)}"
    elif keyword in ("minimum", "maximum"):
        reason = f"{shown} is {'below' if keyword == 'minimum' else 'above'} {expected:g}"
    elif keyword == "format":
        reason = f"{shown} is not a valid {expected}"
    elif keyword in ("pattern", "anyOf"):
        reason = f"{shown} is not well-formed"
    elif keyword == "uniqueItems":
        reason = "items are repeated"
    else:  # required, additionalProperties, items: jsonschema's message names the member
        reason = error.message
        if len(reason) > _MESSAGE_LIMIT:
            reason = reason[: _MESSAGE_LIMIT - 1] + "…"
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    description = schema.get("description")
    if isinstance(description, str) and keyword not in ("required", "additionalProperties",
                                                        "const"):
        reason += f" (expected {description})"
    return reason


def validate_document(doc: object, kind: str) -> None:
    """Check ``doc`` against the JSON Schema of ``kind``.

    Raises
    ------
    SchemaError
        the first relevant failure, its message starting with the JSON pointer of the
        failing member (``/credentialSubject/score: ...``); ``detail`` carries ``pointer``
        and ``kind``. Also for an unknown ``kind``.
    DocumentTooLarge, NestingTooDeep
        the document exceeds the bounds checked before validation.
    MalformedDocument
        the value is not JSON data at all (a non-string key, a set, bytes...).
    """
    if kind not in SCHEMA_NAMES:
        raise SchemaError(
            f"unknown assertion kind {kind!r}; expected one of {', '.join(SCHEMA_NAMES)}",
            kind=kind,
        )
    if not isinstance(doc, Mapping):
        raise SchemaError("(document root): an assertion is a JSON object", pointer="", kind=kind)
    _measure(doc, kind)
    if compiled_check(kind)(doc):
        return
    error = best_match(reference_validator(kind).iter_errors(doc))
    if error is None:
        return
    pointer = json_pointer(list(error.absolute_path))
    raise SchemaError(f"{_where(pointer)}: {_reason(error)}", pointer=pointer, kind=kind)
