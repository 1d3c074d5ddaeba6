"""``confiance subject``: a person's rights over what a node holds about them.

For someone without a node, with only a key file (``confiance keygen``): every request is
signed with that key, so the node knows it comes from the subject.

- ``subject accept ID`` / ``subject reject ID``: a signed Acceptance of an assertion about
  you (``POST /subjects/{you}/acceptances``): accepted, it shows on your personal page;
  rejected, it stops counting and showing anywhere;
- ``subject export``: everything the node holds about you and by you, and what you erased
  (``GET /subjects/{you}/export``, a signed subject request);
- ``subject erase --all`` or ``subject erase ID...``: erase what you issued (``POST
  /subjects/{you}/erasure``, signed). The node keeps tombstones so gossip cannot bring it
  back, and your signed request travels to its peers, which erase too.

A signed subject request names the node it is for (its DID, ``requestAudience``), so that it
cannot be replayed elsewhere: the command asks the node for its DID and, for a did:web,
checks that it is the did:web of ``--node`` (else give ``--audience DID`` knowingly).
See ``confiance.node.subjectauth`` and ``specs/node-api.md`` (subject rights).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from confiance.protocol.errors import MalformedDocument

from .common import load_key, print_json
from .operate import public

__all__ = ["register"]


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "subject", help="your rights as a subject: accept, reject, export, erase "
                        "(signed requests)",
        description="Accept or reject what a node holds about you, export it, or erase what "
                    "you issued, with requests signed by your key.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    accept = actions.add_parser("accept", help="accept an assertion about you")
    reject = actions.add_parser("reject", help="reject an assertion about you")
    for each in (accept, reject):
        each.add_argument("target", metavar="ASSERTION_ID",
                          help="its id as printed (ni:///sha-256;..., the digest, or its URL)")
    export = actions.add_parser("export", help="everything the node holds about you and by "
                                               "you (JSON)")
    export.add_argument("--out", metavar="FILE", help="write it here (default: stdout)")
    erase = actions.add_parser("erase", help="erase what you issued, on this node and, by "
                                             "gossip, on its peers")
    which = erase.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true",
                       help="everything you signed up to now")
    which.add_argument("--ids", nargs="+", metavar="ASSERTION_ID", help="these assertions")
    erase.add_argument("--wait-for", action="append", default=[], metavar="URL",
                       help="a peer of the node to watch until it no longer holds them (the "
                            "request reaches it by gossip); repeatable")
    erase.add_argument("--wait-timeout", type=_seconds, default=30.0, metavar="SECONDS",
                       help="how long to watch each --wait-for peer (default 30, at most 600); "
                            "exit 1 if one still holds some then")
    for each in (accept, reject, export, erase):
        each.add_argument("--key", required=True, metavar="KEYFILE", help="your key file")
        each.add_argument("--node", required=True, metavar="URL", help="the node's base URL")
        each.add_argument("--audience", metavar="DID",
                          help="the node's DID, when it is not the did:web of --node")
        each.add_argument("--json", action="store_true", help="print the node's answer as JSON")
    accept.set_defaults(func=run_decide, accepted=True)
    reject.set_defaults(func=run_decide, accepted=False)
    export.set_defaults(func=run_export)
    erase.set_defaults(func=run_erase)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r:.40}") from None
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError("between 0 and 600 seconds")
    return value


def _audience(args: argparse.Namespace) -> str:
    """The node's DID, checked against its URL (a request signed for it is bound to it)."""
    from ..identity import did_web_for

    did = public(args.node, "GET", "/.well-known/confiance").body.get("did")
    if not isinstance(did, str):
        raise MalformedDocument(f"{args.node} does not say which node it is "
                                "(/.well-known/confiance)")
    if args.audience is not None:
        if did != args.audience:
            raise MalformedDocument(f"{args.node} is {did:.120}, not --audience "
                                    f"{args.audience:.120}: nothing was signed")
        return did
    if did.startswith("did:web:") and did != did_web_for(args.node):
        raise MalformedDocument(
            f"{args.node} says it is {did:.120}, which is not the did:web of that URL: a "
            "request signed for it could be used there; if that is the node you mean, "
            "give --audience DID")
    return did


def _signed_header(args: argparse.Namespace, key: Any, method: str, path: str,
                   body: bytes = b"") -> dict[str, str]:
    from ..subjectauth import make_subject_request

    created = datetime.now(UTC).replace(microsecond=0)
    value = make_subject_request(key, audience=_audience(args), method=method, path=path,
                                 body=body, created=created)
    return {"Authorization": value}


def run_decide(args: argparse.Namespace) -> int:
    from confiance.protocol.assertions import issue
    from confiance.protocol.model import Acceptance

    from .assert_ import target_id

    key = load_key(args.key)
    now = datetime.now(UTC).replace(microsecond=0)
    decision = Acceptance(issuer=key.did, context=None, valid_from=now,
                          target=target_id(args.target), accepted=args.accepted)
    signed = issue(decision, key, suite="eddsa-jcs-2022", created=now)
    path = f"/subjects/{quote(key.did, safe=':')}/acceptances"
    answer = public(args.node, "POST", path, body=signed.document)
    if args.json:
        print_json(answer.body)
        return 0
    print(answer.body["id"])
    word = "accepted" if args.accepted else "rejected"
    print(f"{word} {decision.target} at {args.node}", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    key = load_key(args.key)
    path = f"/subjects/{key.did}/export"
    answer = public(args.node, "GET", path,
                    headers=_signed_header(args, key, "GET", path))
    text = json.dumps(answer.body, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    body = answer.body
    print(f"{args.node} holds {len(body['about'])} assertions about you and "
          f"{len(body['issued'])} you issued; {len(body['erased'])} erased at your request",
          file=sys.stderr)
    return 0


def run_erase(args: argparse.Namespace) -> int:
    from .assert_ import target_id

    key = load_key(args.key)
    request: dict[str, Any] = {"all": True} if args.all else \
        {"ids": [target_id(i) for i in args.ids]}
    raw = json.dumps(request).encode()
    path = f"/subjects/{key.did}/erasure"
    headers = {"Content-Type": "application/json",
               **_signed_header(args, key, "POST", path, raw)}
    answer = public(args.node, "POST", path, raw=raw, headers=headers)
    erased = answer.body["erased"]
    if args.json:
        print_json(answer.body)
    else:
        for content_id in erased:
            print(content_id)
        print(f"{args.node} erased {len(erased)} assertions you issued; your signed request "
              "travels to its peers, which erase them too", file=sys.stderr)
    gone_everywhere = True
    for peer in args.wait_for:
        gone_everywhere &= _wait_until_forgotten(peer, erased, args.wait_timeout)
    return 0 if gone_everywhere else 1


def _wait_until_forgotten(peer: str, ids: list[str], timeout: float) -> bool:
    """Watch ``peer`` until none of ``ids`` is served there any more (410 Gone, or 404: it
    never held it), polling every 0.1 s up to ``timeout`` seconds; say how it went."""
    import time

    started = time.monotonic()
    waiting = [content_id.rsplit(";", 1)[-1] for content_id in ids]
    while True:
        waiting = [short for short in waiting
                   if public(peer, "GET", f"/assertions/{short}",
                             ok=(200, 404, 410)).status == 200]
        took = time.monotonic() - started
        if not waiting:
            print(f"{peer} no longer holds them (after {took:.1f} s)", file=sys.stderr)
            return True
        if took >= timeout:
            print(f"{peer} still holds {len(waiting)} of them after {timeout:g} s: is it a "
                  "peer of the node, recognising it, and running?", file=sys.stderr)
            return False
        time.sleep(0.1)
