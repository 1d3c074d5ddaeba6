"""The quick pass before schema validation (``schemas._measure_passes``) agrees with the
precise walk that names each error (``schemas._measure``): it lets through exactly the
documents the walk finds nothing wrong with, on generated documents and on each side of
every bound (depth, values, characters)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confiance.protocol import schemas
from confiance.protocol.errors import ConfianceError
from confiance.protocol.schemas import MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES, MAX_SCHEMA_TEXT

SCALARS = (st.text(max_size=8) | st.sampled_from(["a\x00b", "\x7f", "x\ud800", "tab\tok",
                                                   "line\nok", "é", "\U0001f600"])
           | st.booleans() | st.none() | st.integers() | st.floats())  # NaN, inf: refused
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


def _measured(doc: Any) -> bool:
    try:
        schemas._measure(doc, "Rating")
    except ConfianceError:
        return False
    return True


def _nested(depth: int) -> dict[str, Any]:
    """A document whose deepest value is ``depth`` keys below the root."""
    doc: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        doc = {"a": doc}
    return doc


@settings(max_examples=400)
@given(st.dictionaries(st.text(max_size=5), VALUES, max_size=6))
def test_quick_pass_equals_the_walk(doc: dict[str, Any]) -> None:
    assert schemas._measure_passes(doc) == _measured(doc)


@pytest.mark.parametrize("doc", [
    _nested(MAX_SCHEMA_DEPTH), _nested(MAX_SCHEMA_DEPTH + 1),
    {"a": [[[]] * 3]}, {"a": [{}]},
    {"a": [0] * (MAX_SCHEMA_NODES - 2)}, {"a": [0] * (MAX_SCHEMA_NODES - 1)},
    {"a": "x" * (MAX_SCHEMA_TEXT - 1)}, {"a": "x" * MAX_SCHEMA_TEXT},
    {"ab": ["x" * (MAX_SCHEMA_TEXT // 2 - 1)] * 2}, {"ab": ["x" * (MAX_SCHEMA_TEXT // 2)] * 2},
    {1: "a"}, {"a": {2: "b"}}, {"a": (1, 2)}, {"a": b"x"}, {"a": {"b": float("-inf")}},
    {"a": ["ok", "bad\x1f"]}, {"bad\x1f": "a key may hold it"}, {"a": [1.5, True, None]},
])
def test_quick_pass_at_every_bound(doc: dict[str, Any]) -> None:
    assert schemas._measure_passes(doc) == _measured(doc)


def test_the_bounds_are_where_the_walk_puts_them() -> None:
    """The cases above straddle each bound (else the test above would prove little)."""
    assert _measured(_nested(MAX_SCHEMA_DEPTH)) and not _measured(_nested(MAX_SCHEMA_DEPTH + 1))
    assert _measured({"a": [0] * (MAX_SCHEMA_NODES - 2)})
    assert not _measured({"a": [0] * (MAX_SCHEMA_NODES - 1)})
    assert _measured({"a": "x" * (MAX_SCHEMA_TEXT - 1)})
    assert not _measured({"a": "x" * MAX_SCHEMA_TEXT})
