"""What a run leaves in its output folder, and the report that ties it together.

::

    OUT/results.json      everything: scenario, settings, versions, every task's result
                          and measure, the summary rows
    OUT/summary.csv       one row per sweep point, algorithm (and step, or pair) and measure:
                          mean, std, 95% interval, n
    OUT/tasks.csv         one row per task: coordinates, seed, time, CPU, peak memory
    OUT/predictions.csv   prediction runs: every held-out edge, its weight and each
                          algorithm's prediction (first repetition of each point)
    OUT/*.png             the figures (``plots.py``)
    OUT/report.md         the scenario, the seed, the versions, the settings, the tables and
                          the figures, in that order

Numbers in the JSON are the computed ones; the CSV and the report round them for reading.
"""

from __future__ import annotations

import csv
import json
import math
import platform
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

__all__ = ["versions", "write_outputs"]

_PACKAGES = ("confiance", "numpy", "scipy", "networkx", "matplotlib", "rich", "dask",
             "distributed")


def versions() -> dict[str, str]:
    """The versions a result depends on (Python, the platform, the libraries)."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _fmt(x: Any) -> str:
    if isinstance(x, bool) or x is None:
        return "-" if x is None else str(x).lower()
    if isinstance(x, float):
        if math.isnan(x):
            return "-"
        return f"{x:.4g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.3e}"
    return str(x)


def _csv(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in keys})


def _predictions(results: Sequence[Mapping[str, Any]], path: Path) -> bool:
    firsts = [r for r in results if int(r["repetition"]) == 0
              and "predictions" in r["result"]]
    if not firsts:
        return False
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer: Any = None
        for r in sorted(firsts, key=lambda r: (int(r["point"]), int(r["chunk"]))):
            pred = r["result"]["predictions"]
            names = list(pred)
            if writer is None:
                writer = csv.writer(handle)
                writer.writerow(["point", *names])
            for i in range(len(pred["actual"])):
                writer.writerow([r["point"], *(("" if pred[k][i] is None else pred[k][i])
                                               for k in names)])
    return True


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[str]:
    head = "| " + " | ".join(columns) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    return [head, sep] + ["| " + " | ".join(_fmt(r.get(c)) for c in columns) + " |"
                          for r in rows]


def _results_section(experiment: str, rows: Sequence[Mapping[str, Any]],
                     sweep: Sequence[str]) -> list[str]:
    lines: list[str] = []
    cell = [dict(r, value=(f"{_fmt(r['mean'])} ± {_fmt(r['ci95'])}"
                           if r.get("n", 0) and r.get("n", 0) > 1 else _fmt(r["mean"])))
            for r in rows]
    if experiment == "attack":
        last = max((int(r.get("step", 0)) for r in rows), default=0)
        chosen = [r for r in cell if int(r.get("step", 0)) in (0, last)]
        lines += _table(chosen, [*sweep, "step", "algorithm", "measure", "value", "n"])
    elif experiment == "prediction":
        table: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in cell:
            key = (r["point"], r["algorithm"])
            row = table.setdefault(key, {**{k: r.get(k) for k in sweep},
                                         "algorithm": r["algorithm"]})
            if r["measure"] in ("rmse", "mae", "pearson", "coverage"):
                row[r["measure"]] = r["value"]
            for k in ("reference_agree", "reference_compared", "reference_max_difference",
                      "reference_coverage", "reference_mae"):
                if k in r:
                    row[k] = r[k]
        chosen = list(table.values())
        extra = [c for c in ("reference_agree", "reference_compared",
                             "reference_max_difference", "reference_coverage",
                             "reference_mae") if any(c in r for r in chosen)]
        lines += _table(chosen, [*sweep, "algorithm", "rmse", "mae", "pearson", "coverage",
                                 *extra])
    elif experiment == "federation":
        wanted = ("coverage", "pearson", "spearman", "ppr_spearman", "calibration")
        chosen = [r for r in cell if r["measure"] in wanted]
        lines += _table(chosen, [*sweep, "reader", "site", "measure", "value"])
    else:
        lines += _table(cell, [*sweep, "measure", "value"])
    return lines


def write_outputs(out: Path, *, scenario_path: str, scenario_sha: str, command: str,
                  settings: Mapping[str, Any], description: str, experiment: str,
                  results: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]],
                  sweep: Sequence[str], files: Mapping[str, str], figures: Sequence[tuple[
                      str, str]], run: Mapping[str, Any]) -> dict[str, Path]:
    """Write the folder's files (module docstring); their paths by kind."""
    out.mkdir(parents=True, exist_ok=True)
    vers = versions()
    doc = {"scenario": {"file": scenario_path, "sha256": scenario_sha,
                        "description": description},
           "command": command, "run": dict(run), "versions": vers, "settings": settings,
           "data": dict(files), "summary": list(rows), "tasks": list(results)}
    paths = {"json": out / "results.json", "summary": out / "summary.csv",
             "tasks": out / "tasks.csv", "report": out / "report.md"}
    paths["json"].write_text(json.dumps(doc, indent=1, default=str) + "\n", encoding="utf-8")
    _csv(paths["summary"], rows)
    _csv(paths["tasks"], [{"task": r["task"], "point": r["point"], "repetition": r["repetition"],
                           "chunk": r["chunk"], "seed": " ".join(str(s) for s in r["seed"]),
                           **r.get("measure", {})} for r in results])
    if _predictions(results, out / "predictions.csv"):
        paths["predictions"] = out / "predictions.csv"
    seconds = [float(r["measure"]["seconds"]) for r in results if "measure" in r]
    peak = [float(r["measure"]["peak_rss_mb"]) for r in results if "measure" in r]
    name = settings["scenario"]["name"]
    lines = [f"# {name}", ""]
    if description:
        lines += [description.strip(), ""]
    lines += ["## Run", "",
              f"- command: `{command}`",
              f"- scenario: `{scenario_path}` (sha256 `{scenario_sha[:16]}…`)",
              f"- experiment: {experiment}; seed {settings['scenario']['seed']}; "
              f"{settings['scenario']['repetitions']} repetition(s); {len(results)} task(s) "
              f"on {run.get('where', 'this process')}",
              f"- started {run.get('started', '?')}, {run.get('seconds', 0):.1f} s in all; per "
              f"task {(sum(seconds) / len(seconds)) if seconds else 0:.2f} s on average, "
              f"{max(seconds, default=0):.2f} s at most; peak resident memory of a worker "
              f"{max(peak, default=0):.0f} MB"]
    for path, sha in files.items():
        lines.append(f"- data: `{path}` (sha256 `{sha[:16]}…`)")
    lines += ["", "## Versions", "", *_table([vers], list(vers)), "", "## Settings", "",
              "```json", json.dumps({k: settings[k] for k in ("policy", "layers", "sweep",
                                                              "sections")},
                                    indent=1, default=str), "```", "", "## Results", "",
              *_results_section(experiment, rows, sweep), ""]
    if figures:
        lines += ["## Figures", ""]
        for file, caption in figures:
            lines += [f"![{caption}]({file})", "", f"*{caption}*", ""]
    lines += ["Files: `results.json` (everything), `summary.csv`, `tasks.csv`"
              + (", `predictions.csv`" if "predictions" in paths else "") + ".", ""]
    paths["report"].write_text("\n".join(lines), encoding="utf-8")
    return paths
