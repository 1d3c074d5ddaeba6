"""``confiance trust``: explained transitive trust, from a node or from an edge list.

::

    confiance trust score --from A --to B [--context C] [--algorithm NAME] [--json]
                          [--graph FILE | --node URL | --data-dir DIR]
                          [--distrust one-hop|none] [--penalty on|off]
    confiance trust rank  --from A [--top K] [--algorithm NAME] [--json]
                          (--graph FILE | --node URL | --data-dir DIR)
                          [--distrust one-hop|none] [--penalty on|off]

``--graph`` reads a signed edge list (SNAP ``source,target,rating[,time]`` CSV or the
whitespace ``FromNodeId ToNodeId Sign`` form, plain or gzip), converting ratings by
``--rule`` (a conversion rule in its JSON form; default ``LinearRescale [-10, 10] ->
[-1, 1]`` for CSV ratings, signs as they are). ``--node`` asks a running node
(``GET /trust``, ``GET /trust/rank``); ``--data-dir`` reads a node's data directory directly
(the node may be running). The distrust and referral-penalty adjustments are named layers
(``--distrust one-hop|none``, ``--penalty on|off``; defaults ``one-hop`` and ``on``), and
every answer prints the algorithm's raw figure beside the adjusted one. Exit status: 0
answered (even "no opinion"), 2 unusable input or arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import json
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from confiance.protocol.errors import MalformedDocument, RemoteProtocolError
from confiance.protocol.rules import ConversionRule, rule_from_json
from confiance.protocol.trust import (
    ALGORITHMS,
    DEFAULT_ALGORITHMS,
    DEFAULT_POLICY,
    DISTRUST_LAYERS,
    TrustEngine,
    TrustPolicy,
    TrustResult,
    load_edge_arrays,
)

__all__ = ["fetch_json", "fetch_trust", "read_bytes", "read_lines", "register"]

MAX_RULE_BYTES = 65_536
FORMATS = ("auto", "csv", "whitespace")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "trust", help="explained transitive trust: score one party, or rank them",
        description="Transitive trust with its reasons, from a node (--node, --data-dir) or "
                    "from a signed edge list (--graph). See specs/trust.md.")
    inner = parser.add_subparsers(dest="trust_command", metavar="SUBCOMMAND")
    inner.required = True

    score = inner.add_parser("score", help="how much --from trusts --to, and why",
                             description="How much --from trusts --to in a context, with the "
                                         "strongest paths and the rules applied.")
    score.add_argument("--from", dest="source", required=True, metavar="A",
                       help="the evaluator (a DID, URL, or edge-list id)")
    score.add_argument("--to", dest="target", required=True, metavar="B",
                       help="the party evaluated")
    _common(score, default_algorithm=DEFAULT_ALGORITHMS["score"])
    where = score.add_mutually_exclusive_group()
    where.add_argument("--graph", metavar="FILE", help="a signed edge list (plain or .gz)")
    where.add_argument("--node", metavar="URL", help="a running node's base URL")
    where.add_argument("--data-dir", metavar="DIR", help="a node's data directory")
    score.add_argument("--level", type=float, default=0.0,
                       help="advogato: the certification level (smallest weight counted)")
    score.set_defaults(func=run_score)

    rank = inner.add_parser("rank", help="the parties --from trusts most",
                            description="The --top parties --from trusts most, best first.")
    rank.add_argument("--from", dest="source", required=True, metavar="A",
                      help="the evaluator")
    rank.add_argument("--top", type=int, default=10, metavar="K",
                      help="how many to list (default 10)")
    _common(rank, default_algorithm=DEFAULT_ALGORITHMS["rank"])
    where = rank.add_mutually_exclusive_group(required=True)
    where.add_argument("--graph", metavar="FILE", help="a signed edge list (plain or .gz)")
    where.add_argument("--node", metavar="URL", help="a running node's base URL")
    where.add_argument("--data-dir", metavar="DIR", help="a node's data directory")
    rank.add_argument("--level", type=float, default=0.0,
                      help="advogato: the certification level (smallest weight counted)")
    rank.set_defaults(func=run_rank)


def _common(parser: argparse.ArgumentParser, *, default_algorithm: str) -> None:
    parser.add_argument("--context", metavar="C",
                        help="the context of trust (default: the only one held; "
                             "'default' for an edge list)")
    parser.add_argument("--algorithm", choices=ALGORITHMS, default=default_algorithm,
                        help=f"trust metric (default {default_algorithm})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--rule", metavar="JSON",
                        help="edge lists: conversion rule for ratings, e.g. "
                             "'{\"type\": \"LinearRescale\", \"from\": [-10, 10], "
                             "\"to\": [-1, 1]}' (or @FILE)")
    parser.add_argument("--format", choices=FORMATS, default="auto",
                        help="edge lists: csv or whitespace (default: detect)")
    parser.add_argument("--damping", type=float, metavar="A",
                        help="ppr, eigentrust: the damping factor, in (0, 1) (default 0.85)")
    parser.add_argument("--tolerance", type=float, metavar="T",
                        help="ppr, eigentrust: the guaranteed L1 error bound, in (0, 1) "
                             "(default 1e-12)")
    parser.add_argument("--distrust", choices=DISTRUST_LAYERS, default="one-hop",
                        help="the distrust layer: one-hop (default: ppr and eigentrust scores "
                             "times 1 - distrust, path metrics read distrust one step) or "
                             "none (the published algorithm alone)")
    parser.add_argument("--penalty", choices=("on", "off"), default="on",
                        help="the referral-penalty layer (default on)")


# --------------------------------------------------------------------------- inputs
def read_lines(path: str) -> Iterator[str]:
    """The text lines of ``path`` (``-`` for stdin), gunzipped when it is gzip."""
    try:
        raw = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise MalformedDocument(f"cannot read {path}: {exc.strerror or exc}") from None
    with raw:
        head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
        stream: Any = gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        try:
            yield from text
        except (OSError, EOFError, zlib.error) as exc:
            raise MalformedDocument(f"{path} is not a readable gzip file: {exc}") from None
        except UnicodeDecodeError as exc:
            raise MalformedDocument(f"{path} is not UTF-8 text: {exc.reason}") from None


def read_bytes(path: str) -> bytes:
    """The whole content of ``path`` (``-`` for stdin), gunzipped when it is gzip."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
    except OSError as exc:
        raise MalformedDocument(f"cannot read {path}: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise MalformedDocument(f"{path} is not a readable gzip file: {exc}") from None
    return raw


def _rule(text: str | None) -> ConversionRule | None:
    if text is None:
        return None
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")[:MAX_RULE_BYTES]
        except (OSError, UnicodeDecodeError) as exc:
            raise MalformedDocument(f"cannot read the rule file {text[1:]}: {exc}") from None
    if len(text) > MAX_RULE_BYTES:
        raise MalformedDocument(f"--rule is longer than {MAX_RULE_BYTES} bytes")
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise MalformedDocument(f"--rule is not JSON: {exc}") from None
    return rule_from_json(obj)


def _engine_from_graph(args: argparse.Namespace, policy: TrustPolicy
                       ) -> tuple[TrustEngine, str]:
    context = args.context or "default"
    engine = TrustEngine(policy)
    started = time.perf_counter()
    report = load_edge_arrays(engine, read_bytes(args.graph), context=context,
                              origin=Path(args.graph).name, rule=_rule(args.rule),
                              fmt=args.format)
    if not args.json:
        print(f"read {report.edges} edges ({report.format}; {report.linked} kept) from "
              f"{args.graph} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return engine, context


def _engine_from_data_dir(args: argparse.Namespace, policy: TrustPolicy
                          ) -> tuple[TrustEngine, str | None]:
    from ..config import load_config
    from ..storage import SqliteStore
    from ..trustfeed import load_engine

    config = load_config(Path(args.data_dir))
    if not config.database_path.exists():
        raise MalformedDocument(f"{args.data_dir} holds no node database "
                                f"({config.database_path.name}): run `confiance init`")
    engine = TrustEngine(policy)
    now = datetime.now(UTC)

    async def fill() -> None:
        store = await SqliteStore.open(config.database_path)
        try:
            await load_engine(engine, store, now=now)
        finally:
            await store.close()

    asyncio.run(fill())
    return engine, args.context


def fetch_trust(base_url: str, params: dict[str, str], *, timeout: float = 30.0
                ) -> dict[str, Any]:
    """``GET {base_url}/trust?...`` on a running node; the JSON answer or a clear error."""
    return fetch_json(base_url, "/trust", params, timeout=timeout)


def fetch_json(base_url: str, route: str, params: dict[str, str], *, timeout: float = 30.0
               ) -> dict[str, Any]:
    """``GET {base_url}{route}?...`` on a running node; the JSON answer or a clear error.

    The request goes through ``node/peers/outbound.py``, the one module that makes outbound
    HTTP.
    """
    from ..peers.outbound import admin_request

    path = route + "?" + urlencode(params)
    answer = asyncio.run(admin_request(base_url, "", "GET", path, timeout=timeout))
    if answer is None:
        raise RemoteProtocolError(f"cannot reach the node at {base_url}")
    status, body = answer
    if status != 200 or not isinstance(body, dict):
        detail = body.get("detail") if isinstance(body, dict) else None
        raise RemoteProtocolError(f"the node answered {status}: {detail or body!s:.200}")
    return body


# ---------------------------------------------------------------------------- output
def _fmt(x: object) -> str:
    return f"{x:.6g}" if isinstance(x, float) else "-" if x is None else str(x)


def _print_result(doc: dict[str, Any]) -> None:
    scale = doc.get("scale")
    where = f" on a {_fmt(float(scale['minimum']))}..{_fmt(float(scale['maximum']))} scale" \
        if scale else ""
    print(f"{doc['source']} -> {doc['target']} in “{doc['context']}” ({doc['algorithm']}): "
          f"{'no opinion' if doc['score'] is None else _fmt(doc['score']) + where}")
    layers = doc.get("layers") or {}
    print(f"  value {_fmt(doc['value'])} (raw {_fmt(doc.get('raw'))}: {doc['algorithm']} "
          f"before the layers), confidence {_fmt(doc['confidence'])}")
    print(f"  layers: distrust {layers.get('distrust', '?')} "
          f"({_fmt(doc['distrust']['value'])}), referral penalty {layers.get('penalty', '?')} "
          f"({_fmt(doc['penalty']['value'])})")
    for key, value in doc.get("details", {}).items():
        print(f"  {key}: {_fmt(value)}")
    for i, path in enumerate(doc.get("paths", []), start=1):
        print(f"  path {i} (strength {_fmt(path['strength'])}):")
        for hop in path["hops"]:
            print(f"    {hop['from']} -> {hop['to']}  {hop['kind']} {_fmt(hop['weight'])}  "
                  f"[{hop['assertion']}]")
            if hop.get("rule"):
                print(f"      rule: {hop['rule']}")
    for note in doc.get("notes", []):
        print(f"  note: {note}")


def run_score(args: argparse.Namespace) -> int:
    if args.node:
        params = {"from": args.source, "to": args.target, **_node_params(args)}
        doc = fetch_trust(args.node, params)
    else:
        engine, context = _load(args)
        result: TrustResult = engine.trust(args.source, args.target, context, args.algorithm,
                                           level=args.level, distrust=args.distrust,
                                           penalty=args.penalty == "on")
        doc = result.to_json()
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        _print_result(doc)
    return 0


def _node_params(args: argparse.Namespace) -> dict[str, str]:
    """Query parameters for a running node; local-only options are refused."""
    if args.damping is not None or args.tolerance is not None:
        raise MalformedDocument("--damping and --tolerance apply to local computations "
                                "(--graph, --data-dir): a node answers with its own policy")
    if args.rule is not None or args.format != "auto":
        raise MalformedDocument("--rule and --format apply to edge lists (--graph)")
    params = {"algorithm": args.algorithm, "distrust": args.distrust, "penalty": args.penalty}
    if args.context:
        params["context"] = args.context
    if args.level:
        params["level"] = repr(args.level)
    return params


def run_rank(args: argparse.Namespace) -> int:
    if args.node:
        params = {"from": args.source, "top": str(args.top), **_node_params(args)}
        doc = fetch_json(args.node, "/trust/rank", params)
    else:
        engine, context = _load(args)
        ranked = engine.rank(args.source, context, args.algorithm, top=args.top,
                             level=args.level, distrust=args.distrust,
                             penalty=args.penalty == "on")
        doc = ranked.to_json()
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return 0
    _print_rank(doc)
    return 0


def _print_rank(doc: dict[str, Any]) -> None:
    entries = doc.get("entries", [])
    layers = doc.get("layers") or {}
    print(f"top {len(entries)} for {doc['source']} in “{doc['context']}” ({doc['algorithm']}; "
          f"distrust {layers.get('distrust', '?')}, referral penalty "
          f"{layers.get('penalty', '?')}):")
    rows = [(str(i), str(e["node"]), _fmt(e["score"]), _fmt(e.get("raw")))
            for i, e in enumerate(entries, start=1)]
    head = ("rank", "node", "score", "raw")
    widths = [max([len(head[c])] + [len(r[c]) for r in rows]) for c in range(4)]
    print(f"{head[0]:>{widths[0]}}  {head[1]:<{widths[1]}}  {head[2]:>{widths[2]}}  "
          f"{head[3]:>{widths[3]}}")
    for r in rows:
        print(f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  "
              f"{r[3]:>{widths[3]}}")
    note = (doc.get("details") or {}).get("note")
    if note:
        print(f"  note: {note}")


def _policy(args: argparse.Namespace) -> TrustPolicy:
    """The default policy with the command line's --damping and --tolerance (checked)."""
    changes = {name: getattr(args, name) for name in ("damping", "tolerance")
               if getattr(args, name, None) is not None}
    return replace(DEFAULT_POLICY, **changes)


def _load(args: argparse.Namespace) -> tuple[TrustEngine, str | None]:
    policy = _policy(args)  # checked before reading a large file
    if getattr(args, "graph", None):
        return _engine_from_graph(args, policy)
    if getattr(args, "data_dir", None):
        return _engine_from_data_dir(args, policy)
    raise MalformedDocument("say where the assertions are: --graph FILE, --node URL or "
                            "--data-dir DIR")

