"""``confiance marks create FILE``: publish a mark definition (its terms and its deed).

The file (TOML or JSON; the same fields as ``POST /admin/marks``, see ``specs/node-api.md``)
names the mark, its version, its full and short names, its context of trust, the terms and
the five parts of the deed, each a language map (``en`` required, ``fr`` and others
optional). Two ways to sign it:

- through the running node (``--data-dir``, default ``./confiance-data``; found by its run
  record, or ``--node URL``, and checked to be that data directory's node before the admin
  token is sent: :mod:`confiance.node.running`): signed by the node's did:web, published at
  ``<node>/marks/<mark>/<version>``; the signed definition is printed;
- without a node (``--key KEY --base-url URL``): signed with a did:key, the mark IRI is
  ``<base-url>/marks/<mark>``; the signed JSON-LD goes to stdout, to host at that IRI.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from typing import Any

from confiance.protocol.canonical import parse_json
from confiance.protocol.errors import MalformedDocument
from confiance.protocol.limits import DEFAULT_LIMITS

from ..config import default_data_dir, load_config
from ..datadir import is_initialised
from .common import (
    add_node_argument,
    add_suite_argument,
    load_key,
    print_json,
    read_bytes,
    timestamp,
)
from .init import add_data_dir_argument

__all__ = ["read_mark_file", "register"]


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "marks", help="publish the definitions (terms and deed) of the marks you award",
        description="Mark definitions: the versioned, signed terms of a trust mark, with "
                    "its deed in plain language (Creative Commons style).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    create = actions.add_parser(
        "create", help="sign and publish a mark definition from a TOML or JSON file",
        description="Publish a mark definition through the running node (default), or sign "
                    "it with --key for hosting elsewhere (printed on stdout).")
    create.add_argument("file", metavar="MARK.toml", help="the definition (TOML or JSON)")
    add_data_dir_argument(create)
    create.add_argument("--node", metavar="URL",
                        help="where the running node listens (default: its config)")
    create.add_argument("--key", metavar="KEYFILE",
                        help="sign with this key instead (no node): needs --base-url")
    create.add_argument("--base-url", metavar="URL",
                        help="with --key: where you host it; the mark IRI is URL/marks/MARK")
    create.add_argument("--created", metavar="ISO8601", help="with --key: the proof's time")
    add_suite_argument(create)
    create.set_defaults(func=run_create)

    award = actions.add_parser(
        "award", help="award a published mark to a subject (the running node signs it)",
        description="Award one of the node's published marks (confiance marks create) to a "
                    "subject: the running node signs the TrustMark, with a revocation bit in "
                    "its status list, stores it and gossips it. Prints its id on stdout (a "
                    "form --target and confiance revoke take), its verify page and badge on "
                    "stderr.")
    award.add_argument("mark", metavar="MARK", help="the mark's short name (its definition's "
                                                    "`mark`, e.g. top-seller)")
    award.add_argument("--subject", required=True, metavar="DID", help="who earns it")
    award.add_argument("--status", required=True, metavar="TEXT",
                       help='the status in words, e.g. "97%% positive over 1,204 sales"')
    award.add_argument("--value", type=float, metavar="N",
                       help="the same status as a number (e.g. 97): what conversion rules read")
    award.add_argument("--version", metavar="V", help="the definition's version (default: "
                                                     "the latest)")
    award.add_argument("--valid-until", metavar="ISO8601", help="default: no end")
    award.add_argument("--evidence", action="append", metavar="IRI",
                       help="evidence link (repeat)")
    award.add_argument("--json", action="store_true", help="print the node's answer as JSON")
    add_data_dir_argument(award)
    add_node_argument(award)
    award.set_defaults(func=run_award)


def read_mark_file(path: str) -> dict[str, Any]:
    """A definition file: TOML (``.toml``) or JSON, size-capped, as a JSON object."""
    raw = read_bytes(path, DEFAULT_LIMITS.max_bytes)
    if path.endswith(".toml"):
        try:
            loaded: Any = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise MalformedDocument(f"{path} is not valid TOML: {exc}") from None
    else:
        loaded = parse_json(raw, DEFAULT_LIMITS)
    if not isinstance(loaded, dict):
        raise MalformedDocument(f"{path} does not hold a table/object")
    return loaded


def run_create(args: argparse.Namespace) -> int:
    body = read_mark_file(args.file)
    if args.key:
        return _offline(args, body)
    from ..running import admin_call  # finds this data dir's node, checks it, then the token

    config = load_config(args.data_dir or default_data_dir())
    if not is_initialised(config.data_dir):
        raise MalformedDocument(f"{config.data_dir} holds no node (confiance init), and no "
                                "--key was given to sign without one")
    body.setdefault("suite", args.suite)
    answer = admin_call(config, "POST", "/admin/marks", body, node_url=args.node)
    if answer is None:
        raise MalformedDocument(f"no node is running from {config.data_dir} (start it: "
                                "confiance serve); definitions are published by the running "
                                "node, or signed with --key")
    status, reply = answer.status, answer.body
    if status not in (200, 201):
        detail = reply.get("detail") if isinstance(reply, dict) else str(reply)[:300]
        print(f"confiance marks create: {detail}", file=sys.stderr)
        return 2
    print(("published " if status == 201 else "already published ") + reply["url"],
          file=sys.stderr)
    print_json(reply["document"])
    return 0


def _offline(args: argparse.Namespace, body: dict[str, Any]) -> int:
    from confiance.protocol.marks import sign_definition

    from ..routes.marks import definition_from_request

    if not args.base_url:
        raise MalformedDocument("--key needs --base-url (where the definition is hosted)")
    key = load_key(args.key)
    created = timestamp(args.created, "--created")
    body.pop("suite", None)
    definition = definition_from_request(body, issuer=key.did,
                                         base_url=args.base_url.rstrip("/"), now=created)
    signed = sign_definition(definition, key, created=created, suite=args.suite)
    sys.stdout.write(json.dumps(signed, indent=2, ensure_ascii=False) + "\n")
    print(f"id: {definition.id}", file=sys.stderr)
    return 0


def run_award(args: argparse.Namespace) -> int:
    from .operate import admin

    subject: dict[str, Any] = {"id": args.subject, "status": args.status}
    if args.value is not None:
        subject["statusValue"] = int(args.value) if args.value.is_integer() else args.value
    body: dict[str, Any] = {"kind": "TrustMark", "markDefinition": args.mark,
                            "credentialSubject": subject}
    if args.version:
        body["markVersion"] = args.version
    if args.valid_until:
        body["validUntil"] = args.valid_until
    if args.evidence:
        body["evidence"] = list(args.evidence)
    reply = admin(args, "POST", "/admin/issue", body, doing="awarding a mark").body
    if args.json:
        print_json(reply)
        return 0
    print(reply["id"])
    short = reply["id"].rsplit(";", 1)[-1]
    base = reply["url"].rsplit("/assertions/", 1)[0]
    print(f"awarded “{args.mark}” to {args.subject} ({reply['status']}): verify page "
          f"{base}/badges/{short}, badge {base}/badges/{short}.svg", file=sys.stderr)
    return 0
