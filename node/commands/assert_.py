"""``confiance assert KIND``: build, validate and sign a Confiance assertion in one command.

This is how an individual publishes a trust mark without running a node: the issuer is the
key's DID, the document is checked against the kind's schema before signing, and the signed
JSON-LD is printed on stdout, its content id alone on stderr (``--json``: both on stdout, as
``{"id": ..., "document": ...}``). ``--target`` takes an id in any form a tool prints it:
``ni:///sha-256;<digest>``, the 43-character digest, or the assertion's URL on a node.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from typing import Any

from confiance.protocol.errors import ConfianceError, SchemaError
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

_TARGET_HELP = ("the assertion's id, as printed: ni:///sha-256;<digest>, the 43-character "
                "digest alone, or its URL on a node (.../assertions/<digest>)")

Builder = Callable[[argparse.Namespace, dict[str, Any]], Assertion]


#: What argparse may take as a value although it starts with "-": a negative number, or a
#: scale from a negative minimum (``--scale -1:1``: without this, "expected one argument").
NEGATIVE_VALUES = re.compile(r"^-\d+$|^-\d*\.\d+$|^-[\d.]+:-?[\d.]+$")


def allow_negative_ranges(parser: argparse.ArgumentParser) -> None:
    """Let ``parser`` read ``--scale -1:1`` (and ``--score -1``) as values."""
    parser._negative_number_matcher = NEGATIVE_VALUES


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
    mark, version = a.mark, a.mark_version
    if a.definition:  # link the mark to its signed definition (confiance marks create)
        from confiance.protocol.marks import definition_from_document

        definition = definition_from_document(read_json_document(a.definition))
        if mark is not None and mark != definition.mark:
            raise SchemaError(f"--mark {mark} is not the mark {definition.mark} that "
                              f"{a.definition} defines")
        mark, version = definition.mark, definition.version
        if common["context"] is None:
            common["context"] = definition.context
        elif common["context"] != definition.context:
            raise SchemaError(f"the mark is defined for the context {definition.context!r}, "
                              f"not {common['context']!r}")
        if common["name"] is None:
            common["name"] = definition.name
    if mark is None:
        raise SchemaError("give the mark: --mark TERMS_IRI or --definition DEF.json")
    return TrustMark(**common, subject=a.subject, mark=mark, status=a.value,
                     value=a.status_value, mark_version=version,
                     evidence=tuple(a.evidence or ()))


def _referral(a: argparse.Namespace, common: dict[str, Any]) -> Assertion:
    return Referral(**common, subject=a.subject, audience=a.audience, consent=a.consent,
                    comment=a.text)


def _recognition(a: argparse.Namespace, common: dict[str, Any]) -> Assertion:
    rule = rule_from_json(read_json_document(a.rule))
    return Recognition(**common, recognised=a.issuer, rule=rule, mark=a.mark,
                       source_context=a.source_context, scale=_scale(a.scale, (0, 1)))


def target_id(text: str) -> str:
    """An assertion id from ``--target``: ``ni:///sha-256;D``, ``D``, or ``.../assertions/D``."""
    from urllib.parse import unquote

    from confiance.protocol.ids import id_from_digest, parse_assertion_id

    text = text.strip()
    if "/assertions/" in text and not text.startswith("ni:"):
        text = unquote(text.rsplit("/assertions/", 1)[1].split("?", 1)[0])
    try:
        return id_from_digest(parse_assertion_id(text))
    except SchemaError:
        raise
    except ConfianceError:
        raise SchemaError(f"--target must be an assertion id (ni:///sha-256;<43 base64url "
                          f"characters>, the 43 characters alone, or the assertion's URL on "
                          f"a node), got {text!r:.80}") from None


def _revocation(a: argparse.Namespace, common: dict[str, Any]) -> Assertion:
    return Revocation(**common, target=target_id(a.target), reason=a.reason)


def _acceptance(a: argparse.Namespace, common: dict[str, Any]) -> Assertion:
    return Acceptance(**common, target=target_id(a.target), accepted=a.accept)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "assert", help="build, validate and sign a Confiance assertion",
        description="Build a Confiance trust assertion of one KIND, check it against its "
                    "schema, sign it with --key (the issuer is the key's did:key) and print the "
                    "signed JSON-LD on stdout; its content id goes to stderr (with --json, "
                    "both go to stdout).")
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True

    def kind(name: str, helptext: str, build: Builder, *, context: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = kinds.add_parser(name, help=helptext, description=helptext)
        allow_negative_ranges(p)
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
        p.add_argument("--json", action="store_true",
                       help='print {"id": ..., "document": ...} on stdout')
        p.set_defaults(func=lambda args: run(args, build))
        return p

    p = kind("rating", "a score on a declared scale", _rating, context="required")
    p.add_argument("--subject", required=True, metavar="ID", help="who is rated (DID or URL)")
    p.add_argument("--score", required=True, type=float, metavar="N",
                   help="the score, on --scale")
    p.add_argument("--scale", metavar="MIN:MAX", help="the scale (default 1:5)")
    p.add_argument("--text", help="a comment")

    p = kind("mark", "a trust mark (badge): a status the subject holds at the issuer", _mark,
             context="optional")
    p.add_argument("--subject", required=True, metavar="ID", help="who holds the mark")
    p.add_argument("--mark", metavar="TERMS_IRI",
                   help="IRI of the mark's definition (its terms)")
    p.add_argument("--definition", metavar="DEF.json",
                   help="the mark's signed definition (confiance marks create): sets --mark, "
                        "--mark-version and, when absent, --context and --name")
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
    p.add_argument("--target", required=True, metavar="ASSERTION_ID", help=_TARGET_HELP)
    p.add_argument("--reason", help="why")

    p = kind("acceptance", "accept or reject an assertion about you", _acceptance,
             context="optional")
    p.add_argument("--target", required=True, metavar="ASSERTION_ID", help=_TARGET_HELP)
    decision = p.add_mutually_exclusive_group(required=True)
    decision.add_argument("--accept", dest="accept", action="store_true",
                          help="you accept it: nodes show it")
    decision.add_argument("--reject", dest="accept", action="store_false",
                          help="you reject it: nodes stop showing it")


def run(args: argparse.Namespace, build: Builder) -> int:
    from confiance.protocol.assertions import issue

    key = load_key(args.key)
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
    if args.json:
        print_json({"id": signed.id, "document": signed.document})
    else:
        print_json(signed.document)
        print(signed.id, file=sys.stderr)  # alone: a form --target takes
    return 0
