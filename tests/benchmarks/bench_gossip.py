"""Benchmark: gossip between 32 real nodes on loopback, 5,000 assertions at random nodes.

Each node is a full ``create_app`` node (own data directory, SQLite store, keys) on its own
127.0.0.1 port; nodes are spread over worker processes (one event loop each) and peered
both ways along a random 4-regular graph. Signed assertions (Ratings by 50 did:key issuers)
are injected at random nodes at a steady rate, each as ``POST /assertions`` would store it.
Printed, all from the same run:

- time to full convergence (every node holds every assertion);
- rounds: for each assertion, the depth of its first-delivery tree (hops from the node it
  was injected at to the last node reached), against log2 N;
- duplication factor = assertion payload bytes received by all nodes / (unique payload bytes
  x (N - 1)); goal 1.3 or less. Baseline: flat push gossip sends every payload over every
  link, (sum of degrees - (N - 1)) / (N - 1) copies per node, computed for the same graph.

Data directories live in /dev/shm when it exists (the disk is not what is measured).

Run: ``.venv/bin/python tests/benchmarks/bench_gossip.py [--nodes 32] [--assertions 5000]
[--rate 40] [--workers 2]``
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import multiprocessing as mp
import random
import shutil
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import networkx as nx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "node"))


def _settings() -> Any:
    from confiance.node.peers.settings import GossipSettings

    return GossipSettings(flush_interval=0.05, anti_entropy_interval=10.0,
                          request_timeout=60.0, graft_timeout=2.0, retry_timeout=1.0,
                          backoff_base=0.2, backoff_cap=2.0, anti_entropy_grace=5.0)


async def _worker_main(conn: Connection, indices: list[int], ports: list[int], root: str,
                       edges: list[tuple[int, int]]) -> None:
    from gossipnet import LiveNode

    from confiance.node.peers.mesh import current_origin
    from confiance.protocol.ids import parse_assertion_id

    settings = _settings()
    nodes = {i: LiveNode(Path(root) / f"n{i}", ports[i], settings) for i in indices}
    parents: dict[int, dict[str, str | None]] = {i: {} for i in indices}
    for i, node in nodes.items():
        await node.start()

        def record(stored: Any, i: int = i) -> None:
            origin = current_origin()
            key = parse_assertion_id(stored.id).hex()
            parents[i][key] = None if origin is None else origin[0]

        node.node.ingestor.subscribe(record)
    url = {i: f"http://127.0.0.1:{ports[i]}" for i in range(len(ports))}
    for a, b in edges:
        for x, y in ((a, b), (b, a)):
            if x in nodes:
                await nodes[x].gossip.add_peer(url[y])
    conn.send("ready")
    loop = asyncio.get_running_loop()
    while True:
        command, payload = await loop.run_in_executor(None, conn.recv)
        if command == "inject":  # concurrently, as HTTP clients would post them
            await asyncio.gather(*(nodes[i].submit(doc) for i, doc in payload))
            conn.send("ok")
        elif command == "counts":
            conn.send({i: len(n.held()) for i, n in nodes.items()})
        elif command == "report":
            conn.send({i: {"url": n.url, "stats": dataclasses.asdict(n.gossip.stats),
                           "parents": parents[i],
                           "dropped": [link.dropped_reason for link in n.gossip.links.values()
                                       if link.dropped_reason]} for i, n in nodes.items()})
        elif command == "stop":
            for node in nodes.values():
                await node.stop()
            conn.send("stopped")
            return


def _worker(conn: Connection, indices: list[int], ports: list[int], root: str,
            edges: list[tuple[int, int]]) -> None:
    sys.path.insert(0, str(HERE.parent / "node"))
    asyncio.run(_worker_main(conn, indices, ports, root, edges))


def _depth(parents_by_url: dict[str, dict[str, str | None]], key: str) -> int:
    depth: dict[str, int] = {}

    def of(url: str, seen: int = 0) -> int:
        if url in depth:
            return depth[url]
        parent = parents_by_url[url].get(key)
        value = 0 if parent is None or seen > len(parents_by_url) else of(parent, seen + 1) + 1
        depth[url] = value
        return value

    return max(of(url) for url in parents_by_url if key in parents_by_url[url])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--nodes", type=int, default=32)
    parser.add_argument("--assertions", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=40.0, help="injections per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--degree", type=int, default=4)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()

    from gossipnet import free_ports
    from nodehelpers import Party

    from confiance.protocol.ids import digest_of

    rng = random.Random(args.seed)
    n = args.nodes
    graph = nx.random_regular_graph(args.degree, n, seed=args.seed)
    assert nx.is_connected(graph)
    edges = sorted((min(a, b), max(a, b)) for a, b in graph.edges())
    ports = free_ports(n)
    shm = Path("/dev/shm")
    root = Path(tempfile.mkdtemp(prefix="confiance-bench-", dir=shm if shm.is_dir() else None))
    ctx = mp.get_context("spawn")
    groups = [list(range(w, n, args.workers)) for w in range(args.workers)]
    owner = {i: w for w, group in enumerate(groups) for i in group}
    pipes, procs = [], []
    print(f"{n} nodes in {args.workers} processes, random {args.degree}-regular graph "
          f"({len(edges)} links, diameter {nx.diameter(graph)}); data in {root}")
    try:
        for group in groups:
            here, there = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(there, group, ports, str(root), edges))
            proc.start()
            pipes.append(here)
            procs.append(proc)
        for pipe in pipes:
            assert pipe.recv() == "ready"
        parties = [Party(k) for k in range(1, 51)]
        t_sign = time.perf_counter()
        docs = [parties[i % 50].rating(f"did:key:zBench{i}", 1 + i % 5)
                for i in range(args.assertions)]
        unique_bytes = sum(len(json.dumps(d, separators=(",", ":"), ensure_ascii=False)
                               .encode()) for d in docs)
        print(f"signed {len(docs)} assertions in {time.perf_counter() - t_sign:.1f} s "
              f"({unique_bytes / len(docs):.0f} bytes each)")
        origin_of = {digest_of(d).hex(): rng.randrange(n) for d in docs}
        start = time.perf_counter()
        step = 0.1
        per_step = max(1, round(args.rate * step))
        for at in range(0, len(docs), per_step):
            batch: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in groups]
            for doc in docs[at:at + per_step]:
                i = origin_of[digest_of(doc).hex()]
                batch[owner[i]].append((i, doc))
            for w, items in enumerate(batch):
                if items:
                    pipes[w].send(("inject", items))
            for w, items in enumerate(batch):
                if items:
                    assert pipes[w].recv() == "ok"
            delay = start + (at + per_step) / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        injected = time.perf_counter() - start
        while True:
            counts: dict[int, int] = {}
            for pipe in pipes:
                pipe.send(("counts", None))
            for pipe in pipes:
                counts.update(pipe.recv())
            if min(counts.values()) >= len(docs):
                break
            if time.perf_counter() - start > args.timeout:
                print(f"TIMEOUT: held per node {sorted(counts.values())}")
                break
            time.sleep(0.25)
        converged = time.perf_counter() - start
        reports: dict[int, Any] = {}
        for pipe in pipes:
            pipe.send(("report", None))
        for pipe in pipes:
            reports.update(pipe.recv())
        received = sum(r["stats"]["payload_bytes_received"] for r in reports.values())
        dup = received / (unique_bytes * (n - 1))
        flat = (sum(d for _, d in graph.degree()) - (n - 1)) / (n - 1)
        parents = {r["url"]: r["parents"] for r in reports.values()}
        depths = [_depth(parents, key) for key in origin_of]
        stats = [r["stats"] for r in reports.values()]
        reasons: dict[str, int] = {}
        for s in stats:
            for k, v in s.pop("failure_reasons").items():
                reasons[k] = reasons.get(k, 0) + v
        total = {k: sum(s[k] for s in stats) for k in stats[0]}
        dropped = [d for r in reports.values() for d in r["dropped"]]
        log2n = math.log2(n)
        print()
        print(f"{'measure':<42} {'value':>12}")
        print("-" * 56)
        print(f"{'injection time (s)':<42} {injected:>12.1f}")
        print(f"{'time to full convergence (s)':<42} {converged:>12.1f}")
        print(f"{'  after the last injection (s)':<42} {converged - injected:>12.1f}")
        print(f"{'rounds (tree depth): mean':<42} {sum(depths) / len(depths):>12.2f}")
        print(f"{'rounds (tree depth): max':<42} {max(depths):>12d}")
        print(f"{'log2 N':<42} {log2n:>12.2f}")
        print(f"{'graph diameter':<42} {nx.diameter(graph):>12d}")
        print(f"{'duplication factor (goal <= 1.3)':<42} {dup:>12.3f}")
        print(f"{'flat push baseline, same graph':<42} {flat:>12.3f}")
        print(f"{'  ratio to flat push':<42} {dup / flat:>12.3f}")
        print(f"{'payload copies received / (M x (N-1))':<42} "
              f"{total['payloads_received'] / (len(docs) * (n - 1)):>12.3f}")
        for key in ("first_deliveries", "duplicates", "duplicates_solicited", "invalid",
                    "deferred", "repairs_sent", "requests_sent", "request_failures",
                    "reconciliations", "reconcile_bytes"):
            print(f"{key:<42} {total[key]:>12,}")
        if reasons:
            print("request failures by kind:", json.dumps(reasons))
        print(f"{'peers dropped (should be 0)':<42} {len(dropped):>12}")
        for reason in dropped[:5]:
            print("  ", reason)
        print(f"goal duplication <= 1.3: {'met' if dup <= 1.3 else 'MISSED'}")
    finally:
        for pipe in pipes:
            try:
                pipe.send(("stop", None))
                pipe.recv()
            except (EOFError, OSError, BrokenPipeError):
                pass
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
