"""``confiance simulate``: run a scenario file, write results, figures and a report.

The shell around ``confiance.protocol.experiments`` (which is sans-IO): it reads the
scenario and its data files (``files.py``), runs the tasks here, on a local process pool or
on a Dask cluster (``execute.py``, ``worker.py``), shows progress (``progress.py``) and
writes the output folder (``output.py``, ``plots.py``). :func:`run_scenario` is the whole
command as a function (the CLI and the tests call it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confiance.protocol.experiments import parse_scenario, summarise

from .execute import run_tasks
from .files import read_scenario, scenario_blob
from .progress import Progress

__all__ = ["RunOutcome", "run_scenario"]


@dataclass(frozen=True)
class RunOutcome:
    """Where the run wrote its files, and what it computed."""

    out: Path
    files: dict[str, Path]
    results: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    seconds: float


def run_scenario(path: str, out: str, *, seed: int | None = None, workers: int = 1,
                 scheduler: str | None = None, command: str = "",
                 progress: bool | None = None, plots: bool = True) -> RunOutcome:
    """Run the scenario at ``path`` into the folder ``out`` (created)."""
    doc, sha = read_scenario(path)
    scenario = parse_scenario(doc, seed=seed)  # checked whole before any data is read
    blob = scenario_blob(doc, Path(path).resolve().parent)
    started = datetime.now(UTC)
    wall = time.perf_counter()
    where = f"the Dask cluster at {scheduler}" if scheduler else \
        (f"{workers} local processes" if workers > 1 and len(scenario.tasks) > 1
         else "this process")
    with Progress(f"{scenario.name}: tasks", len(scenario.tasks), enabled=progress) as bar:
        results = run_tasks(doc, seed, scenario, blob, workers=workers, scheduler=scheduler,
                            progress=bar)
    seconds = time.perf_counter() - wall
    rows = summarise(scenario, results)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, str]] = []
    if plots:
        from .plots import draw

        figures = draw(scenario.experiment, results, rows, [k for k, _ in scenario.sweep],
                       folder)
    from .output import write_outputs

    files = write_outputs(
        folder, scenario_path=path, scenario_sha=sha, command=command,
        settings=scenario.settings(), description=scenario.description,
        experiment=scenario.experiment, results=results, rows=rows,
        sweep=[k for k, _ in scenario.sweep], files=blob.files, figures=figures,
        run={"started": started.isoformat(timespec="seconds"), "seconds": seconds,
             "where": where, "workers": workers, "scheduler": scheduler})
    for name, _ in figures:
        files[name] = folder / name
    return RunOutcome(out=folder, files=files, results=results, rows=rows, seconds=seconds)
