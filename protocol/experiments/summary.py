"""From task results to tables: one row per sweep point, algorithm and measure.

Repetitions are summarised by their mean, standard deviation and a normal 95% interval
(:func:`~.metrics.mean_ci`); the chunks of one leave-one-out repetition are first added
together (their error sums), so the RMSE and the correlation are those of all its held-out
edges at once, as Kumar et al. compute them. A reference comparison (Trustlet's
predictions) is added over chunks and repetitions: edges compared, edges that agree, the
largest difference, and the reference's own coverage and MAE beside ours.

:func:`summarise` returns plain rows (``list`` of ``dict``), the form written to CSV and
drawn by the plots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .metrics import mean_ci, merge_sums, metrics_from_sums
from .scenario import Scenario, point_label

__all__ = ["flatten", "summarise"]


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as ``a.b.c`` keys (numbers, strings, booleans and ``None`` kept)."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, bool | int | float | str) or value is None:
        out[prefix] = value
    return out


def _numeric(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[float | None]]:
    values: dict[str, list[float | None]] = defaultdict(list)
    for row in rows:
        for k, v in row.items():
            if isinstance(v, int | float):
                values[k].append(float(v))
            elif v is None:
                values[k].append(None)
    return values


def _rows_from(scenario: Scenario, point: int, algorithm: str,
               samples: Sequence[Mapping[str, Any]], extra: Mapping[str, Any] | None = None
               ) -> list[dict[str, Any]]:
    label = point_label(scenario, point)
    rows = []
    for measure, vals in sorted(_numeric(samples).items()):
        ci = mean_ci(vals)
        rows.append({"point": point, **label, "algorithm": algorithm, "measure": measure,
                     **ci, **(extra or {})})
    return rows


def summarise(scenario: Scenario, results: Sequence[Mapping[str, Any]]
              ) -> list[dict[str, Any]]:
    """Rows ``{point, <sweep keys>, algorithm, measure, mean, std, ci95, n}`` (plus
    ``step`` for attacks and ``reader``/``site`` for federations)."""
    by_point: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for r in results:
        by_point[int(r["point"])].append(r)
    rows: list[dict[str, Any]] = []
    for point in sorted(by_point):
        group = by_point[point]
        kind = scenario.experiment
        if kind == "attack":
            steps: dict[tuple[int, str], list[Mapping[str, Any]]] = defaultdict(list)
            for r in group:
                for step in r["result"]["steps"]:
                    for alg, measured in step["algorithms"].items():
                        steps[(int(step["step"]), alg)].append(flatten(measured))
            for (step, alg), samples in sorted(steps.items()):
                rows += _rows_from(scenario, point, alg, samples, {"step": step})
        elif kind == "prediction":
            rows += _prediction_rows(scenario, point, group)
        elif kind == "federation":
            pairs: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
            for r in group:
                for pair in r["result"]["pairs"]:
                    pairs[(pair["reader"], pair["site"])].append(
                        {k: v for k, v in pair.items() if k not in ("reader", "site", "rule")})
            for (reader, site), samples in sorted(pairs.items()):
                rows += _rows_from(scenario, point, "federation", samples,
                                   {"reader": reader, "site": site})
        else:
            rows += _rows_from(scenario, point, "statistics",
                               [r["result"]["statistics"] for r in group])
    return rows


def _prediction_rows(scenario: Scenario, point: int, group: Sequence[Mapping[str, Any]]
                     ) -> list[dict[str, Any]]:
    reps: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for r in group:
        reps[int(r["repetition"])].append(r)
    per_alg: dict[str, list[dict[str, Any]]] = defaultdict(list)
    refs: dict[str, dict[str, Any]] = {}
    for chunks in reps.values():
        names = chunks[0]["result"]["algorithms"].keys()
        for name in names:
            entries = [c["result"]["algorithms"][name] for c in chunks]
            per_alg[name].append(metrics_from_sums(merge_sums([e["sums"] for e in entries])))
            if "reference" in entries[0]:
                acc = refs.setdefault(name, {"compared": 0, "agree": 0, "in_reference": 0,
                                             "max_difference": 0.0, "theirs": []})
                for e in entries:
                    ref = e["reference"]
                    acc["compared"] += ref["compared"]
                    acc["agree"] += ref["agree"]
                    acc["in_reference"] += ref["in_reference"]
                    acc["max_difference"] = max(acc["max_difference"], ref["max_difference"])
                    acc["theirs"].append(ref["theirs"])
    rows: list[dict[str, Any]] = []
    for name, samples in per_alg.items():
        extra: dict[str, Any] = {}
        if name in refs:
            acc = refs[name]
            theirs = metrics_from_sums(merge_sums(acc["theirs"]))
            extra = {"reference_compared": acc["compared"], "reference_agree": acc["agree"],
                     "reference_max_difference": acc["max_difference"],
                     "reference_coverage": theirs["coverage"], "reference_mae": theirs["mae"],
                     "reference_rmse": theirs["rmse"]}
        rows += _rows_from(scenario, point, name, samples, extra)
    return rows
