"""``confiance init``: create a node's data directory (keys, config, admin token, database)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "init", help="create a node: signing and rotation keys, config, admin token, database",
        description="Create a node's data directory: a signing key and a separate rotation "
                    "key (mode 0600), confiance.toml, an admin token in admin.token (mode "
                    "0600) and the SQLite database. The data directory is --data-dir, else "
                    "$CONFIANCE_DATA_DIR, else ./confiance-data.")
    add_data_dir_argument(parser)
    parser.add_argument("--name", help="the node's display name (default: confiance)")
    parser.add_argument("--public-url", metavar="URL",
                        help="the https URL the node is reached at; its DID is the did:web of "
                             "this URL (default: the listen address)")
    parser.add_argument("--host", help="listen address to record (default 127.0.0.1)")
    parser.add_argument("--port", type=int,
                        help="listen port to record (default: the port of a --public-url on "
                             "this machine, e.g. http://127.0.0.1:9101; else 8080)")
    parser.set_defaults(func=run)


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        help="the node's data directory (default: $CONFIANCE_DATA_DIR, else "
                             "./confiance-data)")


def run(args: argparse.Namespace) -> int:
    import os
    from datetime import UTC, datetime

    from ..config import default_data_dir, load_config, loopback_listen
    from ..datadir import initialise_data_dir, is_initialised
    from ..identity import did_web_for

    os.umask(0o077)  # whatever is created in the data directory is the node's alone
    data_dir = args.data_dir or default_data_dir()
    host, port = args.host, args.port
    follow = loopback_listen(args.public_url)
    if follow is not None and port is None and "CONFIANCE_PORT" not in os.environ:
        # its did:web names this address: listening anywhere else would make it unreachable
        host, port = host or follow[0], follow[1]
    config = load_config(data_dir, name=args.name, public_url=args.public_url,
                         host=host, port=port)
    if is_initialised(config.data_dir):
        print(f"confiance init: {config.data_dir} holds a node already; nothing changed",
              file=sys.stderr)
        return 1
    result = initialise_data_dir(config, now=datetime.now(UTC))
    print(did_web_for(config.base_url))
    print(f"node created in {result.data_dir}: {', '.join(result.created)}", file=sys.stderr)
    if follow is not None and follow[1] != config.port:
        print(f"warning: the public URL {config.public_url} is on this machine, port "
              f"{follow[1]}, but the node will listen on port {config.port}: nothing will "
              "answer at its DID", file=sys.stderr)
    where = ("the port of its public URL" if follow is not None and follow[1] == config.port
             else "as confiance.toml says")
    print(f"admin token in {config.admin_token_path} (mode 0600); start it with: "
          f"confiance serve --data-dir {result.data_dir} (it listens on "
          f"{config.host}:{config.port}, {where}; --port overrides)", file=sys.stderr)
    return 0
