"""Property tests: every generated assertion signs and verifies (both suites); any mutation of
a signed assertion fails to verify, with one of our errors."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import KIND_STRATEGIES, assertions, key_for  # tests/protocol on sys.path

from confiance.protocol.assertions import issue, verify_assertion
from confiance.protocol.errors import RemoteProtocolError
from confiance.protocol.model import Assertion
from confiance.protocol.signing import SUITES

SETTINGS = {"rdfc": settings(max_examples=25, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow]),
            "jcs": settings(max_examples=40, deadline=None,
                            suppress_health_check=[HealthCheck.too_slow])}


def _now(assertion: Assertion) -> Any:
    return assertion.valid_from + timedelta(seconds=1)


def _sign_then_verify(assertion: Assertion, suite: str) -> None:
    signed = issue(assertion, key_for(assertion), suite=suite, created=assertion.valid_from)
    checked = verify_assertion(signed.document, now=_now(assertion))
    assert checked.assertion == assertion
    assert checked.id == signed.id
    assert checked.document == signed.document


@pytest.mark.parametrize("kind", sorted(KIND_STRATEGIES))
@SETTINGS["rdfc"]
@given(data=st.data())
def test_sign_then_verify_rdfc(kind: str, data: st.DataObject) -> None:
    _sign_then_verify(data.draw(KIND_STRATEGIES[kind]), "eddsa-rdfc-2022")


@pytest.mark.parametrize("kind", sorted(KIND_STRATEGIES))
@SETTINGS["jcs"]
@given(data=st.data())
def test_sign_then_verify_jcs(kind: str, data: st.DataObject) -> None:
    _sign_then_verify(data.draw(KIND_STRATEGIES[kind]), "eddsa-jcs-2022")


# -- mutations -----------------------------------------------------------------------------------


def _sites(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[str, tuple[Any, ...]]]:
    """Every place a mutation can hit: (what, path)."""
    out: list[tuple[str, tuple[Any, ...]]] = []
    if isinstance(doc, dict):
        out.append(("add-member", path))
        for key, value in doc.items():
            out.append(("rename-member", (*path, key)))
            out.append(("remove-member", (*path, key)))
            out.extend(_sites(value, (*path, key)))
    elif isinstance(doc, list):
        for index, item in enumerate(doc):
            out.append(("remove-item", (*path, index)))
            out.extend(_sites(item, (*path, index)))
    elif isinstance(doc, bool):
        out.append(("flip", path))
    elif isinstance(doc, int | float):
        out.append(("number", path))
    elif isinstance(doc, str):
        out.append(("char", path))
    return out


def _change_char(text: str, position: int, replacement: str) -> str:
    if not text:
        return replacement
    position %= len(text)
    if text[position] == replacement:
        replacement = "y" if replacement != "y" else "z"
    return text[:position] + replacement + text[position + 1:]


def _mutate(doc: dict[str, Any], data: st.DataObject) -> tuple[str, dict[str, Any]]:
    doc = copy.deepcopy(doc)
    what, path = data.draw(st.sampled_from(_sites(doc)))
    parent: Any = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1] if path else None
    position = data.draw(st.integers(0, 10**6))
    replacement = data.draw(st.sampled_from("xQ7-é:/ "))
    if what == "add-member":
        target = parent[last] if path else doc
        target[data.draw(st.sampled_from(["name", "extra", "comment", "id", "https://x.example/p"]))
               + ("" if data.draw(st.booleans()) else "2")] = "added"
    elif what == "rename-member":
        parent[_change_char(last, position, replacement)] = parent.pop(last)
    elif what in ("remove-member", "remove-item"):
        del parent[last]
    elif what == "flip":
        parent[last] = not parent[last]
    elif what == "number":
        parent[last] = parent[last] + data.draw(st.sampled_from([1, -1, 0.5]))
    else:
        parent[last] = _change_char(parent[last], position, replacement)
    return f"{what} at {'/'.join(map(str, path))}", doc


@pytest.mark.parametrize("suite", SUITES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assertion=assertions, data=st.data())
def test_any_mutation_fails_to_verify(suite: str, assertion: Assertion,
                                      data: st.DataObject) -> None:
    signed = issue(assertion, key_for(assertion), suite=suite, created=assertion.valid_from)
    label, mutated = _mutate(signed.document, data)
    if mutated == signed.document:
        return  # e.g. renamed to an existing member with the same value: no change
    with pytest.raises(RemoteProtocolError):
        verify_assertion(mutated, now=_now(assertion))
        pytest.fail(f"accepted after {label}")
