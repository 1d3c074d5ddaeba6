"""``confiance simulate SCENARIO.toml --out DIR``: trust experiments on the engine.

::

    confiance simulate SCENARIO.toml --out DIR [--seed N] [--workers N]
                       [--scheduler ADDRESS] [--no-plots] [--json]

Runs the scenario's tasks (sweep points x repetitions x chunks) on local processes
(``--workers``, default: one per CPU), or on a Dask cluster (``--scheduler
tcp://host:8786``), and writes ``DIR/results.json``, ``summary.csv``, ``tasks.csv``, PNG
figures and ``report.md``. The same seed gives the same numbers wherever the tasks run.
The scenario format is ``specs/simulate.md``; ``examples/*.toml`` are scenarios to start
from. Needs the research extra (``pip install 'confiance[research]'``) for figures,
progress and Dask. Exit status: 0 done, 2 unusable scenario, data or arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from typing import Any

__all__ = ["register"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= value <= 1024:
        raise argparse.ArgumentTypeError("must lie in 1..1024")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError("must lie in 0..2^63-1")
    return value


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "simulate", help="run a trust experiment (scenario file): attacks, prediction, "
                         "federation, statistics",
        description="Run a scenario of trust experiments on the engine and write JSON, CSV, "
                    "figures and a Markdown report. See specs/simulate.md.")
    parser.add_argument("scenario", metavar="SCENARIO.toml", help="the scenario file")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for results.json, summary.csv, tasks.csv, *.png and "
                             "report.md (created)")
    parser.add_argument("--seed", type=_seed, metavar="N",
                        help="the seed (default: the scenario's): same seed, same numbers")
    parser.add_argument("--workers", type=_positive, metavar="N",
                        help="local worker processes (default: one per CPU)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask cluster, e.g. tcp://127.0.0.1:8786, instead of "
                             "local processes")
    parser.add_argument("--no-plots", dest="plots", action="store_false",
                        help="write no figures")
    parser.add_argument("--json", action="store_true",
                        help="print the summary rows as JSON on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from confiance.node.simulate import run_scenario

    workers = args.workers or os.cpu_count() or 1
    command = "confiance simulate " + shlex.join(sys.argv[2:] if len(sys.argv) > 2 else
                                                 [args.scenario, "--out", args.out])
    outcome = run_scenario(args.scenario, args.out, seed=args.seed, workers=workers,
                           scheduler=args.scheduler, command=command, plots=args.plots)
    if args.json:
        sys.stdout.write(json.dumps(outcome.rows, indent=1, default=str) + "\n")
    else:
        print(f"{len(outcome.results)} task(s) in {outcome.seconds:.1f} s; report: "
              f"{outcome.files['report']}")
    return 0
