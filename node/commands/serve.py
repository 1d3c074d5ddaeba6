"""``confiance serve``: run a node (initialising a default data directory if there is none).

The order matters, and each step is there for a failure a user met:

1. the listen socket is bound first, before the data directory is created or read for
   anything but the configuration, and before any network call: a taken port is one line
   (``cannot listen on 127.0.0.1:8080: address already in use; choose another with
   --port``), exit 2, and nothing is left behind;
2. the data directory is locked (:class:`~..running.ServeLock`): a second ``serve`` on it
   refuses, naming the first;
3. the data directory is initialised if needed, its files brought to mode 0600;
4. the first log lines say where the node listens, its DID, the data directory and where
   the admin token is; then the node starts on the bound socket and, once it serves,
   publishes ``DATA_DIR/run.json`` (where it really listens: what ``confiance peers`` and
   the other commands use to find it), removed again on exit.

``--port 0`` takes a free port; the record and the first log line say which.
``--background`` starts the same command as a process of its own and returns once it
serves (:mod:`.background`; ``confiance stop`` ends it).

Stops cleanly on SIGTERM or SIGINT: aiohttp stops accepting, finishes the requests in
flight (up to 10 s), then the cleanup contexts close the store. Logs go to stderr, readable
on a terminal, JSON lines otherwise (``--log-format``; :mod:`..logs`).
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shutil
import socket
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from confiance.protocol.errors import ConfianceError

from .init import add_data_dir_argument

if TYPE_CHECKING:
    from aiohttp import web

    from ..config import NodeConfig
    from ..running import ServeLock

__all__ = ["CannotListen", "bind_listen_socket", "register"]

log = logging.getLogger("confiance.node")


class CannotListen(ConfianceError):
    """The listen address is taken or not ours to bind."""

    slug = "cannot-listen"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve", help="run a node (creates ./confiance-data on first run)",
        description="Run a Confiance node. With no initialised data directory, one is "
                    "created first (as by `confiance init`), so `confiance serve` alone gives "
                    "a running node. While it runs, DATA_DIR/run.json says where it "
                    "listens (the other commands find it there) and a second serve on the "
                    "same data directory refuses.")
    add_data_dir_argument(parser)
    parser.add_argument("--host", help="listen address (default 127.0.0.1, or the config's)")
    parser.add_argument("--port", type=int,
                        help="listen port (default 8080, or the config's; 0: any free port)")
    parser.add_argument("--log-format", choices=("auto", "text", "json"),
                        help="log lines on stderr: text (readable) or json; default auto: "
                             "text on a terminal, else json (or the config's log.format)")
    parser.add_argument("--background", action="store_true",
                        help="run the node as a background process and return once it "
                             "serves (it prints its URL); its log goes to DATA_DIR/serve.log; "
                             "stop it with: confiance stop --data-dir DIR")
    parser.add_argument("--tls-cert", metavar="PEM",
                        help="serve https with this certificate chain (with --tls-key)")
    parser.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    parser.set_defaults(func=run)


def bind_listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, or :class:`CannotListen` with what to do."""
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CannotListen(f"cannot listen on {shown}: {exc.strerror}; choose another "
                           "address with --host") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        hint = "--port" if exc.errno in (errno.EADDRINUSE, errno.EACCES) else "--host"
        raise CannotListen(f"cannot listen on {shown}: {reason.lower()}; choose another "
                           f"with {hint}") from None
    sock.setblocking(False)
    return sock


def run(args: argparse.Namespace) -> int:
    from ..config import default_data_dir, load_config

    data_dir = Path(args.data_dir or default_data_dir())
    if args.background:
        from .background import start_in_background

        return start_in_background(data_dir, getattr(args, "command_line", None) or
                                   ["serve", "--data-dir", str(data_dir), "--background"],
                                   log_format=args.log_format)
    config = load_config(data_dir, host=args.host, port=args.port, log_format=args.log_format,
                         tls_cert=args.tls_cert, tls_key=args.tls_key)
    from ..tls import server_context

    tls = server_context(config)  # a bad certificate or key: said before anything else
    sock = bind_listen_socket(config.host, config.port)  # 1: before anything else
    created = not data_dir.exists()
    try:
        from ..running import ServeLock

        os.umask(0o077)  # whatever the node creates in its data directory is its alone
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            lock = ServeLock.acquire(data_dir)  # 2
        except BaseException:
            if created:
                shutil.rmtree(data_dir, ignore_errors=True)
            raise
        with lock:
            _serve(config, sock, lock, tls)
    finally:
        sock.close()
    return 0


def _serve(requested: NodeConfig, sock: socket.socket, lock: ServeLock,
           tls: ssl.SSLContext | None = None) -> None:
    from datetime import UTC, datetime

    from ..config import with_listen
    from ..datadir import initialise_data_dir, is_initialised, tighten_modes
    from ..identity import did_web_for
    from ..logs import configure_logging
    from ..running import local_url, new_record

    host, port = sock.getsockname()[:2]
    config = with_listen(requested, None, port)  # the real port, when --port 0
    configure_logging(config.log_format, config.log_level)
    data_dir = config.data_dir
    initialised = None
    if not is_initialised(data_dir):  # 3
        initialised = initialise_data_dir(requested, now=datetime.now(UTC))
    tightened = tighten_modes(data_dir)
    url = local_url(config.host, port, "https" if tls is not None else "http")
    did = did_web_for(config.base_url)
    log.info("listening on %s", url, extra={"url": url, "listen": f"{host}:{port}"})  # 4
    log.info("node DID %s", did, extra={"did": did})
    log.info("data dir %s", data_dir.resolve(), extra={"data_dir": str(data_dir.resolve())})
    log.info("admin token in %s (mode 0600)", config.admin_token_path.resolve(),
             extra={"admin_token": str(config.admin_token_path.resolve())})
    if initialised is not None:
        log.info("initialised a new node", extra={"data_dir": str(initialised.data_dir),
                                                  "files": list(initialised.created)})
    if tightened:
        log.warning("made data directory files private (mode 0600)",
                    extra={"files": tightened})
    record = new_record(url=url, listen=f"{host}:{port}", did=did, data_dir=data_dir)
    _run_app(config, sock, on_serving=lambda: lock.publish(record), tls=tls)


def _run_app(config: NodeConfig, sock: socket.socket, *, on_serving: Any,
             tls: ssl.SSLContext | None = None) -> None:
    """Serve ``create_app(config)`` on ``sock`` until SIGINT or SIGTERM."""
    import asyncio
    import signal

    from aiohttp import web

    from ..app import create_app
    from ..logs import AccessLogger
    from ..malformed import answer_malformed_requests

    async def main() -> None:
        runner = web.AppRunner(create_app(config), handle_signals=False,
                               access_log_class=AccessLogger,
                               access_log=logging.getLogger("confiance.access"),
                               shutdown_timeout=10)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await runner.setup()
        try:
            answer_malformed_requests(runner)
            site: web.BaseSite = web.SockSite(runner, sock, ssl_context=tls)
            await site.start()
            on_serving()
            await stop.wait()
            log.info("stopping", extra={"url": site.name})
        finally:
            await runner.cleanup()

    asyncio.run(main())
