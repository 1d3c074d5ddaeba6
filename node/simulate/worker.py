"""What runs in a worker process (a local pool's or a Dask worker's): one task, measured.

:func:`execute` re-checks the scenario from its table (cheap, and the same on every
machine), parses the data set once per process (:data:`_PARSED`, keyed by the blob's
digest), runs the task (``confiance.protocol.experiments.run_task``: a pure function of
the scenario, the task and the data) and measures it: wall and CPU time, and the process's
peak resident memory. The measure is kept apart from the result, so results compare equal
across machines while times do not.
"""

from __future__ import annotations

import os
import resource
import socket
import time
from collections.abc import Mapping
from typing import Any

from confiance.protocol.experiments import (
    SignedGraph,
    parse_scenario,
    read_dataset,
    read_predgraph,
    run_task,
)

from .files import DataBlob

__all__ = ["execute", "install_blob", "prepare"]

_PARSED: dict[str, tuple[SignedGraph | None, dict[str, dict[tuple[str, str], str]]]] = {}
_BLOB: list[DataBlob] = []


def prepare(blob: DataBlob | None
            ) -> tuple[SignedGraph | None, dict[str, dict[tuple[str, str], str]]]:
    """The parsed data set and references of ``blob`` (parsed once per process)."""
    if blob is None:
        return None, {}
    key = blob.digest
    got = _PARSED.get(key)
    if got is None:
        graph = None
        if blob.graph is not None and blob.fmt is not None:
            graph = read_dataset(blob.graph, blob.fmt, name=blob.name, levels=blob.levels,
                                 ratings=blob.ratings)
        refs = {name: read_predgraph(data, name=name) for name, data in blob.references.items()}
        _PARSED.clear()  # one data set per run: keep memory bounded
        got = _PARSED[key] = (graph, refs)
    return got


def install_blob(blob: DataBlob | None) -> None:
    """Process-pool initializer: the blob every task of this worker reads."""
    _BLOB.clear()
    if blob is not None:
        _BLOB.append(blob)


def execute(doc: Mapping[str, Any], seed: int | None, index: int,
            blob: DataBlob | None = None) -> dict[str, Any]:
    """Run task ``index`` of the scenario ``doc`` (with ``seed`` if given) and measure it."""
    scenario = parse_scenario(doc, seed=seed)
    task = scenario.tasks[index]
    chosen = blob if blob is not None else (_BLOB[0] if _BLOB else None)
    graph, refs = prepare(chosen)
    wall, cpu = time.perf_counter(), time.process_time()
    out = run_task(scenario, task, graph, refs)
    out["measure"] = {
        "seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "worker": f"{socket.gethostname()}:{os.getpid()}"}
    return out
