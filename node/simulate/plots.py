"""PNG figures of a run (matplotlib, Agg backend; imported only when a run draws).

One function per experiment kind; each returns the files it wrote (name and caption), for
the report:

- attack: each measure against the swept parameter (or the time step), one line per
  algorithm, with the 95% interval as a band;
- prediction: predicted against actual weights (a sample of the held-out edges) per
  algorithm, and, against a reference, our predictions against theirs;
- federation: coverage and rank correlation with the latent quality, reader by site;
- stats: the degree distributions (log-log).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["draw"]

#: Measures of an attack worth a figure, and how to say them.
ATTACK_MEASURES = {
    "auc": "ROC AUC, honest above attackers",
    "mass_per_edge": "attackers' trust mass per attack edge",
    "admitted_per_edge": "Sybils admitted per attack edge",
    "admitted": "Sybils admitted",
    "bound": "Advogato flow bound",
    "colluders": "colluders' mean score",
    "identity.score": "attacker's score",
    "new_identity.score": "new identity's score",
    "control.score": "honest newcomer's / control's score",
    "target.score": "target's score",
    "referrer.score": "referrer's score at the audience",
    "referrer.penalty": "referrer's penalty",
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _attack(rows: Sequence[Mapping[str, Any]], sweep: Sequence[str], out: Path,
            steps: int) -> list[tuple[str, str]]:
    plt = _pyplot()
    files = []
    key = sweep[0] if sweep and all(_number(r.get(sweep[0])) for r in rows) else None
    last = max((int(r.get("step", 0)) for r in rows), default=0)
    for measure, label in ATTACK_MEASURES.items():
        chosen = [r for r in rows if r["measure"] == measure and r["mean"] is not None]
        if key is not None:
            chosen = [r for r in chosen if int(r.get("step", 0)) == last]
            x_label = key
        elif steps > 0:
            x_label = "time step"
        else:
            continue

        def x_of(r: Mapping[str, Any]) -> float:
            return float(r[key]) if key is not None else float(r.get("step", 0))

        if not chosen:
            continue
        lines: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        for r in chosen:
            lines[r["algorithm"]].append((x_of(r), float(r["mean"]), float(r["ci95"] or 0.0)))
        if all(len(v) < 2 for v in lines.values()):
            continue
        fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
        for alg, pts in sorted(lines.items()):
            pts.sort()
            xs = [p[0] for p in pts]
            ys = [p[1] for p in pts]
            lo = [p[1] - p[2] for p in pts]
            hi = [p[1] + p[2] for p in pts]
            ax.plot(xs, ys, marker="o", label=alg)
            ax.fill_between(xs, lo, hi, alpha=0.15)
        ax.set_xlabel(x_label)
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        name = f"attack-{measure.replace('.', '-')}.png"
        fig.savefig(out / name)
        plt.close(fig)
        files.append((name, f"{label} by {x_label}"))
    return files


def _prediction(results: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]],
                out: Path) -> list[tuple[str, str]]:
    plt = _pyplot()
    files = []
    first = [r for r in results if int(r["point"]) == 0 and int(r["repetition"]) == 0]
    merged: dict[str, list[Any]] = defaultdict(list)
    for r in sorted(first, key=lambda r: int(r["chunk"])):
        for k, v in r["result"].get("predictions", {}).items():
            merged[k].extend(v)
    actual = merged.get("actual", [])
    names = [k for k in merged if k not in ("source", "target", "actual")]
    if actual and names:
        cols = min(3, len(names))
        rows_n = math.ceil(len(names) / cols)
        fig, axes = plt.subplots(rows_n, cols, figsize=(4.2 * cols, 3.8 * rows_n), dpi=110,
                                 squeeze=False)
        step = max(1, len(actual) // 5000)
        for ax, name in zip(axes.flat, names, strict=False):
            pts = [(a, p) for a, p in zip(actual[::step], merged[name][::step], strict=True)
                   if p is not None]
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=4, alpha=0.3)
            ax.plot([-1, 1], [-1, 1], color="grey", lw=0.8)
            ax.set_title(name)
            ax.set_xlabel("actual weight")
            ax.set_ylabel("predicted")
        for ax in list(axes.flat)[len(names):]:
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(out / "prediction-scatter.png")
        plt.close(fig)
        files.append(("prediction-scatter.png", "predicted against actual weight, held-out "
                                                "edges (first repetition)"))
    bars = [r for r in rows if r["measure"] in ("rmse", "pearson") and r["mean"] is not None
            and int(r["point"]) == 0]
    if bars:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), dpi=110)
        for ax, measure in zip(axes, ("rmse", "pearson"), strict=True):
            chosen = [r for r in bars if r["measure"] == measure]
            ax.bar([r["algorithm"] for r in chosen], [r["mean"] for r in chosen])
            ax.set_title(measure.upper() if measure == "rmse" else "Pearson correlation")
            ax.tick_params(axis="x", rotation=30)
        fig.tight_layout()
        fig.savefig(out / "prediction-error.png")
        plt.close(fig)
        files.append(("prediction-error.png", "RMSE and Pearson correlation by algorithm"))
    return files


def _federation(rows: Sequence[Mapping[str, Any]], out: Path) -> list[tuple[str, str]]:
    plt = _pyplot()
    readers = sorted({r["reader"] for r in rows})
    sites = sorted({r["site"] for r in rows})
    if not readers:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), dpi=110)
    for ax, measure, title in zip(axes, ("coverage", "spearman"),
                                  ("coverage of the site's members", "Spearman with quality"),
                                  strict=True):
        grid = [[math.nan] * len(sites) for _ in readers]
        for r in rows:
            if r["measure"] == measure and r["mean"] is not None and int(r["point"]) == 0:
                grid[readers.index(r["reader"])][sites.index(r["site"])] = float(r["mean"])
        image = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(sites)), sites)
        ax.set_yticks(range(len(readers)), readers)
        ax.set_xlabel("site of the members scored")
        ax.set_ylabel("reader (evaluator)")
        ax.set_title(title)
        for i in range(len(readers)):
            for j in range(len(sites)):
                if not math.isnan(grid[i][j]):
                    ax.text(j, i, f"{grid[i][j]:.2f}", ha="center", va="center",
                            color="k" if grid[i][j] > 0.6 else "w")
        fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(out / "federation.png")
    plt.close(fig)
    return [("federation.png", "how far each reader's trust reaches into each site, and how "
                               "well it keeps its meaning")]


def draw(experiment: str, results: Sequence[Mapping[str, Any]],
         rows: Sequence[Mapping[str, Any]], sweep: Sequence[str], out: Path
         ) -> list[tuple[str, str]]:
    """Write the figures of a run into ``out``; ``[(file name, caption)]``."""
    if experiment == "attack":
        steps = max((int(r["result"]["attack"]["steps"]) for r in results), default=0)
        return _attack(rows, sweep, out, steps)
    if experiment == "prediction":
        return _prediction(results, rows, out)
    if experiment == "federation":
        return _federation(rows, out)
    return []
