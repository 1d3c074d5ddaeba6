"""Node benchmark: verified ingest and reads over HTTP, each beside bare aiohttp handlers.

Run: ``python tests/benchmarks/bench_node.py [--assertions 1500] [--reads 6000]
[--cpu-assertions 800] [--rounds 3]``

What it measures, in one run, on the same machine, with the same client:

- **ingest**: 16 concurrent clients POST distinct signed assertions (eddsa-jcs-2022, then
  eddsa-rdfc-2022) to a real ``confiance serve`` process: each is parsed, verified (limits,
  schema, proof, issuer binding, validity), stored with an fsync'd commit (WAL,
  synchronous=FULL), handed to gossip and the trust engine, answered 201. Beside it, the
  baseline: a bare aiohttp handler that parses the same bodies and only calls
  ``verify_assertion`` on them (what verification alone costs over HTTP), and, for
  reference, one that reads the body and answers 201 (the HTTP floor). Goal (issue 13): the
  node at 60% or more of the verifying handler's rate, for both suites.
- **CPU per new assertion**: while 16 clients post ``--cpu-assertions`` distinct signed
  Ratings, the CPU time (user + system, all threads, from ``/proc/<pid>/stat``) the node
  process spends, per assertion; beside it the CPU time of ``verify_assertion`` on the same
  documents in this process, one after another. Goal: the node at most 3x.
- **reads**: 16 concurrent clients GET ``/assertions/{id}`` over the stored ids; beside it a
  bare aiohttp handler answering the same bytes. Goal: node reads >= 50% of the bare rate.

All servers are separate processes (one event loop each, as deployed); the load generator
is this process (an aiohttp client, the same for all, so the ratio is fair even where the
client is the bottleneck). The servers take turns in ``--rounds`` rounds and the medians
are compared, so that load from other processes hits them alike. Rate limits are disabled
and logging set to WARNING (no access log) on the node for the run; the bare handlers have
no access log either.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

from confiance.protocol.assertions import issue, verify_assertion
from confiance.protocol.contexts import default_loader
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import Rating, Scale

CONCURRENCY = 16

BARE_SERVER = textwrap.dedent("""
    import json, sys
    from datetime import UTC, datetime
    from aiohttp import web
    from confiance.protocol.assertions import verify_assertion
    from confiance.protocol.contexts import default_loader
    body = open(sys.argv[2], "rb").read()
    loader = default_loader()
    async def read(request):
        return web.Response(body=body, content_type="application/ld+json")
    async def write(request):
        await request.read()
        return web.json_response({"id": "ni:///sha-256;x", "status": "valid"}, status=201)
    async def verify(request):
        doc = json.loads(await request.read())
        signed = verify_assertion(doc, now=datetime.now(UTC), loader=loader)
        return web.json_response({"id": signed.id, "status": "valid"}, status=201)
    app = web.Application(client_max_size=65536)
    app.router.add_get("/assertions/{id}", read)
    app.router.add_post("/assertions", write)
    app.router.add_post("/verify", verify)
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def verify_cpu(docs: list[dict[str, Any]]) -> float:
    """CPU seconds per document of ``verify_assertion`` here, one after another."""
    loader = default_loader()
    started = time.process_time()
    for doc in docs:
        verify_assertion(doc, now=datetime.now(UTC), loader=loader)
    return (time.process_time() - started) / len(docs)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--assertions", type=int, default=1500, help="per suite (jcs, rdfc)")
    parser.add_argument("--cpu-assertions", type=int, default=800, help="per suite")
    parser.add_argument("--reads", type=int, default=6000, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-root", help="where the node's data directory goes (default: "
                        "the system's temporary folder; /dev/shm takes the disk's fsync out)")
    args = parser.parse_args()
    rounds = max(1, args.rounds)
    suites = ("eddsa-jcs-2022", "eddsa-rdfc-2022")

    print(f"signing {args.assertions} + {args.cpu_assertions} assertions per suite...")
    batches = {suite: signed_batch(args.assertions, suite, 11 + k)
               for k, suite in enumerate(suites)}
    cpu_batches = {suite: signed_batch(args.cpu_assertions, suite, 21 + k)
                   for k, suite in enumerate(suites)}
    bodies = {suite: [json.dumps(d).encode() for d in docs] for suite, docs in batches.items()}
    with tempfile.TemporaryDirectory(dir=args.data_root) as tmp:
        node_port, bare_port = free_port(), free_port()
        env = {**os.environ, "CONFIANCE_WRITE_PER_SECOND": "0", "CONFIANCE_READ_PER_SECOND": "0",
               "CONFIANCE_LOG_LEVEL": "WARNING"}
        node = subprocess.Popen([sys.executable, "-m", "confiance.node.cli", "serve",
                                 "--data-dir", str(Path(tmp) / "node"), "--port", str(node_port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sample = Path(tmp) / "sample.json"
        sample.write_bytes(bodies[suites[0]][0])
        bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port), str(sample)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows: list[tuple[str, float, float, float, int]] = []
        cpu_rows: list[tuple[str, float, float, float]] = []
        try:
            node_url, bare_url = f"http://127.0.0.1:{node_port}", f"http://127.0.0.1:{bare_port}"
            await wait_ready(node_url + "/health")
            await wait_ready(bare_url + "/assertions/x")
            for suite, suite_bodies in bodies.items():
                node_rates, verify_rates, bare_rates, errors = [], [], [], 0
                for r in range(rounds):
                    chunk = suite_bodies[r::rounds]
                    rate, err = await load([("POST", node_url + "/assertions", b) for b in chunk])
                    node_rates.append(rate)
                    errors += err
                    rate, err = await load([("POST", bare_url + "/verify", b) for b in chunk])
                    verify_rates.append(rate)
                    errors += err
                    rate, _ = await load([("POST", bare_url + "/assertions", b) for b in chunk])
                    bare_rates.append(rate)
                rows.append((f"ingest {suite}", median(node_rates), median(verify_rates),
                             median(bare_rates), errors))
            for suite, docs in cpu_batches.items():
                verify_cpu(batches[suite][:200])  # warm: this process's caches, like the node's
                cpu_bodies = [json.dumps(d).encode() for d in docs]
                before = cpu_seconds(node.pid)
                _, err = await load([("POST", node_url + "/assertions", b) for b in cpu_bodies])
                node_cpu = (cpu_seconds(node.pid) - before) / len(docs)
                before = cpu_seconds(bare.pid)
                await load([("POST", bare_url + "/verify", b) for b in cpu_bodies])
                bare_cpu = (cpu_seconds(bare.pid) - before) / len(docs)
                cpu_rows.append((suite, node_cpu, bare_cpu, verify_cpu(docs)))
                if err:
                    print(f"{err} errors while posting the {suite} documents")
            from confiance.protocol.ids import assertion_id

            ids = [assertion_id(d).rsplit(";", 1)[1] for d in batches[suites[0]]]
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
            read_row = (median(node_rates), median(bare_rates), errors)
        finally:
            stop(node)
            stop(bare)
    print(f"\nmedians of {rounds} alternating rounds, {CONCURRENCY} concurrent clients")
    print(f"{'operation':<24}{'node req/s':>11}{'verify-only':>12}{'ratio':>7}"
          f"{'HTTP-only':>11}{'ratio':>7}{'errors':>7}")
    for name, node_rate, verify_rate, bare_rate, errors in rows:
        print(f"{name:<24}{node_rate:>11.0f}{verify_rate:>12.0f}{node_rate / verify_rate:>7.0%}"
              f"{bare_rate:>11.0f}{node_rate / bare_rate:>7.0%}{errors:>7}")
    node_rate, bare_rate, errors = read_row
    print(f"{'GET /assertions/{id}':<24}{node_rate:>11.0f}{'':>12}{'':>7}"
          f"{bare_rate:>11.0f}{node_rate / bare_rate:>7.0%}{errors:>7}")
    print(f"\nCPU per new assertion, {args.cpu_assertions} distinct Ratings posted by "
          f"{CONCURRENCY} clients")
    print(f"{'suite':<18}{'node process':>14}{'verify-only server':>20}"
          f"{'verify_assertion':>18}{'node/verify':>13}")
    for suite, node_cpu, bare_cpu, verify in cpu_rows:
        print(f"{suite:<18}{node_cpu * 1e3:>11.3f} ms{bare_cpu * 1e3:>17.3f} ms"
              f"{verify * 1e3:>15.3f} ms{node_cpu / verify:>12.1f}x")
    print()
    for name, node_rate, verify_rate, _, _ in rows:
        ratio = node_rate / verify_rate
        print(f"{name}: node at {ratio:.0%} of the verify-only handler (goal: 60% or more): "
              f"{'met' if ratio >= 0.6 else 'NOT met'}")
    for suite, node_cpu, _, verify in cpu_rows:
        ratio = node_cpu / verify
        print(f"CPU {suite}: node {ratio:.1f}x verify_assertion (goal: at most 3x): "
              f"{'met' if ratio <= 3 else 'NOT met'}")
    read_ratio = read_row[0] / read_row[1]
    print(f"reads at {read_ratio:.0%} of the bare handler (goal: 50% or more): "
          f"{'met' if read_ratio >= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
