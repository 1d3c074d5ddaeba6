"""Publication benchmark: live SVG badges and verify pages, beside a bare aiohttp handler.

Run: ``python tests/benchmarks/bench_badges.py [--badges 50] [--requests 3000] [--rounds 3]``

One run, one machine, one client (bench_node.py's 16-worker aiohttp load generator):

- a real ``confiance serve`` process (rate limits off, logging at WARNING) with a published
  mark definition and ``--badges`` TrustMarks issued through ``/admin/issue``;
- ``GET /badges/{id}.svg`` (no ``If-None-Match``: every request renders the badge from the
  store's state) and ``GET /badges/{id}`` with ``Accept: text/html`` (the full verify page:
  status, checks, deed, rules, trust path, QR code, JSON-LD);
- beside each, a bare aiohttp handler in its own process answering a same-sized body
  (a badge SVG; a verify page's HTML) taken from the node.

Node and bare runs alternate in ``--rounds`` rounds; medians are compared. Goals (issue 10):
SVG at 50% or more of the bare rate, verify page at 25% or more.

Figures of the last runs (2 shared cores, load average 4.5; the client shares the cores,
so absolute rates swing with the load and only the same-run ratio means something):
SVG 4,976 vs 4,676 req/s (106%) and 1,297 vs 1,519 (85%); verify page 2,162 vs 4,423
(49%) and 917 vs 2,214 (41%). What makes them so: a badge is laid out and rendered once
per (assertion, status); a page's facts once per status and ingest epoch (5 s at most),
its HTML rendered once with placeholders for the check time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from statistics import median

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_node import free_port, load, stop, wait_ready

ROOT = Path(__file__).resolve().parents[2]
BARE_SERVER = textwrap.dedent("""
    import sys
    from aiohttp import web
    svg = open(sys.argv[2], "rb").read()
    html = open(sys.argv[3], "rb").read()
    async def badge(request):
        return web.Response(body=svg, content_type="image/svg+xml")
    async def page(request):
        return web.Response(body=html, content_type="text/html")
    app = web.Application()
    app.router.add_get("/badges/{id}.svg", badge)
    app.router.add_get("/badges/{id}", page)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
""")


def cli(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "confiance.node.cli", *args], check=True, env=env,
                   stdout=subprocess.DEVNULL)


async def setup(base: str, token: str, count: int) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}
    ids = []
    async with aiohttp.ClientSession(headers=headers) as http:
        for i in range(count):
            body = {"kind": "TrustMark", "markDefinition": "top-seller", "credentialSubject": {
                "id": f"did:example:seller{i}", "status": f"{90 + i % 10}% positive",
                "statusValue": 90 + i % 10}}
            async with http.post(base + "/admin/issue", json=body) as resp:
                ids.append((await resp.json())["id"].rsplit(";", 1)[1])
    return ids


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--badges", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000, help="per round and route")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = max(1, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "node"
        node_port, bare_port = free_port(), free_port()
        env = {**os.environ, "CONFIANCE_WRITE_PER_SECOND": "0", "CONFIANCE_READ_PER_SECOND": "0",
               "CONFIANCE_LOG_LEVEL": "WARNING"}
        cli("init", "--data-dir", str(data), "--name", "Bench market", env=env)
        node = subprocess.Popen([sys.executable, "-m", "confiance.node.cli", "serve",
                                 "--data-dir", str(data), "--port", str(node_port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bare = None
        try:
            node_url = f"http://127.0.0.1:{node_port}"
            await wait_ready(node_url + "/health")
            cli("marks", "create", str(ROOT / "examples" / "marks" / "top-seller.toml"),
                "--data-dir", str(data), "--node", node_url, env=env)
            token = (data / "admin.token").read_text().strip()
            ids = await setup(node_url, token, args.badges)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{node_url}/badges/{ids[0]}.svg") as resp:
                    svg = await resp.read()
                async with http.get(f"{node_url}/badges/{ids[0]}",
                                    headers={"Accept": "text/html"}) as resp:
                    html = await resp.read()
            (Path(tmp) / "b.svg").write_bytes(svg)
            (Path(tmp) / "p.html").write_bytes(html)
            bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port),
                                     str(Path(tmp) / "b.svg"), str(Path(tmp) / "p.html")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            bare_url = f"http://127.0.0.1:{bare_port}"
            await wait_ready(bare_url + "/badges/x.svg")
            picks = [ids[i % len(ids)] for i in range(args.requests)]
            rows = []
            for name, suffix in (("GET /badges/{id}.svg", ".svg"),
                                 ("GET /badges/{id} (HTML)", "")):
                requests = [("GET", f"{{}}/badges/{i}{suffix}", None) for i in picks]
                warm = [(m, u.format(node_url), b) for m, u, b in requests[:300]]
                await load(warm)
                node_rates, bare_rates, errors = [], [], 0
                for _ in range(rounds):
                    rate, err = await load([(m, u.format(node_url), b) for m, u, b in requests])
                    node_rates.append(rate)
                    errors += err
                    rate, _ = await load([(m, u.format(bare_url), b) for m, u, b in requests])
                    bare_rates.append(rate)
                rows.append((name, median(node_rates), median(bare_rates), errors))
        finally:
            stop(node)
            if bare is not None:
                stop(bare)
    print(f"\nbody sizes: badge {len(svg)} B, verify page {len(html)} B "
          f"({args.badges} badges, {args.requests} requests per round)")
    print(f"medians of {rounds} alternating rounds, 16 concurrent clients")
    print(f"{'operation':<28}{'node req/s':>12}{'bare req/s':>12}{'ratio':>8}{'errors':>8}")
    for name, node_rate, bare_rate, errors in rows:
        print(f"{name:<28}{node_rate:>12.0f}{bare_rate:>12.0f}{node_rate / bare_rate:>8.0%}"
              f"{errors:>8}")
    for (name, node_rate, bare_rate, _), goal in zip(rows, (0.5, 0.25), strict=True):
        ratio = node_rate / bare_rate
        print(f"{name}: {ratio:.0%} of the bare handler (goal {goal:.0%}): "
              f"{'met' if ratio >= goal else 'NOT met'}")
    json.dumps(rows)


if __name__ == "__main__":
    asyncio.run(main())
