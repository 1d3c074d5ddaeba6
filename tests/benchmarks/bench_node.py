"""Node benchmark: verified ingest and reads over HTTP, each beside a bare aiohttp handler.

Run: ``python tests/benchmarks/bench_node.py [--assertions 1500] [--reads 6000]``

What it measures, in one run, on the same machine, with the same client:

- **ingest**: 16 concurrent clients POST distinct signed assertions (eddsa-jcs-2022, then
  eddsa-rdfc-2022) to a real ``confiance serve`` process: each is parsed, verified (schema,
  proof, issuer binding), stored with an fsync'd commit (WAL, synchronous=FULL), answered
  201. Beside it: a bare aiohttp handler that reads the body and answers 201.
- **reads**: 16 concurrent clients GET ``/assertions/{id}`` over the stored ids; beside it a
  bare aiohttp handler answering the same bytes. Goal: node reads >= 50% of the bare rate.

Both servers are separate processes (one event loop each, as deployed); the load generator
is this process (an aiohttp client, the same for both, so the ratio is fair even where the
client is the bottleneck). Node and bare runs alternate in ``--rounds`` rounds and the
medians are compared, so that load from other processes hits both alike. Rate limits are
disabled and logging set to WARNING (no access log) on the node for the run; the bare
handler has no access log either.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

import aiohttp

from confiance.protocol.assertions import issue
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import Rating, Scale

CONCURRENCY = 16

BARE_SERVER = textwrap.dedent("""
    import sys
    from aiohttp import web
    body = open(sys.argv[2], "rb").read()
    async def read(request):
        return web.Response(body=body, content_type="application/ld+json")
    async def write(request):
        await request.read()
        return web.json_response({"id": "ni:///sha-256;x", "status": "valid"}, status=201)
    app = web.Application(client_max_size=65536)
    app.router.add_get("/assertions/{id}", read)
    app.router.add_post("/assertions", write)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
""")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed_batch(count: int, suite: str, seed: int) -> list[dict[str, Any]]:
    key = KeyPair.generate(bytes([seed]) * 32)
    start = datetime.now(UTC) - timedelta(minutes=5)
    docs = []
    for i in range(count):
        rating = Rating(issuer=key.did, context="seller", valid_from=start,
                        subject=f"did:key:zBench{seed}x{i:06d}", score=1 + i % 5,
                        scale=Scale(minimum=1, maximum=5))
        docs.append(issue(rating, key, suite=suite, created=start).document)
    return docs


async def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


async def load(requests: list[tuple[str, str, bytes | None]]) -> tuple[float, int]:
    """Run ``requests`` (method, url, body) with 16 workers; (requests per second, errors)."""
    queue = list(reversed(requests))
    errors = 0
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    headers = {"Content-Type": "application/json"}

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while queue:
            method, url, body = queue.pop()
            async with http.request(method, url, data=body, headers=headers) as response:
                await response.read()
                if response.status >= 300:
                    errors += 1

    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return len(requests) / elapsed, errors


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assertions", type=int, default=1500, help="per suite (jcs, rdfc)")
    parser.add_argument("--reads", type=int, default=6000, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = max(1, args.rounds)
    import json

    print(f"signing {args.assertions} jcs and {args.assertions} rdfc assertions...")
    batches = {"eddsa-jcs-2022": signed_batch(args.assertions, "eddsa-jcs-2022", 11),
               "eddsa-rdfc-2022": signed_batch(args.assertions, "eddsa-rdfc-2022", 12)}
    bodies = {suite: [json.dumps(d).encode() for d in docs] for suite, docs in batches.items()}
    with tempfile.TemporaryDirectory() as tmp:
        node_port, bare_port = free_port(), free_port()
        env = {**os.environ, "CONFIANCE_WRITE_PER_SECOND": "0", "CONFIANCE_READ_PER_SECOND": "0",
               "CONFIANCE_LOG_LEVEL": "WARNING"}
        node = subprocess.Popen([sys.executable, "-m", "confiance.node.cli", "serve",
                                 "--data-dir", str(Path(tmp) / "node"), "--port", str(node_port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sample = Path(tmp) / "sample.json"
        sample.write_bytes(bodies["eddsa-jcs-2022"][0])
        bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port), str(sample)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            node_url, bare_url = f"http://127.0.0.1:{node_port}", f"http://127.0.0.1:{bare_port}"
            await wait_ready(node_url + "/health")
            await wait_ready(bare_url + "/assertions/x")
            rows = []
            for suite, suite_bodies in bodies.items():
                node_rates, bare_rates, errors = [], [], 0
                for r in range(rounds):
                    chunk = suite_bodies[r::rounds]
                    rate, err = await load([("POST", node_url + "/assertions", b) for b in chunk])
                    node_rates.append(rate)
                    errors += err
                    rate, _ = await load([("POST", bare_url + "/assertions", b) for b in chunk])
                    bare_rates.append(rate)
                rows.append((f"ingest {suite}", median(node_rates), median(bare_rates), errors))
            from confiance.protocol.ids import assertion_id

            ids = [assertion_id(d).rsplit(";", 1)[1] for d in batches["eddsa-jcs-2022"]]
            reads = [ids[i % len(ids)] for i in range(args.reads)]
            await load([("GET", f"{node_url}/assertions/{i}", None) for i in reads[:500]])
            await load([("GET", f"{bare_url}/assertions/{i}", None) for i in reads[:500]])
            node_rates, bare_rates, errors = [], [], 0
            for _ in range(rounds):
                rate, err = await load([("GET", f"{node_url}/assertions/{i}", None)
                                        for i in reads])
                node_rates.append(rate)
                errors += err
                rate, _ = await load([("GET", f"{bare_url}/assertions/{i}", None)
                                      for i in reads])
                bare_rates.append(rate)
            rows.append(("GET /assertions/{id}", median(node_rates), median(bare_rates), errors))
        finally:
            stop(node)
            stop(bare)
    print(f"\nmedians of {rounds} alternating rounds, {CONCURRENCY} concurrent clients")
    print(f"{'operation':<26}{'node req/s':>12}{'bare req/s':>12}{'ratio':>8}{'errors':>8}")
    for name, node_rate, bare_rate, errors in rows:
        print(f"{name:<26}{node_rate:>12.0f}{bare_rate:>12.0f}{node_rate / bare_rate:>8.0%}"
              f"{errors:>8}")
    read_ratio = rows[-1][1] / rows[-1][2]
    print(f"\nreads at {read_ratio:.0%} of the bare handler (goal: 50% or more): "
          f"{'met' if read_ratio >= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
