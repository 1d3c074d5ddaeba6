"""``confiance sign``: add a Data Integrity proof to any JSON-LD credential."""

from __future__ import annotations

import argparse
from typing import Any

from .common import (
    add_loader_argument,
    add_suite_argument,
    load_key,
    make_loader,
    print_json,
    read_json_document,
    timestamp,
)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "sign", help="sign a JSON-LD document (prints the signed document)",
        description="Add a DataIntegrityProof (eddsa-rdfc-2022 or eddsa-jcs-2022) to INPUT and "
                    "print the signed document. A document that has a proof already gets a "
                    "proof set. --created makes the output reproducible.")
    parser.add_argument("input", metavar="INPUT.json", help="the document ('-' for stdin)")
    parser.add_argument("--key", required=True, metavar="KEYFILE", help="Multikey key file")
    add_suite_argument(parser)
    parser.add_argument("--created", metavar="ISO8601",
                        help="the proof's created time (default: now)")
    add_loader_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from confiance.protocol.signing import sign

    key = load_key(args.key)
    doc = read_json_document(args.input)
    signed = sign(doc, key, suite=args.suite, created=timestamp(args.created, "--created"),
                  loader=make_loader(args.context_dir))
    print_json(signed)
    return 0
