"""``create_app(config)``: the aiohttp application of a node, with no global state.

Resources live in ``cleanup_ctx`` (opened at start-up, closed at shutdown, in reverse
order): the store, the keyring, the verification executor. Everything a handler needs is on
the application under the typed key :data:`~.context.NODE`; route tables come from one
module per resource. The middlewares are, outermost first: errors -> problem+json, then
per-client rate limits.

Optional parts join when their module exists: ``node/routes/trust.py`` (the trust engine)
and ``node/routes/gossip.py`` (gossip, whose engine is ``node/peers/``) each expose
``setup(app)``, which adds routes and a cleanup context of its own (appended after the
node's, so ``app[NODE]`` is ready when it runs).
A part that needs the stored assertions loads them with ``node.store.changes(after, limit)``
at start-up and follows new ones with ``node.ingestor.subscribe(listener)`` and erasures
with ``node.ingestor.subscribe_erasure(listener)``. Their routes are documented in
``openapi.OPTIONAL_PATHS``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

from aiohttp import web

from confiance.protocol.contexts import DocumentLoader, default_loader
from confiance.protocol.limits import DEFAULT_LIMITS
from confiance.protocol.openbadges import open_badges_loader

from .config import NodeConfig
from .context import NODE, Node, utc_now
from .datadir import read_admin_token
from .identity import did_web_for
from .ingest import Ingestor
from .keyring import Keyring
from .middlewares import error_middleware, make_rate_limit_middleware, security_headers
from .nodecontext import NODE_CONTEXT, NODE_CONTEXT_URL
from .ratelimit import RateLimiter
from .routes import admin, assertions, badges, health, marks, pages, status, subjects, wellknown
from .statuslist import StatusLists
from .storage import SqliteStore

__all__ = ["CONFIG", "RATE_LIMIT_EXEMPT", "create_app"]

log = logging.getLogger("confiance.node")
CONFIG = web.AppKey("confiance.config", NodeConfig)
#: Paths the per-client rate limits do not apply to; optional parts may add theirs.
RATE_LIMIT_EXEMPT = web.AppKey("confiance.rate_limit_exempt", set)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("confiance")
    except PackageNotFoundError:  # pragma: no cover - bare checkout
        return "0+unknown"


def create_app(config: NodeConfig, *, clock: Callable[[], datetime] = utc_now,
               loader: DocumentLoader | None = None, verify_threads: int = 0
               ) -> web.Application:
    """The node's application for an initialised data directory (``confiance init``).

    ``clock`` is for tests (expiry, key rotation); ``verify_threads`` > 0 runs proof
    verification on a thread pool instead of the event loop thread.
    """
    state: dict[str, str] = {}
    exempt: set[str] = {"/health", "/gossip"}
    reads = RateLimiter(config.read_rate, max_clients=config.max_tracked_clients)
    writes = RateLimiter(config.write_rate, max_clients=config.max_tracked_clients)
    app = web.Application(
        client_max_size=config.max_body_bytes,
        middlewares=[error_middleware, make_rate_limit_middleware(
            reads=reads, writes=writes, trust_forwarded_for=config.trust_forwarded_for,
            admin_token=lambda: state.get("admin_token", "\0unset"), exempt=exempt)])
    app[CONFIG] = config
    app[RATE_LIMIT_EXEMPT] = exempt
    app.on_response_prepare.append(security_headers)

    async def node_context(app: web.Application) -> AsyncIterator[None]:
        did = did_web_for(config.base_url)
        keyring = Keyring.load(config.keys_dir, did=did)
        state["admin_token"] = read_admin_token(config)
        store = await SqliteStore.open(config.database_path, clock=clock)
        executor = ThreadPoolExecutor(verify_threads, thread_name_prefix="confiance-verify") \
            if verify_threads > 0 else None
        limits = replace(DEFAULT_LIMITS, max_bytes=config.max_body_bytes)
        doc_loader = open_badges_loader((loader or default_loader()).with_documents(
            {NODE_CONTEXT_URL: NODE_CONTEXT}))
        try:
            ingestor = Ingestor(store, keyring, loader=doc_loader, limits=limits,
                                unaccepted_cap=config.max_unaccepted_per_subject,
                                clock=clock, executor=executor)
            app[NODE] = Node(
                config=config, did=did, base_url=config.base_url, store=store,
                keyring=keyring, ingestor=ingestor, loader=doc_loader, limits=limits,
                admin_token=state["admin_token"],
                status_lists=StatusLists(store, base_url=config.base_url, issuer=did,
                                         size=config.status_list_size),
                version=_version(), started_at=clock(), clock=clock)
            log.info("node ready", extra={"did": did, "url": config.base_url,
                                          "data_dir": str(config.data_dir)})
            yield
        finally:
            if executor is not None:
                executor.shutdown(wait=True)
            await store.close()
            log.info("node stopped", extra={"did": did})

    app.cleanup_ctx.append(node_context)
    pages.setup(app)
    # pages before subjects: /subjects/{subject} is a page, /subjects/{subject}/... the API
    for module in (health, wellknown, assertions, status, admin, marks, badges, pages,
                   subjects):
        app.router.add_routes(module.routes)
    _optional_parts(app)
    return app


def _optional_parts(app: web.Application) -> None:
    """Let the trust engine and gossip plug in, when their modules exist."""
    for name in ("confiance.node.routes.trust", "confiance.node.routes.gossip"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        setup = getattr(module, "setup", None)
        if callable(setup):
            setup(app)
