"""``confiance assert KIND``: build, validate and sign a Confiance assertion in one command.

This is how an individual publishes a trust mark without running a node: the issuer is the
key's DID, the document is checked against the kind's schema before signing, and the signed
JSON-LD is printed on stdout (its content id on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from confiance.protocol.assertions import issue
from confiance.protocol.errors import SchemaError
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import (
    Acceptance,
    Assertion,
    Rating,
    Recognition,
    Referral,
    Revocation,
    Scale,
    TrustMark,
)
from confiance.protocol.rules import rule_from_json

from .common import (
    add_loader_argument,
    add_suite_argument,
    load_key,
    make_loader,
    print_json,
    read_json_document,
    timestamp,
)

Builder = Callable[[argparse.Namespace, dict[str, Any]], Assertion]


def _scale(text: str | None, default: tuple[float, float]) -> Scale:
    if text is None:
        return Scale(minimum=default[0], maximum=default[1])
    lo, sep, hi = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return Scale(minimum=float(lo), maximum=float(hi))
    except ValueError:
        raise SchemaError(f"--scale takes MIN:MAX (like 1:5 or -10:10), got {text!r}") from None


def _rating(a: argparse.Namespace, common: dict[str, Any]) -> Assertion:
    return Rating(**common, subject=a.subject, score=a.score, scale=_scale(a.scale, (1, 5)),
                  comment=a.text)


def _mark(a: argparse.Namespace, common: dict[str, Any]) -> Assertion:
    return TrustMark(**common, subject=a.subject, mark=a.mark, status=a.value,
                     value=a.status_value, mark_version=a.mark_version,
                     evidence=tuple(a.evidence or ()))


def _referral(a: argparse.Namespace, common: dict[str, Any]) -> Assertion:
    return Referral(**common, subject=a.subject, audience=a.audience, consent=a.consent,
                    comment=a.text)


def _recognition(a: argparse.Namespace, common: dict[str, Any]) -> Assertion:
    rule = rule_from_json(read_json_document(a.rule))
    return Recognition(**common, recognised=a.issuer, rule=rule, mark=a.mark,
                       source_context=a.source_context, scale=_scale(a.scale, (0, 1)))


def _revocation(a: argparse.Namespace, common: dict[str, Any]) -> Assertion:
    return Revocation(**common, target=a.target, reason=a.reason)


def _acceptance(a: argparse.Namespace, common: dict[str, Any]) -> Assertion:
    return Acceptance(**common, target=a.target, accepted=a.accept)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "assert", help="build, validate and sign a Confiance assertion",
        description="Build a Confiance trust assertion of one KIND, check it against its "
                    "schema, sign it with --key (the issuer is the key's did:key) and print the "
                    "signed JSON-LD on stdout; its content id goes to stderr.")
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True

    def kind(name: str, helptext: str, build: Builder, *, context: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = kinds.add_parser(name, help=helptext, description=helptext)
        p.add_argument("--key", required=True, metavar="KEYFILE", help="Multikey key file")
        add_suite_argument(p)
        if context == "required":
            p.add_argument("--context", required=True, metavar="NAME",
                           help="context of trust: a short name (seller, wiki-editor) or an IRI")
        else:
            p.add_argument("--context", metavar="NAME", help="context of trust (optional)")
        p.add_argument("--valid-from", metavar="ISO8601", help="default: --created, or now")
        p.add_argument("--valid-until", metavar="ISO8601", help="default: no end")
        p.add_argument("--created", metavar="ISO8601",
                       help="the proof's created time (default: now); makes output reproducible")
        p.add_argument("--name", help="a short title for the credential")
        p.add_argument("--description", help="a longer description")
        add_loader_argument(p)
        p.set_defaults(func=lambda args: run(args, build))
        return p

    p = kind("rating", "a score on a declared scale", _rating, context="required")
    p.add_argument("--subject", required=True, metavar="ID", help="who is rated (DID or URL)")
    p.add_argument("--score", required=True, type=float, metavar="N",
                   help="the score, on --scale")
    p.add_argument("--scale", metavar="MIN:MAX", help="the scale (default 1:5)")
    p.add_argument("--text", help="a comment")

    p = kind("mark", "a trust mark (badge): a status the subject holds at the issuer", _mark,
             context="required")
    p.add_argument("--subject", required=True, metavar="ID", help="who holds the mark")
    p.add_argument("--mark", required=True, metavar="TERMS_IRI",
                   help="IRI of the mark's definition (its terms)")
    p.add_argument("--value", required=True, metavar="TEXT",
                   help='the status in words, e.g. "97%% positive over 1,204 sales"')
    p.add_argument("--status-value", type=float, metavar="N",
                   help="the same status as a number (e.g. 97), read by conversion rules")
    p.add_argument("--mark-version", metavar="V", help="version of the mark's terms")
    p.add_argument("--evidence", action="append", metavar="IRI", help="evidence link (repeat)")

    p = kind("referral", "vouch for the subject to an audience", _referral, context="required")
    p.add_argument("--subject", required=True, metavar="ID", help="who is referred")
    p.add_argument("--audience", required=True, metavar="ID", help="to whom (site or person)")
    p.add_argument("--consent", metavar="IRI", help="evidence of the subject's consent")
    p.add_argument("--text", help="a comment")

    p = kind("recognition", "a unilateral conversion rule for another issuer's marks",
             _recognition, context="required")
    p.add_argument("--issuer", required=True, metavar="ID",
                   help="the issuer whose marks or ratings this rule reads")
    p.add_argument("--mark", metavar="TERMS_IRI", help="the mark definition the rule reads")
    p.add_argument("--rule", required=True, metavar="RULE.json",
                   help="the conversion rule (LinearRescale, ThresholdTable, CategoricalMap)")
    p.add_argument("--source-context", metavar="NAME",
                   help="their context, when it differs from --context")
    p.add_argument("--scale", metavar="MIN:MAX", help="our scale for the result (default 0:1)")

    p = kind("revocation", "revoke an earlier assertion of yours by its id", _revocation,
             context="optional")
    p.add_argument("--target", required=True, metavar="ASSERTION_ID",
                   help="the id of the assertion revoked (one you issued)")
    p.add_argument("--reason", help="why")

    p = kind("acceptance", "accept or reject an assertion about you", _acceptance,
             context="optional")
    p.add_argument("--target", required=True, metavar="ASSERTION_ID",
                   help="the id of the assertion about you")
    decision = p.add_mutually_exclusive_group(required=True)
    decision.add_argument("--accept", dest="accept", action="store_true",
                          help="accept it: it counts")
    decision.add_argument("--reject", dest="accept", action="store_false",
                          help="reject it: it no longer counts, and nodes stop listing it")


def run(args: argparse.Namespace, build: Builder) -> int:
    key: KeyPair = load_key(args.key)
    created = timestamp(args.created, "--created")
    common: dict[str, Any] = {
        "issuer": key.did,
        "context": args.context,
        "valid_from": (timestamp(args.valid_from, "--valid-from") if args.valid_from
                       else created),
        "valid_until": (timestamp(args.valid_until, "--valid-until") if args.valid_until
                        else None),
        "name": args.name,
        "description": args.description,
    }
    signed = issue(build(args, common), key, suite=args.suite, created=created,
                   loader=make_loader(args.context_dir))
    print_json(signed.document)
    print(f"id: {signed.id}", file=sys.stderr)
    return 0
