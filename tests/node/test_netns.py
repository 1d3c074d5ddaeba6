"""Gossip between real hosts over TLS on faulty links (network namespaces, see netlab.py).

Each test builds its own hosts (one namespace and one ``confiance serve`` process each, TLS
from a test CA) and prints its figures; all skip, saying why, where namespaces cannot be
made (``.ci/run`` installs iproute2 and nftables and runs them as root).

- 8 hosts, 5% random loss on every link and narrow links (tbf): they converge with nothing
  missing; figures: convergence time, bytes sent per assertion delivered;
- 3 hosts cut off from 5 while both sides take new assertions: after the cut heals, every
  host holds every assertion once;
- a host that comes back after missing 10,000 assertions catches up by reconciliation
  (range-based set reconciliation finds what it lacks), not by a replay of history.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from netlab import Lab, lab_or_skip

from confiance.protocol.assertions import issue
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import Rating, Scale

pytestmark = pytest.mark.slow

#: a ring and chords: every host has 3 peers, diameter 2
EDGES = [(i, (i + 1) % 8) for i in range(8)] + [(i, i + 4) for i in range(4)]


def ratings(count: int, seed: int) -> list[dict[str, Any]]:
    keys = [KeyPair.generate(bytes([seed, k]) * 16) for k in range(8)]
    start = datetime.now(UTC) - timedelta(minutes=5)
    return [issue(Rating(issuer=keys[i % 8].did, context="seller", valid_from=start,
                         subject=f"did:example:s{seed}-{i}", score=1 + i % 5,
                         scale=Scale(minimum=1, maximum=5)), keys[i % 8],
                  created=start).document for i in range(count)]


def connect(lab: Lab, edges: list[tuple[int, int]]) -> None:
    for a, b in edges:
        for x, y in ((a, b), (b, a)):
            assert lab.nodes[x]("peer", url=lab.nodes[y].url)["status"] in (200, 201)


def post_spread(lab: Lab, docs: list[dict[str, Any]], hosts: list[int], seed: int) -> None:
    """Each document to one host at random among ``hosts``."""
    rng = random.Random(seed)
    share: dict[int, list[dict[str, Any]]] = {h: [] for h in hosts}
    for doc in docs:
        share[rng.choice(hosts)].append(doc)
    for host, part in share.items():
        answer = lab.nodes[host]("post", docs=part)
        assert answer["created"] == len(part), answer


def held_once(lab: Lab, expected: int) -> list[dict[str, Any]]:
    """Every host lists ``expected`` assertions, all distinct; their states."""
    states = [node("state", list=True) for node in lab.nodes]
    for node, state in zip(lab.nodes, states, strict=True):
        assert state["stored"] == state["unique"] == expected, (node.index, state)
        assert not state["dropped"], (node.index, state["dropped"])
    return states


def test_eight_hosts_converge_over_lossy_narrow_links(tmp_path: Path) -> None:
    lab_or_skip()
    count = 200
    docs = ratings(count, seed=1)
    with Lab(tmp_path, 8) as lab:
        connect(lab, EDGES)
        lab.lossy(5)
        links = lab.narrow("2mbit", delay_ms=20)
        sent_before = sum(node("state")["tx"] for node in lab.nodes)
        start = time.monotonic()
        post_spread(lab, docs, list(range(8)), seed=1)
        injected = time.monotonic() - start
        lab.wait_converged(count, timeout=240)
        converged = time.monotonic() - start
        states = held_once(lab, count)
        sent = sum(s["tx"] for s in states) - sent_before
        missing = sum(count - s["unique"] for s in states)
        failures = sum(s["stats"]["request_failures"] for s in states)
    delivered = count * (len(states) - 1)
    print(f"\n8 hosts over TLS, 5% loss on every link, {links}; {count} assertions")
    print(f"injection {injected:.1f} s, convergence {converged:.1f} s after the first, "
          f"bytes sent per assertion delivered {sent / delivered:,.0f} (TLS, TCP, gossip, "
          f"anti-entropy), failed requests {failures}, missing {missing}")
    assert missing == 0


def test_a_partition_of_three_against_five_heals(tmp_path: Path) -> None:
    lab_or_skip()
    left, right = ratings(60, seed=2), ratings(60, seed=3)
    with Lab(tmp_path, 8) as lab:
        connect(lab, EDGES)
        lab.partition([0, 1, 2])
        start = time.monotonic()
        post_spread(lab, left, [0, 1, 2], seed=2)
        post_spread(lab, right, [3, 4, 5, 6, 7], seed=3)
        lab.wait_converged(60, timeout=120, nodes=[0, 1, 2])
        lab.wait_converged(60, timeout=120, nodes=[3, 4, 5, 6, 7])
        apart = [node("state")["ids"] for node in lab.nodes]
        assert apart == [60] * 8  # each side holds its own, nothing crossed the cut
        lab.heal()
        healed = time.monotonic()
        lab.wait_converged(120, timeout=120)
        after = time.monotonic() - healed
        states = held_once(lab, 120)
    print(f"\npartition 3 | 5 for {healed - start:.1f} s, 60 assertions each side; healed in "
          f"{after:.1f} s; every host holds all 120 once "
          f"(reconciliations {sum(s['stats']['reconciliations'] for s in states)})")


def test_a_host_back_after_missing_10000_assertions_catches_up_by_reconciliation(
        tmp_path: Path) -> None:
    lab_or_skip()
    count = 10_000
    docs = ratings(count, seed=4)
    with Lab(tmp_path, 2) as lab:
        a, b = lab.nodes
        connect(lab, [(0, 1)])
        b.stop()
        start = time.monotonic()
        for i in range(0, count, 500):
            assert a("post", docs=docs[i:i + 500])["created"] == len(docs[i:i + 500])
        posted = time.monotonic() - start
        b.start()
        back = time.monotonic()
        lab.wait_converged(count, timeout=300, nodes=[1])
        caught_up = time.monotonic() - back
        states = held_once(lab, count)
    stats = states[1]["stats"]
    received = stats["payloads_received"]
    print(f"\n{count} assertions posted to A in {posted:.1f} s while B was down; B back, caught "
          f"up in {caught_up:.1f} s: {stats['reconciliations']} reconciliations, "
          f"{stats['reconcile_bytes']:,} reconciliation bytes "
          f"({stats['reconcile_bytes'] / count:.1f} per missing assertion), "
          f"{received:,} payloads received ({received / count:.3f} per missing one), "
          f"duplicates {stats['duplicates'] + stats['duplicates_solicited']}")
    assert stats["reconciliations"] >= 1
    assert received <= count * 1.02  # what it lacked, once: not history again
