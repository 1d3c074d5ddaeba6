"""``confiance submit FILE... --node URL``: send signed assertions to a node.

How a person without a node publishes what it signed (``confiance assert``, ``confiance
sign``): each document goes to ``POST /assertions`` on the node, which verifies it before
storing it (201 new, 200 already held) and gossips it to its peers. ``-`` reads one document
from stdin, so ``confiance assert ... | confiance submit --node URL -`` signs and sends.
Prints each stored id on stdout; a refusal stops with the node's reason and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import print_json, read_bytes

__all__ = ["register"]


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "submit", help="send signed assertions to a node (POST /assertions)",
        description="Send signed assertions to a node's public API (POST /assertions). The "
                    "node verifies each before storing it and gossips it to its peers.")
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="signed JSON-LD documents (- for stdin)")
    parser.add_argument("--node", required=True, metavar="URL", help="the node's base URL")
    parser.add_argument("--json", action="store_true", help="print the node's answers as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from confiance.protocol.canonical import parse_json
    from confiance.protocol.errors import MalformedDocument
    from confiance.protocol.limits import DEFAULT_LIMITS

    from .operate import public

    answers = []
    for path in args.files:
        raw = read_bytes(path, DEFAULT_LIMITS.max_bytes)
        if not isinstance(parse_json(raw, DEFAULT_LIMITS), dict):
            raise MalformedDocument(f"{path} does not hold a JSON object")
        answer = public(args.node, "POST", "/assertions", raw=raw,
                        headers={"Content-Type": "application/ld+json"})
        reply = answer.body
        answers.append(reply)
        if not args.json:
            print(reply["id"])
            print(f"{path}: {'stored' if answer.status == 201 else 'already held'} at "
                  f"{reply['url']} ({reply['status']})", file=sys.stderr)
    if args.json:
        print_json(answers if len(answers) > 1 else answers[0])
    return 0
