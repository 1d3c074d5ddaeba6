"""Compiled JSON Schema checks: the accept/refuse verdict of a fixed schema, fast.

:mod:`jsonschema` walks a schema for every document it validates: on a Rating that costs
about 120 us, as much as the Ed25519 verification it guards. The Confiance schemas are
fixed and shipped with the package, so :func:`compile_schema` turns each (with its
``$ref`` already inlined) into a tree of small Python closures, once; checking a document
is then a handful of function calls (about 10 us for a Rating).

Only the *verdict* is compiled. A document the compiled check refuses is validated again
by :mod:`jsonschema` (:func:`confiance.protocol.schemas.validate_document`), which finds
the error to report: refusals are rare on the hot path, and their messages and JSON
pointers stay exactly those of the reference validator.

The verdict follows JSON Schema draft 2020-12 as :mod:`jsonschema` applies it, with the
two local rules of :mod:`confiance.protocol.schemas`: ``pattern`` anchored at both ends
matches the whole string (ECMA-262 ``$`` never matches before a final newline), and the
``date-time`` format is a date-time :meth:`datetime.fromisoformat` can read. The keywords
compiled are those the shipped schemas use; any other (bar annotations such as
``description``) makes :func:`compile_schema` raise, so a schema cannot silently gain a
rule the compiled check would ignore. ``tests/protocol/test_schemacheck.py`` keeps the
verdict equal to :mod:`jsonschema`'s on every vector, on generated assertions of every kind
and on mutations of them.

References
----------
.. [1] JSON Schema: A Media Type for Describing JSON Documents, draft 2020-12, and JSON
   Schema Validation, draft 2020-12. https://json-schema.org/draft/2020-12
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

__all__ = ["Check", "compile_schema", "json_equal"]

Check: TypeAlias = Callable[[object], bool]

#: keywords that never change a verdict
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples",
                          "default", "deprecated", "readOnly", "writeOnly"})


def _is_number(value: object) -> bool:
    return (type(value) is int or type(value) is float
            or (isinstance(value, int | float) and not isinstance(value, bool)))


def _is_integer(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


_TYPES: dict[str, Callable[[object], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": _is_integer,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def json_equal(one: object, two: object) -> bool:
    """JSON equality as ``const``, ``enum`` and ``uniqueItems`` use it.

    Numbers compare by value (``1 == 1.0``) but never equal a boolean; arrays and objects
    compare member by member.
    """
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(json_equal(a, b)
                                            for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(json_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return one is two
    if isinstance(one, list | dict) or isinstance(two, list | dict):
        return False
    return bool(one == two)


def _unique(items: Sequence[object]) -> bool:
    return not any(json_equal(items[i], items[j])
                   for i in range(len(items)) for j in range(i + 1, len(items)))


def _pattern(pattern: str) -> Callable[[str], bool]:
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
        full = re.compile(pattern[1:-1]).fullmatch
        return lambda text: full(text) is not None
    search = re.compile(pattern).search
    return lambda text: search(text) is not None


def _date_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


_FORMATS: dict[str, Callable[[str], bool]] = {"date-time": _date_time}


def compile_schema(schema: object) -> Check:
    """The verdict of ``schema`` (``$ref``-free draft 2020-12) as one function.

    Raises
    ------
    ValueError
        The schema uses a keyword (or a format) this module does not compile.
    """
    if schema is True or schema == {}:
        return lambda value: True
    if schema is False:
        return lambda value: False
    if not isinstance(schema, Mapping):
        raise ValueError(f"a schema is an object or a boolean, not {type(schema).__name__}")
    checks: list[Check] = []
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS or keyword in _HANDLED_ELSEWHERE:
            continue
        builder = _KEYWORDS.get(keyword)
        if builder is None:
            raise ValueError(f"keyword {keyword!r} is not compiled (see schemacheck.py)")
        checks.append(builder(argument, schema))
    return _all(checks)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    frozen = tuple(checks)
    return lambda value: all(check(value) for check in frozen)


# -- one builder per keyword: (argument, the whole schema) -> check ---------------------------

def _type(argument: Any, schema: Mapping[str, Any]) -> Check:
    names = [argument] if isinstance(argument, str) else list(argument)
    tests = tuple(_TYPES[name] for name in names)
    if len(tests) == 1:
        return tests[0]
    return lambda value: any(test(value) for test in tests)


def _const(argument: Any, schema: Mapping[str, Any]) -> Check:
    return lambda value: json_equal(value, argument)


def _enum(argument: Any, schema: Mapping[str, Any]) -> Check:
    options = tuple(argument)
    return lambda value: any(json_equal(value, option) for option in options)


def _properties(argument: Any, schema: Mapping[str, Any]) -> Check:
    """``properties`` with ``additionalProperties`` (and ``required``, checked first)."""
    known = tuple((name, compile_schema(sub)) for name, sub in argument.items())
    names = frozenset(argument)
    required = tuple(schema.get("required", ()))
    extra = schema.get("additionalProperties", True)
    extra_check = None if extra is True or extra == {} else compile_schema(extra)

    def check(value: object) -> bool:
        if not isinstance(value, dict):
            return True
        for name in required:
            if name not in value:
                return False
        for name, sub in known:
            if name in value and not sub(value[name]):
                return False
        if extra_check is not None:
            for name in value:
                if name not in names and not extra_check(value[name]):
                    return False
        return True

    return check


def _required(argument: Any, schema: Mapping[str, Any]) -> Check:
    names = tuple(argument)
    return lambda value: not isinstance(value, dict) or all(n in value for n in names)


def _additional(argument: Any, schema: Mapping[str, Any]) -> Check:
    """``additionalProperties`` without ``properties``: it applies to every member."""
    sub = compile_schema(argument)
    return lambda value: not isinstance(value, dict) or all(sub(v) for v in value.values())


def _property_names(argument: Any, schema: Mapping[str, Any]) -> Check:
    sub = compile_schema(argument)
    return lambda value: not isinstance(value, dict) or all(sub(k) for k in value)


def _min_properties(argument: Any, schema: Mapping[str, Any]) -> Check:
    return lambda value: not isinstance(value, dict) or len(value) >= argument


def _max_properties(argument: Any, schema: Mapping[str, Any]) -> Check:
    return lambda value: not isinstance(value, dict) or len(value) <= argument


def _items(argument: Any, schema: Mapping[str, Any]) -> Check:
    """``items`` (after ``prefixItems``, if any) and ``prefixItems``."""
    prefix = tuple(compile_schema(sub) for sub in schema.get("prefixItems", ()))
    rest = None if argument is None else compile_schema(argument)
    start = len(prefix)

    def check(value: object) -> bool:
        if not isinstance(value, list):
            return True
        for sub, item in zip(prefix, value, strict=False):
            if not sub(item):
                return False
        return rest is None or all(rest(item) for item in value[start:])

    return check


def _prefix_items(argument: Any, schema: Mapping[str, Any]) -> Check:
    if "items" in schema:
        return lambda value: True  # compiled with "items"
    return _items(None, schema)


def _min_items(argument: Any, schema: Mapping[str, Any]) -> Check:
    return lambda value: not isinstance(value, list) or len(value) >= argument


def _max_items(argument: Any, schema: Mapping[str, Any]) -> Check:
    return lambda value: not isinstance(value, list) or len(value) <= argument


def _unique_items(argument: Any, schema: Mapping[str, Any]) -> Check:
    if not argument:
        return lambda value: True
    return lambda value: not isinstance(value, list) or _unique(value)


def _min_length(argument: Any, schema: Mapping[str, Any]) -> Check:
    return lambda value: not isinstance(value, str) or len(value) >= argument


def _max_length(argument: Any, schema: Mapping[str, Any]) -> Check:
    return lambda value: not isinstance(value, str) or len(value) <= argument


def _pattern_keyword(argument: Any, schema: Mapping[str, Any]) -> Check:
    matches = _pattern(argument)
    return lambda value: not isinstance(value, str) or matches(value)


def _format(argument: Any, schema: Mapping[str, Any]) -> Check:
    test = _FORMATS.get(argument)
    if test is None:
        raise ValueError(f"format {argument!r} is not compiled (see schemacheck.py)")
    return lambda value: not isinstance(value, str) or test(value)


def _minimum(argument: Any, schema: Mapping[str, Any]) -> Check:
    return lambda value: not _is_number(value) or value >= argument


def _maximum(argument: Any, schema: Mapping[str, Any]) -> Check:
    return lambda value: not _is_number(value) or value <= argument


def _all_of(argument: Any, schema: Mapping[str, Any]) -> Check:
    return _all([compile_schema(sub) for sub in argument])


def _any_of(argument: Any, schema: Mapping[str, Any]) -> Check:
    subs = tuple(compile_schema(sub) for sub in argument)
    return lambda value: any(sub(value) for sub in subs)


def _one_of(argument: Any, schema: Mapping[str, Any]) -> Check:
    subs = tuple(compile_schema(sub) for sub in argument)
    return lambda value: sum(1 for sub in subs if sub(value)) == 1


def _not(argument: Any, schema: Mapping[str, Any]) -> Check:
    sub = compile_schema(argument)
    return lambda value: not sub(value)


def _if(argument: Any, schema: Mapping[str, Any]) -> Check:
    condition = compile_schema(argument)
    then = compile_schema(schema.get("then", True))
    otherwise = compile_schema(schema.get("else", True))
    return lambda value: then(value) if condition(value) else otherwise(value)


def _additional_properties(argument: Any, schema: Mapping[str, Any]) -> Check:
    if "properties" in schema:
        return lambda value: True  # compiled with "properties"
    return _additional(argument, schema)


def _required_keyword(argument: Any, schema: Mapping[str, Any]) -> Check:
    if "properties" in schema:
        return lambda value: True  # compiled with "properties"
    return _required(argument, schema)


_KEYWORDS: dict[str, Callable[[Any, Mapping[str, Any]], Check]] = {
    "type": _type,
    "const": _const,
    "enum": _enum,
    "properties": _properties,
    "required": _required_keyword,
    "additionalProperties": _additional_properties,
    "propertyNames": _property_names,
    "minProperties": _min_properties,
    "maxProperties": _max_properties,
    "items": _items,
    "prefixItems": _prefix_items,
    "minItems": _min_items,
    "maxItems": _max_items,
    "uniqueItems": _unique_items,
    "minLength": _min_length,
    "maxLength": _max_length,
    "pattern": _pattern_keyword,
    "format": _format,
    "minimum": _minimum,
    "maximum": _maximum,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "not": _not,
    "if": _if,
}
#: compiled as part of another keyword ("if")
_HANDLED_ELSEWHERE = frozenset({"then", "else"})
