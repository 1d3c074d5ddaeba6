"""``confiance revoke ID``: the running node revokes an assertion it issued.

The node signs a Revocation (kept forever, so that a stale peer cannot bring the assertion
back), sets the assertion's bit in its signed status list, and gossips the Revocation: the
API (``Confiance-Status: revoked``), the badge, the verify page and the peers' copies all
say "revoked". An individual revokes what it signed with ``confiance assert revocation
--key`` and ``confiance submit``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import add_node_argument, print_json
from .init import add_data_dir_argument

__all__ = ["register"]


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "revoke", help="revoke an assertion the node issued (a mark, a rule...)",
        description="The node running from the data directory revokes an assertion it "
                    "issued: it signs a Revocation, sets the assertion's bit in its status "
                    "list and gossips the Revocation to its peers.")
    parser.add_argument("target", metavar="ASSERTION_ID",
                        help="the id as printed (ni:///sha-256;..., the 43-character digest, "
                             "or the assertion's URL)")
    parser.add_argument("--reason", help="why, in words (kept in the Revocation)")
    parser.add_argument("--json", action="store_true", help="print the node's answer as JSON")
    add_data_dir_argument(parser)
    add_node_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    from .assert_ import target_id
    from .operate import admin

    target = target_id(args.target)
    body = {"reason": args.reason} if args.reason else None
    answer = admin(args, "POST", "/admin/revoke/" + quote(target.rsplit(";", 1)[-1], safe=""),
                   body, doing="revoking")
    reply = answer.body
    if args.json:
        print_json(reply)
        return 0
    print(reply["id"])
    print(("revoked " if answer.status == 201 else "already revoked ") + target,
          file=sys.stderr)
    return 0
