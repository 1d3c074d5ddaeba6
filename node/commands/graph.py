"""``confiance graph stats FILE``: a trust network's statistics, as KONECT defines them.

::

    confiance graph stats FILE [--format F] [--no-triangles] [--json]

``FILE`` is a signed edge list (SNAP CSV or whitespace, KONECT, plain, gzip or xz), an
Advogato/Trustlet DOT snapshot or FilmTrust's ``trust.txt``; ``--format`` says which when
the name does not (``.dot`` files are DOT, ``.csv`` SNAP CSV, anything else whitespace).
Every line counts (loops and pairs listed twice included), as KONECT counts its volume:
nodes, edges, loops, reciprocity, negativity, largest weakly and strongly connected
components, degrees, fill, wedges, triangles and the clustering coefficient
(``confiance.protocol.experiments.graphstats``). Exit status: 0, or 2 for an unusable file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["register"]

FORMATS = ("auto", "snap-csv", "snap-signed", "advogato-dot", "filmtrust")
_LABELS = {
    "nodes": "nodes", "edges": "edges (volume, loops included)", "loops": "loops",
    "distinct_edges": "distinct directed pairs", "reciprocity": "reciprocity",
    "negativity": "negativity", "lcc": "largest weakly connected component",
    "lscc": "largest strongly connected component", "max_degree": "maximum degree",
    "max_out_degree": "maximum out-degree", "max_in_degree": "maximum in-degree",
    "average_degree": "average degree", "fill": "fill",
    "undirected_edges": "undirected simple edges", "wedges": "wedges",
    "triangles": "triangles", "clustering": "clustering coefficient",
}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "graph", help="trust network statistics (KONECT's definitions)",
        description="Statistics of a trust network file, as KONECT defines them.")
    inner = parser.add_subparsers(dest="graph_command", metavar="SUBCOMMAND")
    inner.required = True
    stats = inner.add_parser("stats", help="nodes, edges, reciprocity, negativity, components, "
                                           "triangles...",
                             description="KONECT's statistics of a signed edge list, DOT "
                                         "snapshot or FilmTrust trust file.")
    stats.add_argument("file", metavar="FILE", help="the network (plain, gzip or xz)")
    stats.add_argument("--format", choices=FORMATS, default="auto",
                       help="the file's format (default: from its name)")
    stats.add_argument("--no-triangles", dest="triangles", action="store_false",
                       help="skip the triangle count (the slowest part)")
    stats.add_argument("--json", action="store_true", help="print the statistics as JSON")
    stats.set_defaults(func=run_stats)


def _format(path: str, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    name = Path(path).name.lower()
    for suffix in (".gz", ".xz"):
        name = name.removesuffix(suffix)
    if name.endswith(".dot"):
        return "advogato-dot"
    if name.endswith(".csv"):
        return "snap-csv"
    return "snap-signed"


def run_stats(args: argparse.Namespace) -> int:
    from confiance.node.simulate.files import read_data
    from confiance.node.simulate.progress import Progress
    from confiance.protocol.experiments import graph_statistics, read_dataset

    fmt = _format(args.file, args.format)
    started = time.perf_counter()
    with Progress(f"reading {Path(args.file).name}", None, enabled=None if not args.json
                  else False) as bar:
        graph = read_dataset(read_data(Path(args.file)), fmt, name=Path(args.file).name)
        bar.describe("components and degrees")
        stats = graph_statistics(graph, triangles=args.triangles,
                                 progress=lambda f: bar.describe(f"triangles {f:.0%}"))
    seconds = time.perf_counter() - started
    if args.json:
        doc = {"file": args.file, "format": fmt, "statistics": stats, "seconds": seconds}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return 0
    print(f"{args.file} ({fmt}), {seconds:.1f} s")
    width = max(len(v) for v in _LABELS.values())
    for key, label in _LABELS.items():
        if key in stats:
            value = stats[key]
            shown = f"{value:,}" if isinstance(value, int) else (
                f"{value:.4%}" if key in ("reciprocity", "negativity", "clustering")
                else f"{value:.6g}")
            print(f"  {label:<{width}}  {shown}")
    return 0
