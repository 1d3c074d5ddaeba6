"""A scenario: what to run, checked; and the tasks it expands into, each with its seed.

A scenario is a table (parsed from TOML by the caller; ``specs/simulate.md`` is the
reference). This module checks it whole before anything runs (unknown sections and keys,
types, ranges, the size of the sweep), so a typo fails at once with the key's name rather
than an hour into a run, and expands it into :class:`Task` s:

    sweep points (the cartesian product of ``[sweep]``) x repetitions x chunks

Each task's random numbers come from ``numpy.random.SeedSequence(seed, spawn_key=(point,
repetition))``: a task's result depends on the scenario and its own coordinates only, not
on which process, machine or order ran it. That is what makes a run on a Dask cluster equal
to a local one. (Chunks split one repetition's edges for leave-one-out; they share the
repetition's seed.)
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..digits import ascii_digits
from ..errors import ConfianceError, MalformedDocument
from ..trust import DISTRUST_LAYERS, TrustPolicy
from .attacks import ATTACKS
from .datasets import DATASET_FORMATS
from .generators import GENERATORS

__all__ = ["ATTACK_ALGORITHMS", "EXPERIMENTS", "LIMITS", "PREDICTORS", "Scenario", "Task",
           "layers_of", "parse_scenario", "point_label", "policy_of"]

EXPERIMENTS = ("attack", "prediction", "federation", "stats")
#: Prediction algorithms: the engine's path metrics and Kumar et al.'s and Trustlet's
#: predictors. ``name@h`` sets the horizon of a path metric.
PREDICTORS = ("fairness", "goodness", "reciprocal", "ebay", "moletrust",
              "moletrust-trustlet", "tidaltrust")
ATTACK_ALGORITHMS = ("ppr", "eigentrust", "moletrust", "moletrust-trustlet", "advogato",
                     "fairness")
LIMITS = {"repetitions": 10_000, "points": 10_000, "tasks": 200_000, "evaluators": 10_000,
          "chunks": 1024, "name": 200, "text": 4000, "list": 1000}
_SECTIONS = {"scenario", "graph", "attack", "evaluate", "policy", "layers", "sweep",
             "prediction", "federation"}
_POLICY_FIELDS = {"referral_weight", "recognition_weight", "own_mark_weight", "damping",
                  "tolerance", "horizon", "threshold", "referral_penalty",
                  "referral_penalty_cap", "withdrawn_referral_days", "max_paths",
                  "advogato_capacities"}


@dataclass(frozen=True)
class Task:
    """One unit of work: a sweep point, a repetition, a chunk (of ``chunks``)."""

    index: int
    point: int
    repetition: int
    chunk: int
    chunks: int
    #: The scenario's sections with this point's sweep values filled in.
    params: Mapping[str, Any]

    @property
    def spawn_key(self) -> tuple[int, int]:
        return (self.point, self.repetition)


@dataclass(frozen=True)
class Scenario:
    """A checked scenario and its tasks."""

    name: str
    description: str
    experiment: str
    seed: int
    repetitions: int
    sections: Mapping[str, Any]
    sweep: tuple[tuple[str, tuple[Any, ...]], ...]
    points: tuple[Mapping[str, Any], ...]
    tasks: tuple[Task, ...]

    def settings(self) -> dict[str, Any]:
        """Every setting, for the report: sections as given, the policy and layers used."""
        policy = policy_of(self.sections)
        layers = layers_of(self.sections)
        return {"scenario": {"name": self.name, "experiment": self.experiment,
                             "seed": self.seed, "repetitions": self.repetitions},
                "sections": copy.deepcopy(dict(self.sections)),
                "sweep": {k: list(v) for k, v in self.sweep},
                "policy": {f: getattr(policy, f) for f in sorted(_POLICY_FIELDS)},
                "layers": {"distrust": layers[0], "penalty": "on" if layers[1] else "off"}}


def _fail(message: str) -> MalformedDocument:
    return MalformedDocument(f"scenario: {message}")


def _table(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(f"[{where}] must be a table")
    return dict(value)


def _text(value: object, where: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _fail(f"{where} must be a non-empty string of at most {limit} characters")
    return value


def _count(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(f"{where} must be an integer in {low}..{high}, got {value!r}")
    return value


def policy_of(sections: Mapping[str, Any]) -> TrustPolicy:
    """The :class:`TrustPolicy` of ``[policy]`` (defaults elsewhere)."""
    table = dict(sections.get("policy", {}))
    if "advogato_capacities" in table:
        caps = table["advogato_capacities"]
        table["advogato_capacities"] = tuple(caps) if isinstance(caps, list) else caps
    try:
        return TrustPolicy(**table)
    except (TypeError, ValueError, ConfianceError) as exc:
        raise _fail(f"[policy]: {exc}") from None


def layers_of(sections: Mapping[str, Any]) -> tuple[str, bool]:
    """``(distrust, penalty)`` of ``[layers]``."""
    table = sections.get("layers", {})
    distrust = table.get("distrust", "one-hop")
    penalty = table.get("penalty", True)
    if distrust not in DISTRUST_LAYERS:
        raise _fail(f"layers.distrust must be one of {', '.join(DISTRUST_LAYERS)}")
    if not isinstance(penalty, bool):
        raise _fail("layers.penalty must be true or false")
    return distrust, penalty


def _set(sections: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = sections
    for part in parts[:-1]:
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            raise _fail(f"sweep key {dotted!r} goes through {part!r}, which is not a table")
        node = nxt
    node[parts[-1]] = value


def _check_algorithms(names: object, where: str, allowed: Sequence[str]) -> list[str]:
    if not isinstance(names, list) or not names or len(names) > LIMITS["list"]:
        raise _fail(f"{where} must be a non-empty list")
    out = []
    for name in names:
        if not isinstance(name, str):
            raise _fail(f"{where} lists {name!r}, not a name")
        base, _, horizon = name.partition("@")
        if base not in allowed:
            raise _fail(f"{where}: unknown algorithm {base!r}; expected one of "
                        f"{', '.join(allowed)}")
        if horizon and (not ascii_digits(horizon) or len(horizon) > 2
                        or not 1 <= int(horizon) <= 16):
            raise _fail(f"{where}: {name!r}: the horizon after @ must be 1..16")
        out.append(name)
    return out


def _check_point(experiment: str, sections: Mapping[str, Any]) -> None:
    """Checks that need the point's values (sweeps may set them)."""
    graph = sections.get("graph", {})
    if experiment != "federation":
        generator, dataset = graph.get("generator"), graph.get("dataset")
        if (generator is None) == (dataset is None):
            raise _fail("[graph] needs exactly one of generator or dataset")
        if generator is not None and generator not in GENERATORS:
            raise _fail(f"graph.generator must be one of {', '.join(GENERATORS)}")
        if dataset is not None:
            _text(dataset, "graph.dataset", 4096)
            if graph.get("format") not in DATASET_FORMATS:
                raise _fail(f"graph.format must be one of {', '.join(DATASET_FORMATS)}")
    policy_of(sections)
    layers_of(sections)
    if experiment == "attack":
        attack = sections.get("attack")
        if not isinstance(attack, Mapping) or attack.get("type") not in ATTACKS:
            raise _fail(f"[attack] needs a type: one of {', '.join(ATTACKS)}")
        ev = sections.get("evaluate", {})
        _check_algorithms(ev.get("algorithms", ["ppr"]), "evaluate.algorithms",
                          ATTACK_ALGORITHMS)
        _count(ev.get("evaluators", 10), "evaluate.evaluators", 1, LIMITS["evaluators"])
    elif experiment == "prediction":
        pred = sections.get("prediction", {})
        _check_algorithms(pred.get("algorithms", ["fairness"]), "prediction.algorithms",
                          PREDICTORS)
        method = pred.get("method", "leave-one-out")
        if method not in ("leave-one-out", "held-out"):
            raise _fail("prediction.method must be leave-one-out or held-out")
        fraction = pred.get("fraction", 0.1)
        if isinstance(fraction, bool) or not isinstance(fraction, int | float) \
                or not 0 < fraction < 1:
            raise _fail("prediction.fraction must lie in (0, 1)")
        if pred.get("missing", "zero") not in ("zero", "skip"):
            raise _fail("prediction.missing must be zero (Kumar et al.) or skip (Trustlet)")
        _count(pred.get("sample", 0), "prediction.sample", 0, 100_000_000)
        refs = pred.get("reference", {})
        if not isinstance(refs, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in refs.items()):
            raise _fail("prediction.reference maps algorithm names to files")
        for key in refs:
            _check_algorithms([key], "prediction.reference", PREDICTORS)
    elif experiment == "federation":
        fed = sections.get("federation")
        if not isinstance(fed, Mapping) or not isinstance(fed.get("site"), list) \
                or len(fed["site"]) < 2:
            raise _fail("[federation] needs at least two [[federation.site]] tables")


def parse_scenario(doc: Mapping[str, Any], *, seed: int | None = None) -> Scenario:
    """Check a scenario table and expand its tasks (``seed`` overrides the file's)."""
    if not isinstance(doc, Mapping):
        raise _fail("the document must be a table")
    unknown = set(doc) - _SECTIONS
    if unknown:
        raise _fail(f"unknown section(s) {', '.join(sorted(unknown))}; expected "
                    f"{', '.join(sorted(_SECTIONS))}")
    head = _table(doc.get("scenario", {}), "scenario")
    extra = set(head) - {"name", "description", "experiment", "seed", "repetitions",
                         "chunks"}
    if extra:
        raise _fail(f"unknown key(s) in [scenario]: {', '.join(sorted(extra))}")
    name = _text(head.get("name", "scenario"), "scenario.name", LIMITS["name"])
    description = head.get("description", "")
    if not isinstance(description, str) or len(description) > LIMITS["text"]:
        raise _fail(f"scenario.description must be a string of at most {LIMITS['text']} "
                    "characters")
    experiment = head.get("experiment", "attack")
    if experiment not in EXPERIMENTS:
        raise _fail(f"scenario.experiment must be one of {', '.join(EXPERIMENTS)}")
    chosen_seed = head.get("seed", 0) if seed is None else seed
    chosen_seed = _count(chosen_seed, "the seed", 0, 2**63 - 1)
    repetitions = _count(head.get("repetitions", 1), "scenario.repetitions", 1,
                         LIMITS["repetitions"])
    chunks = _count(head.get("chunks", 1), "scenario.chunks", 1, LIMITS["chunks"])
    sections = {k: copy.deepcopy(_table(v, k)) for k, v in doc.items()
                if k not in ("scenario", "sweep")}
    policy = sections.get("policy", {})
    bad = set(policy) - _POLICY_FIELDS
    if bad:
        raise _fail(f"unknown key(s) in [policy]: {', '.join(sorted(bad))}")
    sweep_table = _table(doc.get("sweep", {}), "sweep")
    sweep: list[tuple[str, tuple[Any, ...]]] = []
    for key, values in sweep_table.items():
        if not isinstance(values, list) or not values or len(values) > LIMITS["list"]:
            raise _fail(f"sweep {key!r} must be a non-empty list of values")
        section = key.split(".")[0]
        if section not in _SECTIONS - {"scenario", "sweep"} or "." not in key:
            raise _fail(f"sweep key {key!r} must name a setting as section.key")
        sweep.append((key, tuple(values)))
    count = math.prod(len(v) for _, v in sweep)
    if count > LIMITS["points"]:
        raise _fail(f"the sweep has {count} points, more than {LIMITS['points']}")
    if count * repetitions * chunks > LIMITS["tasks"]:
        raise _fail(f"{count * repetitions * chunks} tasks, more than {LIMITS['tasks']}")
    points: list[dict[str, Any]] = []
    for combo in itertools.product(*(v for _, v in sweep)):
        point = copy.deepcopy(sections)
        for (key, _), value in zip(sweep, combo, strict=True):
            _set(point, key, value)
        _check_point(experiment, point)
        points.append(point)
    tasks: list[Task] = []
    for p, point in enumerate(points):
        for r in range(repetitions):
            for c in range(chunks):
                tasks.append(Task(index=len(tasks), point=p, repetition=r, chunk=c,
                                  chunks=chunks, params=point))
    return Scenario(name=name, description=description, experiment=experiment,
                    seed=chosen_seed, repetitions=repetitions, sections=sections,
                    sweep=tuple(sweep), points=tuple(points), tasks=tuple(tasks))


def point_label(scenario: Scenario, point: int) -> dict[str, Any]:
    """The sweep values of point ``point`` (``{}`` without a sweep)."""
    combo = list(itertools.product(*(v for _, v in scenario.sweep)))[point] \
        if scenario.sweep else ()
    return {k: v for (k, _), v in zip(scenario.sweep, combo, strict=True)}

