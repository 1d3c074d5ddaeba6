"""Run one task of a scenario: the only entry point a worker needs (locally or on Dask).

:func:`run_task` is a pure function of the scenario, the task and the data set it reads
(passed in by the caller, who owns files): it seeds its own ``numpy.random.Generator``
from ``(seed, point, repetition)``, generates or takes the graph, and dispatches to the
experiment. No clock, no I/O: the caller measures time and memory around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..errors import MalformedDocument
from .generators import generate
from .graph import SignedGraph
from .graphstats import graph_statistics
from .run_attack import run_attack
from .run_federation import run_federation
from .run_prediction import run_prediction
from .scenario import Scenario, Task

__all__ = ["rng_for", "run_task"]


def rng_for(scenario: Scenario, task: Task) -> np.random.Generator:
    """The task's generator: ``SeedSequence(seed, spawn_key=(point, repetition))``."""
    return np.random.default_rng(np.random.SeedSequence(scenario.seed,
                                                        spawn_key=task.spawn_key))


def _graph(task: Task, dataset: SignedGraph | None, rng: np.random.Generator) -> SignedGraph:
    spec = task.params.get("graph", {})
    if spec.get("generator") is not None:
        return generate(spec["generator"], spec, rng)
    if dataset is None:
        raise MalformedDocument("the scenario reads a data set, but none was loaded")
    return dataset


def run_task(scenario: Scenario, task: Task, dataset: SignedGraph | None = None,
             references: Mapping[str, Mapping[tuple[str, str], str]] | None = None,
             progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The result of ``task`` (JSON-ready), with its coordinates and seed."""
    rng = rng_for(scenario, task)
    head = {"task": task.index, "point": task.point, "repetition": task.repetition,
            "chunk": task.chunk, "seed": [scenario.seed, task.point, task.repetition]}
    kind = scenario.experiment
    if kind == "federation":
        return {**head, "result": run_federation(task, rng)}
    graph = _graph(task, dataset, rng)
    if kind == "attack":
        result = run_attack(task, graph, rng)
    elif kind == "prediction":
        result = run_prediction(task, graph, rng, references, progress)
    else:
        stats = graph_statistics(graph)
        result = {"graph": {"name": graph.name}, "statistics": stats}
    return {**head, "result": result}
