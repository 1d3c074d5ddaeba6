"""Conversion rules: apply, explain, JSON round trip, and the errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confiance.protocol.errors import RuleError
from confiance.protocol.rules import (
    MAX_ABS_NUMBER,
    CategoricalRule,
    ConversionRule,
    LinearRule,
    ThresholdRule,
    json_number,
    rule_from_json,
    rule_to_json,
)

PERCENT_TO_STARS = LinearRule(source_min=0, source_max=100, target_min=1, target_max=5)
TABLE = ThresholdRule(thresholds=((90, 4), (98, 5), (80, 3)))
ROLES = CategoricalRule(mapping=(("editor", 0.6), ("Administrator", 0.9)), otherwise=0.1)


# -- apply ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (0, 1), (100, 5), (50, 3), (20, 1.8), (-10, 1), (140, 5),
])
def test_linear_apply_and_clamp(value: float, expected: float) -> None:
    result = PERCENT_TO_STARS.apply(value=value)
    assert result is not None and math.isclose(result, expected)


def test_linear_without_clamp_hides_values_outside() -> None:
    rule = LinearRule(source_min=0, source_max=10, target_min=0, target_max=1, clamp=False)
    assert rule.apply(value=11) is None
    assert rule.apply(value=-1) is None
    assert rule.apply(value=10) == 1


def test_linear_reversed_ranges() -> None:
    """A rule may read a scale where lower is better (a rank: 1 is best)."""
    rank = LinearRule(source_min=10, source_max=1, target_min=0, target_max=1)
    assert rank.apply(value=1) == 1
    assert rank.apply(value=10) == 0
    assert rank.apply(value=20) == 0  # clamped into [1, 10]


@pytest.mark.parametrize("value", [None, math.nan, math.inf])
def test_linear_needs_a_finite_value(value: float | None) -> None:
    assert PERCENT_TO_STARS.apply(value=value) is None
    assert PERCENT_TO_STARS.apply(status="administrator") is None


@pytest.mark.parametrize(("value", "expected"), [
    (100, 5), (98, 5), (97.9, 4), (90, 4), (85, 3), (80, 3), (79.99, None), (None, None),
])
def test_threshold_apply(value: float | None, expected: float | None) -> None:
    assert TABLE.apply(value=value) == expected


def test_threshold_otherwise_and_sorting() -> None:
    rule = ThresholdRule(thresholds=((1, 10), (5, 50)), otherwise=0)
    assert rule.thresholds == ((5, 50), (1, 10))
    assert rule.apply(value=0) == 0
    assert rule.apply(value=3) == 10


@pytest.mark.parametrize(("status", "expected"), [
    ("administrator", 0.9), ("  ADMINISTRATOR ", 0.9), ("Editor", 0.6), ("reader", 0.1),
    (None, None),
])
def test_categorical_apply(status: str | None, expected: float | None) -> None:
    assert ROLES.apply(status=status) == expected


def test_categorical_without_otherwise_says_nothing() -> None:
    rule = CategoricalRule(mapping=(("gold", 1),))
    assert rule.apply(status="silver") is None
    assert rule.apply(value=1) is None


def test_categorical_accepts_a_dict_and_ignores_order() -> None:
    a = CategoricalRule(mapping={"b": 1, "a": 2})
    b = CategoricalRule(mapping=(("a", 2), ("b", 1)))
    assert a == b and hash(a) == hash(b)


# -- explain --------------------------------------------------------------------------------

def test_explain_sentences_name_the_scale_once() -> None:
    assert PERCENT_TO_STARS.explain("E1's positive share", "stars") == (
        "reads E1's positive share as stars: 0 there is 1, 100 there is 5, in proportion "
        "between; beyond, the nearest end"
    )
    assert LinearRule(source_min=0, source_max=1, target_min=0, target_max=1,
                      clamp=False).explain().endswith("beyond, nothing")
    assert TABLE.explain() == (
        "reads their value as ours: 98 or more is 5, 90 or more is 4, 80 or more is 3, "
        "below that, nothing"
    )
    assert ThresholdRule(thresholds=((1, 2),), otherwise=0.5).explain().endswith(
        "otherwise 0.5")
    assert ROLES.explain("their role", "trust") == (
        "reads their role as trust: “Administrator” is 0.9, “editor” is 0.6, "
        "any other status is 0.1"
    )
    assert CategoricalRule(mapping=(("x", 1),)).explain().endswith(
        "any other status, nothing")


# -- JSON -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "expected"), [
    (PERCENT_TO_STARS, {"type": "LinearRescale", "from": [0, 100], "to": [1, 5]}),
    (LinearRule(source_min=0, source_max=1, target_min=0.5, target_max=1, clamp=False),
     {"type": "LinearRescale", "from": [0, 1], "to": [0.5, 1], "clamp": False}),
    (TABLE, {"type": "ThresholdTable", "thresholds": [
        {"atLeast": 98, "value": 5}, {"atLeast": 90, "value": 4}, {"atLeast": 80, "value": 3}]}),
    (ROLES, {"type": "CategoricalMap", "map": {"Administrator": 0.9, "editor": 0.6},
             "otherwise": 0.1}),
])
def test_json_form(rule: ConversionRule, expected: dict[str, Any]) -> None:
    assert rule_to_json(rule) == expected
    assert json.dumps(rule_to_json(rule)) == json.dumps(expected)  # ints stay ints
    assert rule_from_json(json.loads(json.dumps(expected))) == rule


@pytest.mark.parametrize(("x", "text"), [
    (5.0, "5"), (-0.0, "0"), (2.5, "2.5"), (1e15, "1000000000000000"), (3, "3"), (1e-7, "1e-07"),
])
def test_json_number(x: float, text: str) -> None:
    assert json.dumps(json_number(x)) == text


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
word = st.text(st.sampled_from("abcdeXYZ019 -_.éüß日本"), min_size=1, max_size=12).map(
    str.strip).filter(bool)


@st.composite
def rules(draw: st.DrawFn) -> ConversionRule:
    form = draw(st.sampled_from(["linear", "threshold", "categorical"]))
    otherwise = draw(st.none() | finite)
    if form == "linear":
        lo, hi = draw(finite), draw(finite)
        if lo == hi:
            hi = lo + 1
        return LinearRule(source_min=lo, source_max=hi, target_min=draw(finite),
                          target_max=draw(finite), clamp=draw(st.booleans()))
    if form == "threshold":
        keys = draw(st.lists(finite, min_size=1, max_size=8, unique=True))
        return ThresholdRule(thresholds=tuple((k, draw(finite)) for k in keys),
                             otherwise=otherwise)
    names = draw(st.lists(word, min_size=1, max_size=8, unique_by=str.casefold))
    return CategoricalRule(mapping=tuple((n, draw(finite)) for n in names), otherwise=otherwise)


@settings(deadline=None)
@given(rules())
def test_json_round_trip_property(rule: ConversionRule) -> None:
    text = json.dumps(rule_to_json(rule), allow_nan=False)
    assert rule_from_json(json.loads(text)) == rule


@settings(deadline=None)
@given(rules(), finite)
def test_linear_and_threshold_outputs_stay_in_range(rule: ConversionRule, x: float) -> None:
    out = rule.apply(value=x)
    if isinstance(rule, LinearRule) and rule.clamp:
        assert out is not None
        lo, hi = sorted((rule.target_min, rule.target_max))
        assert lo - 1e-6 <= out <= hi + 1e-6
    elif isinstance(rule, ThresholdRule) and out is not None:
        assert out in {v for _, v in rule.thresholds} | {rule.otherwise}


# -- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("build", "words"), [
    (lambda: LinearRule(source_min=1, source_max=1, target_min=0, target_max=1), "non-zero"),
    (lambda: LinearRule(source_min=0, source_max=math.inf, target_min=0, target_max=1),
     "finite"),
    (lambda: LinearRule(source_min=0, source_max="1", target_min=0, target_max=1), "a number"),
    (lambda: LinearRule(source_min=0, source_max=1, target_min=0, target_max=1, clamp=1),
     "true or false"),
    (lambda: LinearRule(source_min=0, source_max=10**400, target_min=0, target_max=1),
     "within"),
    (lambda: ThresholdRule(thresholds=()), "at least one step"),
    (lambda: ThresholdRule(thresholds=((1, 1), (1.0, 2))), "same threshold twice"),
    (lambda: ThresholdRule(thresholds=tuple((i, i) for i in range(300))), "at most 256"),
    (lambda: ThresholdRule(thresholds=((True, 1),)), "a number"),
    (lambda: ThresholdRule(thresholds=((1, 1),), otherwise=math.nan), "finite"),
    (lambda: CategoricalRule(mapping=()), "at least one entry"),
    (lambda: CategoricalRule(mapping=(("Gold", 1), ("gold ", 2))), "mapped twice"),
    (lambda: CategoricalRule(mapping=((" ", 1),)), "non-empty"),
    (lambda: CategoricalRule(mapping=(("x" * 201, 1),)), "at most 200"),
    (lambda: CategoricalRule(mapping=(("x", 2e15),)), "within"),
])
def test_constructor_errors(build: Any, words: str) -> None:
    with pytest.raises(RuleError, match=words):
        build()


@pytest.mark.parametrize(("obj", "words"), [
    ([], "JSON object"),
    ({"from": [0, 1], "to": [0, 1]}, "unknown rule type None"),
    ({"type": "Sigmoid"}, "unknown rule type 'Sigmoid'"),
    ({"type": "LinearRescale", "from": [0, 1]}, r"to must be a \[min, max\] pair"),
    ({"type": "LinearRescale", "from": [0, 1, 2], "to": [0, 1]}, "from must be"),
    ({"type": "LinearRescale", "from": [0, "1"], "to": [0, 1]}, r"from\[1\] must be a number"),
    ({"type": "LinearRescale", "from": [0, 1], "to": [0, 1], "clamp": "no"}, "true or false"),
    ({"type": "LinearRescale", "from": [0, 1], "to": [0, 1], "scale": 2}, "unknown members"),
    ({"type": "ThresholdTable", "thresholds": {"90": 4}}, "list of"),
    ({"type": "ThresholdTable", "thresholds": [{"atLeast": 1}]}, "exactly atLeast and value"),
    ({"type": "ThresholdTable", "thresholds": []}, "at least one step"),
    ({"type": "ThresholdTable", "thresholds": [{"atLeast": 1, "value": 1}], "otherwise": "x"},
     "otherwise must be a number"),
    ({"type": "CategoricalMap", "map": [["a", 1]]}, "map must be an object"),
    ({"type": "CategoricalMap", "map": {"a": None}}, "value of 'a' must be a number"),
    ({"type": "CategoricalMap", "map": {str(i): i for i in range(300)}}, "at most 256"),
])
def test_from_json_errors(obj: object, words: str) -> None:
    with pytest.raises(RuleError, match=words) as info:
        rule_from_json(obj)
    assert info.value.status == 422


def test_max_abs_number_keeps_integers_exact() -> None:
    assert MAX_ABS_NUMBER < 2**53
    assert isinstance(json_number(MAX_ABS_NUMBER), int)
