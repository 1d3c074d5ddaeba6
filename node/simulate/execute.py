"""Run a scenario's tasks: in this process, on a local process pool, or on a Dask cluster.

- ``workers == 1`` (or a single task): one after another, here;
- otherwise a local pool of ``workers`` processes (started by ``forkserver``, with the
  worker module preloaded, so each starts in a fraction of a second and no process is
  forked from a threaded parent); the data set travels once per worker (the pool's
  initializer);
- ``scheduler``: a Dask ``distributed`` cluster at that address (``tcp://host:8786``): the
  data set is scattered to every worker once, each task is one Dask task. The workers must
  have Confiance installed (the same version: the report records it).

Whatever runs a task, its result is the same: a task seeds its own generator from the
scenario's seed and its coordinates (``confiance.protocol.experiments.rng_for``). Results
come back in completion order and are sorted by task.
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from confiance.protocol.errors import RemoteProtocolError
from confiance.protocol.experiments import Scenario

from .files import DataBlob
from .progress import Progress
from .worker import execute, install_blob

__all__ = ["run_tasks"]

#: How long to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT = 15.0


def run_tasks(doc: Mapping[str, Any], seed: int | None, scenario: Scenario,
              blob: DataBlob | None, *, workers: int = 1, scheduler: str | None = None,
              progress: Progress | None = None) -> list[dict[str, Any]]:
    """Every task's result (with its measure), sorted by task index."""
    count = len(scenario.tasks)
    tick: Callable[[], None] = (lambda: progress.advance()) if progress is not None \
        else (lambda: None)
    if scheduler:
        results = _on_dask(doc, seed, count, blob, scheduler, tick)
    elif workers <= 1 or count == 1:
        results = []
        for index in range(count):
            results.append(execute(doc, seed, index, blob))
            tick()
    else:
        results = _on_pool(doc, seed, count, blob, workers, tick)
    return sorted(results, key=lambda r: int(r["task"]))


def _on_pool(doc: Mapping[str, Any], seed: int | None, count: int, blob: DataBlob | None,
             workers: int, tick: Callable[[], None]) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["confiance.node.simulate.worker"])
    results: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=min(workers, count), mp_context=context,
                             initializer=install_blob, initargs=(blob,)) as pool:
        pending: set[Future[dict[str, Any]]] = {
            pool.submit(execute, dict(doc), seed, index) for index in range(count)}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    results.append(fut.result())
                    tick()
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return results


def _on_dask(doc: Mapping[str, Any], seed: int | None, count: int, blob: DataBlob | None,
             address: str, tick: Callable[[], None]) -> list[dict[str, Any]]:
    try:
        dask: Any = importlib.import_module("distributed")  # untyped: used through Any
    except ImportError:
        raise RemoteProtocolError("--scheduler needs Dask: pip install 'confiance[research]'"
                                  ) from None
    try:
        client = dask.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise RemoteProtocolError(f"cannot reach the Dask scheduler at {address}: {exc}"
                                  ) from None
    try:
        shared = client.scatter(blob, broadcast=True) if blob is not None else None
        futures = [client.submit(execute, dict(doc), seed, index, shared, pure=False)
                   for index in range(count)]
        results: list[dict[str, Any]] = []
        for fut in dask.as_completed(futures, loop=client.loop):
            results.append(fut.result())
            tick()
        return results
    finally:
        client.close()
