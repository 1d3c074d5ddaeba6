"""Leave-one-out Fairness x Goodness on Bitcoin OTC: the engine beside refits from scratch.

Run: ``python tests/benchmarks/bench_fairness_loo.py [--baseline-sample 400]
[--full-baseline] [--data otc|alpha]``

Kumar et al.'s protocol (ICDM 2016, Table IV): weights = rating / 10; remove each edge in
turn, refit fairness and goodness (from f = 1, every node kept), predict f(u) g(v); one
RMSE and one Pearson correlation over all held-out edges.

- **engine**: ``confiance.protocol.trust.fairness_leave_one_out`` over all 35,592 edges
  (the refits of 64 edges iterated together as two sparse products per iteration, from
  the whole graph's fixed point, on the map linearised where its signs hold; the edges
  whose refit changed a sign refitted by the nonlinear map; each to L1 changes below
  1e-12); and the same with ``method="propagate"`` at tolerance 1e-7 (each refit by the
  nonlinear map, wave by wave, changes below 1e-7 dropped);
- **baseline**: a straightforward numpy refit of each held-out edge from scratch (the
  iteration of the paper, vectorised over edges, from f = 1 until the L1 changes are below
  1e-12). It takes tens of minutes over all edges on this machine, so by default it runs
  on a uniform sample of edges (``--baseline-sample``) and its total is extrapolated;
  ``--full-baseline`` runs it on every edge and compares the figures whole.

Printed: both times (per edge and in all), the speed-up, the largest difference between
the two predictions of the same edge, and the figures (RMSE, Pearson) of each on the
edges both computed, beside the engine's figures over all edges.

Goal (issue 11): 10x faster than the refits, same figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from confiance.protocol.experiments import prediction_metrics, read_dataset
from confiance.protocol.trust import fairness_leave_one_out

ROOT = Path(__file__).resolve().parents[2]
DATA = {"otc": ROOT.parent / "shared" / "data" / "bitcoin-otc" / "soc-sign-bitcoinotc.csv",
        "alpha": ROOT.parent / "shared" / "data" / "bitcoin-alpha" /
        "soc-sign-bitcoinalpha.csv"}
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def refit_from_scratch(u: Ints, v: Ints, w: Floats, n: int, k: int, tol: float = 1e-12) -> float:
    """The paper's iteration on the graph without edge ``k``, from f = 1: f(u_k) g(v_k)."""
    keep = np.ones(len(w), dtype=bool)
    keep[k] = False
    uu, vv, ww = u[keep], v[keep], w[keep]
    indeg = np.bincount(vv, minlength=n).astype(np.float64)
    outdeg = np.bincount(uu, minlength=n).astype(np.float64)
    rated, rates = indeg > 0, outdeg > 0
    f, g = np.ones(n), np.zeros(n)
    while True:
        g_new = np.zeros(n)
        g_new[rated] = np.bincount(vv, weights=f[uu] * ww, minlength=n)[rated] / indeg[rated]
        f_new = np.ones(n)
        f_new[rates] = 1.0 - np.bincount(uu, weights=np.abs(ww - g_new[vv]),
                                         minlength=n)[rates] / (2.0 * outdeg[rates])
        done = np.abs(f_new - f).sum() < tol and np.abs(g_new - g).sum() < tol
        f, g = f_new, g_new
        if done:
            return float(f[u[k]] * g[v[k]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", choices=sorted(DATA), default="otc")
    parser.add_argument("--baseline-sample", type=int, default=400,
                        help="edges the baseline refits (default 400)")
    parser.add_argument("--full-baseline", action="store_true",
                        help="refit every edge from scratch (tens of minutes)")
    args = parser.parse_args(argv)
    path = DATA[args.data]
    if not path.exists():
        print(f"{path} is absent: this benchmark needs ../shared/data", file=sys.stderr)
        return 0
    g = read_dataset(path.read_bytes(), "snap-csv", name=path.name).latest()
    n, m = g.n, g.m
    order = np.lexsort((g.target, g.source))  # CSR entry order
    u, v, w = g.source[order], g.target[order], g.weight[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    matrix = sp.csr_array((w, v, indptr), shape=(n, n))
    print(f"{path.name}: {n} nodes, {m} edges (weights = rating / 10)")

    started = time.perf_counter()
    loo = fairness_leave_one_out(matrix)
    ours = time.perf_counter() - started
    ours_all = prediction_metrics(w, loo.fxg, fill=0.0)
    good_all = prediction_metrics(w, loo.goodness, fill=0.0)
    print(f"engine (fairness_leave_one_out, tol 1e-12): {ours:.1f} s for {m} edges, "
          f"{1000 * ours / m:.2f} ms per edge ({loo.nonlinear} edges, "
          f"{100 * loo.nonlinear / m:.1f}%, refitted by the nonlinear map: a sign changed)")
    started = time.perf_counter()
    fast = fairness_leave_one_out(matrix, method="propagate", tol=1e-7)
    quick = time.perf_counter() - started
    print(f"engine, method='propagate' at tol 1e-7 (changes below 1e-7 dropped): {quick:.1f} s, "
          f"{1000 * quick / m:.2f} ms per edge; largest difference from the exact method: "
          f"{float(abs(fast.fxg - loo.fxg).max()):.1e}")

    if args.full_baseline:
        sample = np.arange(m)
    else:
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(m, size=min(args.baseline_sample, m), replace=False))
    started = time.perf_counter()
    base = np.array([refit_from_scratch(u, v, w, n, int(k)) for k in sample])
    took = time.perf_counter() - started
    per_edge = took / len(sample)
    total = per_edge * m
    what = "all edges" if args.full_baseline else \
        f"{len(sample)} sampled edges, extrapolated to {m}"
    print(f"baseline (numpy refit from scratch, tol 1e-12): {took:.1f} s for {what}: "
          f"{1000 * per_edge:.1f} ms per edge, {total:.0f} s ({total / 60:.1f} min) in all")
    diff = float(np.abs(base - loo.fxg[sample]).max())
    print(f"speed-up: {total / ours:.1f}x (goal 10x); largest difference between the two "
          f"predictions of an edge: {diff:.2e}")
    print(f"speed-up of method='propagate' at tol 1e-7: {total / quick:.1f}x, predictions "
          f"within {float(abs(base - fast.fxg[sample]).max()):.1e} of the refits")
    ours_s = prediction_metrics(w[sample], loo.fxg[sample], fill=0.0)
    base_s = prediction_metrics(w[sample], base, fill=0.0)
    print()
    print(f"| figures ({'all' if args.full_baseline else 'sampled'} edges) | RMSE | Pearson |")
    print("|---|---|---|")
    print(f"| engine   | {ours_s['rmse']:.6f} | {ours_s['pearson']:.6f} |")
    print(f"| baseline | {base_s['rmse']:.6f} | {base_s['pearson']:.6f} |")
    print()
    print(f"Leave-one-out over all {m} edges (engine): F x G RMSE {ours_all['rmse']:.4f}, "
          f"Pearson {ours_all['pearson']:.4f}; goodness alone RMSE {good_all['rmse']:.4f}, "
          f"Pearson {good_all['pearson']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
