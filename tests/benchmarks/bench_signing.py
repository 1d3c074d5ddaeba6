"""Signing and verification speed, against bare Ed25519 verification measured in the same run.

Run: ``python tests/benchmarks/bench_signing.py [--rounds N] [--block B]`` (default 2000
rounds, blocks of 1).

Every case runs once per round (``--block B``: B times in a row), in rotation, so that all
of them share the machine's noise (other processes, frequency scaling); the table gives
medians. With blocks of 1 each call starts with caches filled by another case (often pyld's
full path), which costs Python code far more than the C of a bare verify; ``--block 10``
measures the steady state of a verifier checking one document after another.

Documents: the W3C alumni credential (needs ../shared/contexts for its examples context)
and a typical Confiance Rating.

Goals (issue 2): eddsa-jcs-2022 verify within 1.5x bare Ed25519 verify; eddsa-rdfc-2022
verify under 1 ms median on the alumni credential. Issue 13: eddsa-rdfc-2022 verify of a
document of a new shape under 1.5 ms median.

Rows "new shape" use a loader whose shape cache forgets every shape it compiles, so each
verification meets its document's shape (and its proof's) for the first time: a probe
goes through the full path and is compiled into a template, as for the first document of
a shape. Rows "full path" use a loader whose shape cache always says "slow", so every
document goes through pyld expansion itself. Both keep the contexts compiled (the
processed contexts, made once per loader: see ``protocol/expansion.py``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from confiance.protocol.contexts import DocumentLoader, default_loader
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import Rating, Scale, to_credential
from confiance.protocol.shapes import SLOW
from confiance.protocol.signing import sign, verify

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
CREATED = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
NOW = CREATED + timedelta(days=1)


class NoShapes(DocumentLoader):
    """A loader whose shape cache never hits: every document takes pyld's full path."""

    def cached_shape(self, key: object) -> object | None:
        return SLOW


class NewShapes(DocumentLoader):
    """A loader whose shape cache forgets, on demand, the shapes it has compiled."""

    def forget(self) -> None:
        self._shapes.clear()


def first_sight(doc: dict[str, Any], loader: NewShapes) -> object:
    """Verify ``doc`` as the first document of its shape (its proof's shape, too)."""
    loader.forget()
    return verify(doc, now=NOW, loader=loader)


def documents(key: KeyPair) -> dict[str, tuple[dict[str, Any], DocumentLoader]]:
    docs: dict[str, tuple[dict[str, Any], DocumentLoader]] = {}
    rating = to_credential(Rating(
        issuer=key.did, subject="https://shop.example/", context="seller", score=4,
        scale=Scale(minimum=1, maximum=5), comment="Fast delivery, well packed.",
        valid_from=CREATED))
    docs["Rating"] = (rating, default_loader())
    alumni = SHARED / "vectors" / "w3c-vc-di-eddsa" / "unsigned.json"
    if alumni.exists():
        loader = default_loader().with_directory(SHARED / "contexts")
        docs["alumni"] = (json.loads(alumni.read_text()), loader)
    return docs


def measure(cases: dict[str, Callable[[], object]], rounds: int,
            block: int = 1) -> dict[str, float]:
    for action in cases.values():  # warm up: compile shapes, fill caches
        for _ in range(5):
            action()
    times: dict[str, list[float]] = {name: [] for name in cases}
    clock = time.perf_counter
    for _ in range(max(1, rounds // block)):
        for name, action in cases.items():
            for _ in range(block):
                start = clock()
                action()
                times[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--block", type=int, default=1,
                        help="consecutive calls of a case before the next one (default 1)")
    args = parser.parse_args()

    key = KeyPair.generate(bytes(range(1, 33)))
    public = Ed25519PublicKey.from_public_bytes(key.public_key)
    message = bytes(64)
    signature = key.sign(message)
    cases: dict[str, Callable[[], object]] = {
        "bare Ed25519 verify (baseline)": lambda: public.verify(signature, message),
        "bare Ed25519 sign": lambda: key.sign(message),
    }
    for label, (doc, loader) in documents(key).items():
        slow = NoShapes({url: loader.document(url) for url in loader.urls})
        new = NewShapes({url: loader.document(url) for url in loader.urls})
        for suite in ("eddsa-jcs-2022", "eddsa-rdfc-2022"):
            signed = sign(doc, key, suite=suite, created=CREATED, loader=loader)
            assert verify(signed, now=NOW, loader=loader).ok
            short = "jcs" if "jcs" in suite else "rdfc"
            cases[f"{label} {short} sign"] = (
                lambda d=doc, s=suite, lo=loader: sign(d, key, suite=s, created=CREATED,
                                                       loader=lo))
            cases[f"{label} {short} verify"] = (
                lambda d=signed, lo=loader: verify(d, now=NOW, loader=lo))
            if suite == "eddsa-jcs-2022":
                cases[f"{label} jcs verify, check_terms_jcs=False"] = (
                    lambda d=signed, lo=loader: verify(d, now=NOW, loader=lo,
                                                       check_terms_jcs=False))
            else:
                cases[f"{label} rdfc verify, new shape (compiled on sight)"] = (
                    lambda d=signed, lo=new: first_sight(d, lo))
                cases[f"{label} rdfc verify, full path (no shape cache)"] = (
                    lambda d=signed, lo=slow: verify(d, now=NOW, loader=lo))

    medians = measure(cases, args.rounds, max(1, args.block))
    base = medians["bare Ed25519 verify (baseline)"]
    width = max(map(len, medians))
    print(f"{'case':<{width}}  {'median':>10}  {'per second':>10}  {'x bare verify':>13}")
    for name, seconds in medians.items():
        print(f"{name:<{width}}  {seconds * 1e6:8.1f}us  {1 / seconds:10.0f}  "
              f"{seconds / base:13.2f}")
    print()
    for label in ("alumni", "Rating"):
        jcs = medians.get(f"{label} jcs verify")
        jcs_plain = medians.get(f"{label} jcs verify, check_terms_jcs=False")
        rdfc = medians.get(f"{label} rdfc verify")
        new = medians.get(f"{label} rdfc verify, new shape (compiled on sight)")
        if jcs is None or jcs_plain is None or rdfc is None or new is None:
            continue
        print(f"{label}: eddsa-jcs-2022 verify {jcs / base:.2f}x bare "
              f"({jcs_plain / base:.2f}x without the term check; goal 1.5x); "
              f"eddsa-rdfc-2022 verify {rdfc * 1e3:.3f} ms (goal on alumni: under 1 ms), "
              f"new shape {new * 1e3:.3f} ms (goal: under 1.5 ms)")


if __name__ == "__main__":
    main()
