"""``confiance verify``: check every proof of a credential, offline, and say why.

A Confiance assertion (a credential typed ``TrustAssertion``) must also pass what a node
checks before storing one (:func:`~confiance.protocol.assertions.verify_assertion`: the
JSON Schema of its kind, the model's rules, issuer binding, canonical form), reported as
the check ``confiance-assertion``: the CLI and the node give the same verdict.

did:web keys are never fetched: ``--did-document FILE`` gives an issuer's DID document
(saved beside the credential, as ``confiance badges export`` does), whose keys then verify
its proofs within their validity periods.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from confiance.protocol.errors import ConfianceError, VerificationError

from .common import add_loader_argument, make_loader, read_json_document, timestamp

if TYPE_CHECKING:
    from datetime import datetime

    from confiance.protocol.contexts import DocumentLoader
    from confiance.protocol.signing import VerificationReport

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "verify", help="verify a signed document offline (exit 0 valid, 1 invalid, 2 unusable)",
        description="Verify every Data Integrity proof of INPUT, offline. Exit status 0 when "
                    "every proof verifies and the document is within its validity window, 1 "
                    "when not (the reason on stderr, or in the --json report), 2 for unusable "
                    "input or arguments.")
    parser.add_argument("input", metavar="INPUT.json", help="the document ('-' for stdin)")
    add_loader_argument(parser)
    parser.add_argument("--json", action="store_true",
                        help="print a JSON report of every check on stdout")
    parser.add_argument("--require-issuer-binding", action="store_true",
                        help="fail unless the signing key belongs to the issuer")
    parser.add_argument("--now", metavar="ISO8601",
                        help="check the validity window at this time (default: now)")
    parser.add_argument("--did-document", action="append", metavar="DID.json",
                        help="a did:web DID document (e.g. a node's /.well-known/did.json, "
                             "saved beside the credential) whose keys may verify proofs; "
                             "repeat for several")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from confiance.protocol.signing import verify

    try:
        doc = read_json_document(args.input)
        now = timestamp(args.now, "--now")
        loader = make_loader(args.context_dir)
        resolver = did_document_resolver(args.did_document or [])
    except ConfianceError as exc:
        return _unusable(args, exc)
    try:
        report = verify(doc, now=now, loader=loader, key_resolver=resolver,
                        require_issuer_binding=args.require_issuer_binding)
    except VerificationError as exc:  # a check raised instead of reporting: still a "no"
        return _failed(args, exc)
    except ConfianceError as exc:
        return _unusable(args, exc)
    if report.ok and _is_confiance_assertion(doc):
        report = _as_the_node_does(report, doc, now, loader, resolver)
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        for check in report.checks:
            if check.status in ("fail", "warn"):
                print(f"{check.status}: {check.name}: {check.detail}", file=sys.stderr)
        print("valid" if report.ok else "INVALID", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


def _is_confiance_assertion(doc: dict[str, Any]) -> bool:
    types = doc.get("type")
    return isinstance(types, list) and "TrustAssertion" in types


def _as_the_node_does(report: VerificationReport, doc: dict[str, Any], now: datetime,
                      loader: DocumentLoader, resolver: Any) -> VerificationReport:
    """``report`` plus the check a node makes before storing a Confiance assertion."""
    from dataclasses import replace

    from confiance.protocol.assertions import verify_assertion
    from confiance.protocol.signing import Check

    try:
        signed = verify_assertion(doc, now=now, loader=loader, key_resolver=resolver)
    except ConfianceError as exc:
        check = Check("confiance-assertion", "fail", exc.message, exc)
        return replace(report, ok=False, checks=(*report.checks, check))
    check = Check("confiance-assertion", "pass",
                  f"a valid {signed.kind} (schema, model, issuer binding, canonical form); "
                  f"id {signed.id}")
    return replace(report, checks=(*report.checks, check))


def did_document_resolver(paths: list[str]) -> Any:
    """A key resolver for did:key and the keys of the given DID documents (with their
    ``validFrom``/``validUntil``, so a retired key still verifies what it signed in time)."""
    return documents_resolver([(path, read_json_document(path)) for path in paths])


def documents_resolver(documents: list[tuple[str, dict[str, Any]]]) -> Any:
    """:func:`did_document_resolver` for DID documents already read: (where from, document)."""
    from confiance.protocol.errors import KeyResolutionError, MalformedDocument
    from confiance.protocol.keys import ResolvedKey, public_key_from_multibase, resolve_did_key
    from confiance.protocol.model import parse_datetime

    keys: dict[str, ResolvedKey] = {}
    for path, document in documents:
        did = document.get("id")
        methods = document.get("verificationMethod")
        if not isinstance(did, str) or not did.startswith("did:") or not isinstance(
                methods, list):
            raise MalformedDocument(f"{path} is not a DID document (id, verificationMethod)")
        allowed = document.get("assertionMethod", [])
        for method in methods[:64]:
            vm = method.get("id") if isinstance(method, dict) else None
            if not isinstance(vm, str) or not vm.startswith(did + "#") or vm not in allowed:
                continue
            keys[vm] = ResolvedKey(
                public_key=public_key_from_multibase(method.get("publicKeyMultibase")),
                controller=did, id=vm,
                valid_from=parse_datetime(method["validFrom"], "validFrom")
                if isinstance(method.get("validFrom"), str) else None,
                valid_until=parse_datetime(method["validUntil"], "validUntil")
                if isinstance(method.get("validUntil"), str) else None)

    def resolve(verification_method: str) -> ResolvedKey:
        if verification_method.startswith("did:key:"):
            return resolve_did_key(verification_method)
        key = keys.get(verification_method)
        if key is None:
            raise KeyResolutionError(
                f"{verification_method} is not in a DID document given with --did-document "
                "(did:web keys are never fetched: save the issuer's did.json beside it)",
                verificationMethod=verification_method)
        return key

    return resolve


def _unusable(args: argparse.Namespace, exc: ConfianceError) -> int:
    if args.json:
        sys.stdout.write(json.dumps({"ok": False, "usable": False,
                                     "error": exc.to_problem()}, indent=2) + "\n")
    print(f"confiance verify: {exc.message}", file=sys.stderr)
    return EXIT_USAGE


def _failed(args: argparse.Namespace, exc: ConfianceError) -> int:
    if args.json:
        sys.stdout.write(json.dumps({"ok": False, "usable": True,
                                     "error": exc.to_problem()}, indent=2) + "\n")
    print(f"INVALID: {exc.message}", file=sys.stderr)
    return EXIT_FAILED
