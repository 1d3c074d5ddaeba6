"""Unilateral conversion rules: how one issuer reads another issuer's marks in its own terms.

A :class:`~confiance.protocol.model.Recognition` carries one of these rules. The rule is
the recognising site's own reading ("E1's 95% positive or more is five stars here"); it
implies nothing about how the other site reads us.

Three forms, each a frozen dataclass validated on construction:

- :class:`LinearRule` rescales a numeric value from one range to another;
- :class:`ThresholdRule` maps "at least X" steps to values (a table read top-down);
- :class:`CategoricalRule` maps status words ("administrator") to values.

``rule.apply(value=..., status=...)`` returns the converted value, or ``None`` when the
rule says nothing about the input: the networkx idiom for a hidden edge.

JSON form (the ``conversionRule`` member of a Recognition)::

    {"type": "LinearRescale", "from": [0, 100], "to": [1, 5]}
    {"type": "ThresholdTable", "thresholds": [{"atLeast": 98, "value": 5},
                                              {"atLeast": 90, "value": 4}]}
    {"type": "CategoricalMap", "map": {"administrator": 0.9, "editor": 0.6}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from .errors import RuleError

__all__ = [
    "MAX_ABS_NUMBER",
    "CategoricalRule",
    "ConversionRule",
    "LinearRule",
    "ThresholdRule",
    "json_number",
    "rule_from_json",
    "rule_to_json",
]

MAX_RULE_ENTRIES = 256
MAX_CATEGORY_LENGTH = 200
#: Largest magnitude of any number in a Confiance document. Below 2**53, so every integral
#: value is exact and :func:`json_number` always writes it as a JSON integer.
MAX_ABS_NUMBER = 1e15


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(f"{name} must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        raise RuleError(f"{name} must lie within ±{MAX_ABS_NUMBER:g}") from None
    if not math.isfinite(number):
        raise RuleError(f"{name} must be finite, got {value!r}")
    if abs(number) > MAX_ABS_NUMBER:
        raise RuleError(f"{name} must lie within ±{MAX_ABS_NUMBER:g}, got {number:g}")
    return number


def _fmt(x: float) -> str:
    return f"{x:g}"


def json_number(x: float) -> int | float:
    """A number as it must appear in a signed document: integral values as JSON integers.

    JSON-LD maps a Python float to ``xsd:double`` and an int to ``xsd:integer``; writing
    ``5`` rather than ``5.0`` keeps the RDF (and so the rdfc signature) stable across
    implementations that parse ``5.0`` back as an integer.
    """
    if float(x).is_integer() and abs(x) < 2**53:
        return int(x)
    return float(x)


@dataclass(frozen=True, kw_only=True)
class LinearRule:
    """Rescale ``value`` linearly from ``[source_min, source_max]`` to ``[target_min, target_max]``.

    Values outside the source range are clamped to it when ``clamp`` is true (the default),
    and hidden (``None``) otherwise.
    """

    source_min: float
    source_max: float
    target_min: float
    target_max: float
    clamp: bool = True

    def __post_init__(self) -> None:
        for name in ("source_min", "source_max", "target_min", "target_max"):
            object.__setattr__(self, name, _finite(name, getattr(self, name)))
        if self.source_min == self.source_max:
            raise RuleError("a linear rule needs a source range of non-zero width")
        if not isinstance(self.clamp, bool):
            raise RuleError("clamp must be true or false")

    def apply(self, *, value: float | None = None, status: str | None = None) -> float | None:
        if value is None or not math.isfinite(value):
            return None
        lo, hi = sorted((self.source_min, self.source_max))
        if value < lo or value > hi:
            if not self.clamp:
                return None
            value = min(max(value, lo), hi)
        t = (value - self.source_min) / (self.source_max - self.source_min)
        return self.target_min + t * (self.target_max - self.target_min)

    def explain(self, source: str = "their value", target: str = "ours") -> str:
        """One sentence, ``target`` (the scale here) named once."""
        return _explain(self, source, target)


@dataclass(frozen=True, kw_only=True)
class ThresholdRule:
    """A table of ``(at_least, value)`` steps: the first step whose threshold is met wins.

    Steps are kept sorted from the highest threshold down. A value below every threshold
    gives ``otherwise`` (``None`` by default: the rule says nothing).
    """

    thresholds: tuple[tuple[float, float], ...]
    otherwise: float | None = None

    def __post_init__(self) -> None:
        if not self.thresholds:
            raise RuleError("a threshold table needs at least one step")
        if len(self.thresholds) > MAX_RULE_ENTRIES:
            raise RuleError(f"a threshold table has at most {MAX_RULE_ENTRIES} steps")
        steps = tuple(
            sorted(
                ((_finite("atLeast", a), _finite("value", v)) for a, v in self.thresholds),
                key=lambda s: -s[0],
            )
        )
        if len({a for a, _ in steps}) != len(steps):
            raise RuleError("a threshold table lists the same threshold twice")
        object.__setattr__(self, "thresholds", steps)
        if self.otherwise is not None:
            object.__setattr__(self, "otherwise", _finite("otherwise", self.otherwise))

    def apply(self, *, value: float | None = None, status: str | None = None) -> float | None:
        if value is None or not math.isfinite(value):
            return None
        for at_least, out in self.thresholds:
            if value >= at_least:
                return out
        return self.otherwise

    def explain(self, source: str = "their value", target: str = "ours") -> str:
        """One sentence, ``target`` (the scale here) named once."""
        return _explain(self, source, target)


@dataclass(frozen=True, kw_only=True)
class CategoricalRule:
    """Map status words to values (``"administrator"`` to 0.9). Matching ignores case."""

    mapping: tuple[tuple[str, float], ...]
    otherwise: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.mapping, Mapping):  # convenience: a dict of status to value
            object.__setattr__(self, "mapping", tuple(self.mapping.items()))
        if not self.mapping:
            raise RuleError("a categorical map needs at least one entry")
        if len(self.mapping) > MAX_RULE_ENTRIES:
            raise RuleError(f"a categorical map has at most {MAX_RULE_ENTRIES} entries")
        items: list[tuple[str, float]] = []
        seen: set[str] = set()
        for key, val in self.mapping:
            if not isinstance(key, str) or not key.strip() or len(key) > MAX_CATEGORY_LENGTH:
                raise RuleError(f"category names are non-empty strings of at most "
                                f"{MAX_CATEGORY_LENGTH} characters, got {key!r}")
            folded = key.strip().casefold()
            if folded in seen:
                raise RuleError(f"category {key!r} is mapped twice")
            seen.add(folded)
            items.append((key.strip(), _finite(f"value of {key!r:.60}", val)))
        # sorted, so two rules listing the same entries in another order are equal
        object.__setattr__(self, "mapping", tuple(sorted(items)))
        if self.otherwise is not None:
            object.__setattr__(self, "otherwise", _finite("otherwise", self.otherwise))

    def apply(self, *, value: float | None = None, status: str | None = None) -> float | None:
        if status is None:
            return None
        folded = status.strip().casefold()
        for key, out in self.mapping:
            if key.casefold() == folded:
                return out
        return self.otherwise

    def explain(self, source: str = "their status", target: str = "ours") -> str:
        """One sentence, ``target`` (the scale here) named once."""
        return _explain(self, source, target)


ConversionRule: TypeAlias = LinearRule | ThresholdRule | CategoricalRule


def _explain(rule: ConversionRule, source: str, target: str) -> str:
    from .sentences import rule_steps  # the sentence code lives there (it imports us)

    return f"reads {source} as {target}: {rule_steps(rule)}"


def _pair(name: str, raw: object) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise RuleError(f"{name} must be a [min, max] pair")
    return _finite(f"{name}[0]", raw[0]), _finite(f"{name}[1]", raw[1])


def rule_from_json(obj: object) -> ConversionRule:
    """Parse the JSON form of a rule, raising :class:`RuleError` with the reason."""
    if not isinstance(obj, Mapping):
        raise RuleError("a conversion rule is a JSON object with a 'type'")
    kind = obj.get("type")
    otherwise = obj.get("otherwise")
    if otherwise is not None:
        otherwise = _finite("otherwise", otherwise)
    if kind == "LinearRescale":
        extra = set(obj) - {"type", "from", "to", "clamp"}
        if extra:
            raise RuleError(f"unknown members in LinearRescale: {sorted(extra)}")
        smin, smax = _pair("from", obj.get("from"))
        tmin, tmax = _pair("to", obj.get("to"))
        clamp = obj.get("clamp", True)
        if not isinstance(clamp, bool):
            raise RuleError("clamp must be true or false")
        return LinearRule(source_min=smin, source_max=smax, target_min=tmin, target_max=tmax,
                          clamp=clamp)
    if kind == "ThresholdTable":
        extra = set(obj) - {"type", "thresholds", "otherwise"}
        if extra:
            raise RuleError(f"unknown members in ThresholdTable: {sorted(extra)}")
        steps = obj.get("thresholds")
        if not isinstance(steps, list):
            raise RuleError("thresholds must be a list of {atLeast, value} objects")
        pairs: list[tuple[float, float]] = []
        for step in steps[: MAX_RULE_ENTRIES + 1]:
            if not isinstance(step, Mapping) or set(step) != {"atLeast", "value"}:
                raise RuleError("each threshold is an object with exactly atLeast and value")
            pairs.append((_finite("atLeast", step["atLeast"]), _finite("value", step["value"])))
        return ThresholdRule(thresholds=tuple(pairs), otherwise=otherwise)
    if kind == "CategoricalMap":
        extra = set(obj) - {"type", "map", "otherwise"}
        if extra:
            raise RuleError(f"unknown members in CategoricalMap: {sorted(extra)}")
        mapping = obj.get("map")
        if not isinstance(mapping, Mapping):
            raise RuleError("map must be an object of status word to value")
        if len(mapping) > MAX_RULE_ENTRIES:
            raise RuleError(f"a categorical map has at most {MAX_RULE_ENTRIES} entries")
        return CategoricalRule(
            mapping=tuple((str(k), _finite(f"value of {k!r:.60}", v)) for k, v in mapping.items()),
            otherwise=otherwise,
        )
    raise RuleError(
        f"unknown rule type {kind!r}: expected LinearRescale, ThresholdTable or CategoricalMap"
    )


def rule_to_json(rule: ConversionRule) -> dict[str, Any]:
    """The JSON form of a rule; ``rule_from_json(rule_to_json(r)) == r``."""
    out: dict[str, Any]
    if isinstance(rule, LinearRule):
        out = {"type": "LinearRescale",
               "from": [json_number(rule.source_min), json_number(rule.source_max)],
               "to": [json_number(rule.target_min), json_number(rule.target_max)]}
        if not rule.clamp:
            out["clamp"] = False
        return out
    if isinstance(rule, ThresholdRule):
        out = {"type": "ThresholdTable",
               "thresholds": [{"atLeast": json_number(a), "value": json_number(v)}
                              for a, v in rule.thresholds]}
    else:
        out = {"type": "CategoricalMap", "map": {k: json_number(v) for k, v in rule.mapping}}
    if rule.otherwise is not None:
        out["otherwise"] = json_number(rule.otherwise)
    return out
