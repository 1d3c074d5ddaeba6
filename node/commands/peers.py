"""``confiance peers``: recognise, list and remove the peers a node gossips with.

``peers add URL [--name N] [--kinds K ...] [--contexts C ...] [--issuers I ...]``,
``peers list [--json]``, ``peers remove PEER``, ``peers reinstate PEER`` (PEER: a name or a
URL). With a node running (found at its configured listen address, or ``--node URL``) the
change goes through its admin API and applies at once; otherwise it is written to
``DATA_DIR/gossip.sqlite3`` and applies when the node starts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from confiance.protocol.errors import MalformedDocument

from ..config import NodeConfig, default_data_dir, load_config
from ..datadir import is_initialised, read_admin_token
from ..peers import admin_request, filters_from_json, normalise_url
from ..storage.gossip_sqlite import open_sync
from ..tls import client_context
from .init import add_data_dir_argument

__all__ = ["register"]


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "peers", help="recognise, list and remove the peers this node gossips with",
        description="Manage the peers this node recognises (pushes to, pulls from, accepts "
                    "gossip from). Changes apply at once to a running node, through its "
                    "admin API; otherwise when it next starts.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    add = actions.add_parser("add", help="recognise a peer (or change its name and filters)")
    add.add_argument("url", help="the peer's base URL, e.g. https://ratings.example.org")
    add.add_argument("--name", help="a short name (default: the URL's host and port)")
    for what in ("kinds", "contexts", "issuers"):
        add.add_argument(f"--{what}", nargs="+", metavar=what[:-1].upper(),
                         help=f"exchange only these {what} with this peer")
    listing = actions.add_parser("list", help="the recognised peers, their status and score")
    listing.add_argument("--json", action="store_true", help="print JSON")
    remove = actions.add_parser("remove", help="stop recognising a peer")
    remove.add_argument("peer", help="its name or URL")
    reinstate = actions.add_parser("reinstate", help="exchange again with a dropped peer")
    reinstate.add_argument("peer", help="its name or URL")
    for each in (add, listing, remove, reinstate):
        add_data_dir_argument(each)
        each.add_argument("--node", metavar="URL",
                          help="where the running node listens (default: its config)")
        each.set_defaults(func=run)


def _listen_url(config: NodeConfig, override: str | None) -> str:
    if override:
        return normalise_url(override)
    if config.tls_cert is not None:  # https: the name its certificate is for
        return config.base_url
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::", "") else config.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{config.port}"


def _live(config: NodeConfig, args: argparse.Namespace, method: str, path: str,
          body: dict[str, Any] | None = None) -> tuple[int, Any] | None:
    token = read_admin_token(config)
    return asyncio.run(admin_request(_listen_url(config, args.node), token, method, path,
                                     body, ssl_context=client_context(config)))


def _problem(answer: Any) -> str:
    if isinstance(answer, dict) and "detail" in answer:
        return str(answer["detail"])
    return str(answer)[:300]


def _print_peers(peers: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(peers, indent=2) + "\n")
        return
    if not peers:
        print("no recognised peers (add one: confiance peers add URL)")
        return
    for p in peers:
        filters = " ".join(f"{k}={','.join(v)}" for k, v in (p.get("filters") or {}).items())
        score = p.get("score")
        line = f"{p['name']:<24} {p['url']:<40} {p['status']:<9}"
        if score is not None:
            line += f" score {score:>7.1f}"
        if p.get("failures"):
            line += f"  failures {p['failures']} (retry in {p.get('retryIn', 0):.0f} s)"
        if filters:
            line += f"  [{filters}]"
        if p.get("droppedReason"):
            line += f"  dropped: {p['droppedReason']}"
        print(line)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.data_dir or default_data_dir())
    if not is_initialised(config.data_dir):
        raise MalformedDocument(f"{config.data_dir} holds no node (confiance init)")
    if args.action == "add":
        url = normalise_url(args.url)
        filters = {k: getattr(args, k) for k in ("kinds", "contexts", "issuers")
                   if getattr(args, k)}
        filters_from_json(filters)  # validate before anything is written
        body: dict[str, Any] = {"url": url, "filters": filters}
        if args.name:
            body["name"] = args.name
        live = _live(config, args, "POST", "/admin/peers", body)
        if live is not None:
            status, answer = live
            if status not in (200, 201):
                raise MalformedDocument(f"the node refused: {_problem(answer)}")
            print(f"{'added' if status == 201 else 'updated'} {answer['name']} ({url}); "
                  "applied to the running node")
            return 0
        store = open_sync(config.data_dir)
        try:
            name = args.name or url.split("://", 1)[1]
            created = store.upsert_peer(url, name, filters, datetime.now(UTC))
        finally:
            store.close()
        print(f"{'added' if created else 'updated'} {name} ({url}); the node is not running: "
              "applies when it starts")
        return 0
    if args.action == "list":
        live = _live(config, args, "GET", "/admin/peers")
        if live is not None and live[0] == 200:
            _print_peers(live[1]["peers"], args.json)
            return 0
        store = open_sync(config.data_dir)
        try:
            rows = store.list_peers()
        finally:
            store.close()
        _print_peers([{"name": r.name, "url": r.url, "filters": r.filters,
                       "status": "dropped" if r.dropped_at else "offline",
                       "droppedReason": r.dropped_reason} for r in rows], args.json)
        return 0
    key = args.peer
    if args.action == "remove":
        live = _live(config, args, "DELETE", f"/admin/peers/{_quote(key)}")
        if live is not None:
            if live[0] != 204:
                raise MalformedDocument(f"the node refused: {_problem(live[1])}")
            print(f"removed {key}")
            return 0
        store = open_sync(config.data_dir)
        try:
            rows = [r for r in store.list_peers() if key in (r.name, r.url)]
            for row in rows:
                store.remove_peer(row.url)
        finally:
            store.close()
        if not rows:
            raise MalformedDocument(f"no recognised peer named {key!r}")
        print(f"removed {key}; the node is not running")
        return 0
    live = _live(config, args, "POST", f"/admin/peers/{_quote(key)}/reinstate")
    if live is None:
        store = open_sync(config.data_dir)
        try:
            rows = [r for r in store.list_peers() if key in (r.name, r.url)]
            for row in rows:
                store.set_dropped(row.url, None, None)
        finally:
            store.close()
        if not rows:
            raise MalformedDocument(f"no recognised peer named {key!r}")
        print(f"reinstated {key}; the node is not running")
        return 0
    if live[0] != 200:
        raise MalformedDocument(f"the node refused: {_problem(live[1])}")
    print(f"reinstated {key}")
    return 0


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
