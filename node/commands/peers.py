"""``confiance peers``: recognise, list and remove the peers a node gossips with.

``peers add URL [--name N] [--kinds K ...] [--contexts C ...] [--issuers I ...]``,
``peers list [--json]``, ``peers remove PEER``, ``peers reinstate PEER`` (PEER: a name or a
URL). With a node running from the data directory (found by its run record,
``DATA_DIR/run.json``, or at ``--node URL``; :mod:`..running`) the change goes through its
admin API, after checking that what answers is that node, and applies at once; with no
node running it is written to ``DATA_DIR/gossip.sqlite3`` and applies when the node starts.

Recognition is one-way: a peer accepts gossip only from the nodes *it* recognises. After
``peers add`` the command watches the first exchange for a few seconds and says when the
peer does not recognise this node yet, and what to run on the other side.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from confiance.protocol.errors import MalformedDocument

from .common import add_node_argument
from .init import add_data_dir_argument

if TYPE_CHECKING:
    from ..config import NodeConfig
    from ..running import AdminClient

__all__ = ["describe_failure", "peer_state", "register"]

#: How long ``peers add`` watches the first exchange with a new peer.
FIRST_EXCHANGE_WAIT = 6.0


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "peers", help="recognise, list and remove the peers this node gossips with",
        description="Manage the peers this node recognises (pushes to, pulls from, accepts "
                    "gossip from). Changes apply at once to a running node, through its "
                    "admin API; otherwise when it next starts. Recognition is one-way: each "
                    "side must add the other.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    add = actions.add_parser("add", help="recognise a peer (or change its name and filters)")
    add.add_argument("url", help="the peer's base URL, e.g. https://ratings.example.org")
    add.add_argument("--name", help="a short name (default: the URL's host and port)")
    for what in ("kinds", "contexts", "issuers"):
        add.add_argument(f"--{what}", nargs="+", metavar=what[:-1].upper(),
                         help=f"exchange only these {what} with this peer")
    listing = actions.add_parser("list", help="the recognised peers, their state and score")
    listing.add_argument("--json", action="store_true", help="print JSON")
    remove = actions.add_parser("remove", help="stop recognising a peer")
    remove.add_argument("peer", help="its name or URL")
    reinstate = actions.add_parser("reinstate", help="exchange again with a dropped peer")
    reinstate.add_argument("peer", help="its name or URL")
    for each in (add, listing, remove, reinstate):
        add_data_dir_argument(each)
        add_node_argument(each)
        each.set_defaults(func=run)


# ----------------------------------------------------------------------------- words


def peer_state(peer: dict[str, Any]) -> str:
    """One word for a peer as listed by ``GET /admin/peers``.

    ``dropped`` (for misbehaviour, until reinstated), ``failing`` (the last exchanges
    failed), ``throttled`` (low score), ``ok`` (exchanging), ``new`` (not yet contacted).
    """
    if peer.get("droppedReason"):
        return "dropped"
    if peer.get("failures"):
        return "failing"
    if peer.get("status") == "throttled":
        return "throttled"
    return "ok" if peer.get("lastSuccess") else "new"


def describe_failure(error: str, this_node: str | None) -> str:
    """The last gossip error with a peer, in words, with what to do where there is a fix."""
    code, _, detail = error.partition(": ")
    here = this_node or "<this node's URL>"
    if code == "peer-not-recognised":
        return ("it does not recognise this node yet (recognition is one-way); on that node "
                f"run: confiance peers add {here} [--data-dir ITS_DATA_DIR]")
    if code == "peer-dropped":
        return f"it dropped this node for misbehaviour ({detail}); its operator can reinstate it"
    if code == "hello-not-authenticated":
        return f"it could not verify this node's signed hello: {detail}"
    if code in ("unknown-session", "session-busy"):
        return f"the session was lost ({code}); a new one is opened at the next exchange"
    if "Cannot connect" in error or "Connect call failed" in error or "refused" in error:
        return f"unreachable: {error}"
    return error


def _print_peers(peers: list[dict[str, Any]], as_json: bool, this_node: str | None) -> None:
    for p in peers:
        p.setdefault("state", peer_state(p))
    if as_json:
        sys.stdout.write(json.dumps(peers, indent=2) + "\n")
        return
    if not peers:
        print("no recognised peers (add one: confiance peers add URL)")
        return
    print(f"{'NAME':<24} {'URL':<40} {'STATE':<10} {'SCORE':>7}  DETAILS")
    for p in peers:
        score = p.get("score")
        details = []
        if p.get("failures"):
            details.append(f"{p['failures']} failures, retry in {p.get('retryIn', 0):.0f} s")
        filters = " ".join(f"{k}={','.join(v)}" for k, v in (p.get("filters") or {}).items())
        if filters:
            details.append(filters)
        shown = f"{score:>7.1f}" if isinstance(score, int | float) else f"{'-':>7}"
        print(f"{p['name']:<24} {p['url']:<40} {p['state']:<10} {shown}  {'; '.join(details)}")
        if p.get("droppedReason"):
            print(f"    dropped: {p['droppedReason']}")
        elif p["state"] == "failing" and p.get("lastError"):
            print(f"    {describe_failure(str(p['lastError']), this_node)}")


# ----------------------------------------------------------------------------- actions


def _refused(answer: Any) -> MalformedDocument:
    body = answer.body
    detail = body.get("detail") if isinstance(body, dict) else None
    return MalformedDocument(f"the node refused ({answer.status}): "
                             f"{detail or str(body)[:300]}")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _watch_first_exchange(client: AdminClient, url: str) -> str:
    """A sentence on the first exchange with a new peer (watched a few seconds)."""
    this_node = client.descriptor.get("url")
    deadline = time.monotonic() + FIRST_EXCHANGE_WAIT
    while time.monotonic() < deadline:
        answer = client.call("GET", "/admin/peers")
        peers = answer.body.get("peers", []) if isinstance(answer.body, dict) else []
        peer = next((p for p in peers if p.get("url") == url), None)
        if peer is None:
            break
        if peer.get("lastSuccess"):
            return "exchanging with it now"
        if peer.get("lastError"):
            return describe_failure(str(peer["lastError"]), this_node)
        time.sleep(0.2)
    return "no exchange yet: see confiance peers list"


def _add(args: argparse.Namespace, config: NodeConfig, client: AdminClient | None) -> int:
    from datetime import UTC, datetime

    from ..peers.links import filters_from_json, normalise_url
    from ..storage.gossip_sqlite import open_sync

    url = normalise_url(args.url)
    filters = {k: getattr(args, k) for k in ("kinds", "contexts", "issuers")
               if getattr(args, k)}
    filters_from_json(filters)  # validate before anything is written
    if client is not None:
        body: dict[str, Any] = {"url": url, "filters": filters}
        if args.name:
            body["name"] = args.name
        answer = client.call("POST", "/admin/peers", body)
        if answer.status not in (200, 201):
            raise _refused(answer)
        print(f"{'added' if answer.status == 201 else 'updated'} {answer.body['name']} ({url}) "
              f"on the running node at {client.url}")
        print(f"first exchange: {_watch_first_exchange(client, url)}")
        return 0
    store = open_sync(config.data_dir)
    try:
        name = args.name or url.split("://", 1)[1]
        created = store.upsert_peer(url, name, filters, datetime.now(UTC))
    finally:
        store.close()
    print(f"{'added' if created else 'updated'} {name} ({url}) in "
          f"{config.data_dir / 'gossip.sqlite3'}: no node is running from {config.data_dir}; "
          "it applies when the node starts")
    print("the peer must recognise this node too (recognition is one-way); on it run: "
          f"confiance peers add <this node's URL, e.g. {config.base_url}> "
          "[--data-dir ITS_DATA_DIR]")
    return 0


def _offline_peers(config: NodeConfig) -> list[dict[str, Any]]:
    from ..storage.gossip_sqlite import open_sync

    store = open_sync(config.data_dir)
    try:
        rows = store.list_peers()
    finally:
        store.close()
    return [{"name": r.name, "url": r.url, "filters": r.filters,
             "state": "dropped" if r.dropped_at else "not running",
             "status": "dropped" if r.dropped_at else "offline",
             "droppedReason": r.dropped_reason} for r in rows]


def _offline_change(config: NodeConfig, key: str, action: str) -> None:
    from ..storage.gossip_sqlite import open_sync

    store = open_sync(config.data_dir)
    try:
        rows = [r for r in store.list_peers() if key in (r.name, r.url)]
        for row in rows:
            if action == "remove":
                store.remove_peer(row.url)
            else:
                store.set_dropped(row.url, None, None)
    finally:
        store.close()
    if not rows:
        raise MalformedDocument(f"no recognised peer named {key!r}")
    print(f"{'removed' if action == 'remove' else 'reinstated'} {key} in "
          f"{config.data_dir / 'gossip.sqlite3'}: no node is running from {config.data_dir}")


def run(args: argparse.Namespace) -> int:
    from ..config import default_data_dir, load_config
    from ..datadir import is_initialised
    from ..running import connect_admin

    config = load_config(args.data_dir or default_data_dir())
    if not is_initialised(config.data_dir):
        raise MalformedDocument(f"{config.data_dir} holds no node (confiance init)")
    client = connect_admin(config, args.node)
    if args.action == "add":
        return _add(args, config, client)
    if args.action == "list":
        if client is None:
            _print_peers(_offline_peers(config), args.json, None)
            return 0
        answer = client.call("GET", "/admin/peers")
        if answer.status != 200:
            raise _refused(answer)
        _print_peers(answer.body["peers"], args.json, client.descriptor.get("url"))
        return 0
    if client is None:
        _offline_change(config, args.peer, args.action)
        return 0
    if args.action == "remove":
        answer = client.call("DELETE", f"/admin/peers/{_quote(args.peer)}")
        if answer.status != 204:
            raise _refused(answer)
        print(f"removed {args.peer} on the running node at {client.url}")
        return 0
    answer = client.call("POST", f"/admin/peers/{_quote(args.peer)}/reinstate")
    if answer.status != 200:
        raise _refused(answer)
    print(f"reinstated {args.peer} on the running node at {client.url}")
    return 0
