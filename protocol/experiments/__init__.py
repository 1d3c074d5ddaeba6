"""Trust experiments, sans-IO: graphs, attacks, metrics and scenarios for ``confiance
simulate``.

Everything here is a pure function of its inputs and a seeded ``numpy.random.Generator``
passed in: no files, no clock, no processes (the shell in ``confiance.node.simulate`` reads
files, runs tasks in parallel or on Dask, measures time and memory, writes results). Every
trust algorithm is the engine's own (``confiance.protocol.trust``): experiments build a
:class:`~confiance.protocol.trust.TrustEngine` and ask it.

- :mod:`.graph` (:class:`SignedGraph`, :func:`engine_for`), :mod:`.generators`
  (Erdős–Rényi, Barabási–Albert, Watts–Strogatz, stochastic blocks), :mod:`.datasets`
  (SNAP signed lists, Advogato DOT, FilmTrust, Trustlet's PredGraph);
- :mod:`.attacks` (Sybil region, collusion, whitewashing, on-off, bad-mouthing,
  ballot-stuffing, false referrals), :mod:`.metrics`, :mod:`.graphstats` (KONECT's
  statistics);
- :mod:`.scenario` (checked scenario, tasks, seeds), :mod:`.run` (one task),
  :mod:`.summary` (tables).

``specs/simulate.md`` describes the scenario format and every measure.
"""

from .attacks import ATTACKS, Attack, make_attack
from .datasets import ADVOGATO_LEVELS, DATASET_FORMATS, read_dataset, read_predgraph
from .generators import GENERATORS, generate
from .graph import SignedGraph, engine_for
from .graphstats import KONECT_EPINIONS, graph_statistics
from .metrics import mean_ci, prediction_metrics, roc_auc
from .run import rng_for, run_task
from .scenario import EXPERIMENTS, PREDICTORS, Scenario, Task, parse_scenario, point_label
from .summary import flatten, summarise

__all__ = [
    "ADVOGATO_LEVELS",
    "ATTACKS",
    "DATASET_FORMATS",
    "EXPERIMENTS",
    "GENERATORS",
    "KONECT_EPINIONS",
    "PREDICTORS",
    "Attack",
    "Scenario",
    "SignedGraph",
    "Task",
    "engine_for",
    "flatten",
    "generate",
    "graph_statistics",
    "make_attack",
    "mean_ci",
    "parse_scenario",
    "point_label",
    "prediction_metrics",
    "read_dataset",
    "read_predgraph",
    "rng_for",
    "roc_auc",
    "run_task",
    "summarise",
]
