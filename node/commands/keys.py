"""``confiance keygen``: make an Ed25519 key, write it as a Multikey file (mode 0600)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import write_private_file


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "keygen", help="create an Ed25519 key (did:key) and write it to a key file",
        description="Create an Ed25519 key pair and write it as a JSON Multikey file with "
                    "mode 0600. Prints the DID (did:key) on stdout.")
    parser.add_argument("-o", "--output", metavar="KEYFILE", default="confiance-key.json",
                        help="where to write the key file (default confiance-key.json)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from confiance.protocol.keys import KeyPair

    key = KeyPair.generate()
    write_private_file(args.output, json.dumps(key.to_json(), indent=2) + "\n", force=args.force)
    print(key.did)
    print(f"key written to {args.output} (mode 0600): keep it secret", file=sys.stderr)
    return 0
