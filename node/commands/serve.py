"""``confiance serve``: run a node (initialising a default data directory if there is none).

Stops cleanly on SIGTERM or SIGINT: aiohttp stops accepting, finishes the requests in
flight (up to 10 s), then the cleanup contexts close the store. Logs are structured (JSON
lines by default, ``log.format = "text"`` for key=value) on stderr.
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ..app import create_app
from ..config import default_data_dir, load_config
from ..datadir import initialise_data_dir, is_initialised
from ..logs import AccessLogger, configure_logging
from ..tls import server_context
from .init import add_data_dir_argument

log = logging.getLogger("confiance.node")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve", help="run a node (creates ./confiance-data on first run)",
        description="Run a Confiance node. With no initialised data directory, one is "
                    "created first (as by `confiance init`), so `confiance serve` alone gives "
                    "a running node.")
    add_data_dir_argument(parser)
    parser.add_argument("--host", help="listen address (default 127.0.0.1, or the config's)")
    parser.add_argument("--port", type=int, help="listen port (default 8080, or the config's)")
    parser.add_argument("--tls-cert", metavar="PEM",
                        help="serve https with this certificate chain (with --tls-key)")
    parser.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data_dir = args.data_dir or default_data_dir()
    config = load_config(data_dir, host=args.host, port=args.port, tls_cert=args.tls_cert,
                         tls_key=args.tls_key)
    configure_logging(config.log_format, config.log_level)
    tls = server_context(config)
    if not is_initialised(config.data_dir):
        result = initialise_data_dir(config, now=datetime.now(UTC))
        log.info("initialised a new node", extra={"data_dir": str(result.data_dir),
                                                  "files": list(result.created)})
    app = create_app(config)
    try:
        web.run_app(app, host=config.host, port=config.port, access_log_class=AccessLogger,
                    access_log=logging.getLogger("confiance.access"), shutdown_timeout=10,
                    print=lambda text: log.info("listening", extra={
                        "url": f"{'https' if tls else 'http'}://{config.host}:{config.port}"}),
                    handle_signals=True, ssl_context=tls)
    except OSError as exc:  # the address is taken, or not ours to bind
        log.error("cannot listen", extra={"host": config.host, "port": config.port,
                                          "error": exc.strerror or str(exc)})
        return 2
    return 0
