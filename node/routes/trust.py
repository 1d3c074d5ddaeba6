"""``GET /trust``: the node's trust engine over HTTP, fed by the store and the ingestor.

``GET /trust?from=A&to=B[&context=C][&algorithm=NAME][&level=L]`` answers how much ``A``
trusts ``B`` in context ``C`` (the only context held when omitted) by ``NAME`` (default
``moletrust``; see ``specs/trust.md``): the JSON form of
:class:`~confiance.protocol.trust.TrustResult`, with the strongest paths, each hop's
assertion id and the conversion rule applied in plain language.

:func:`setup` plugs the engine into a node (``create_app`` calls it when this module
exists): the engine lives on the application under :data:`TRUST_ENGINE`; at start-up it is
filled from every assertion the store holds (statuses at the node's clock), then kept
current by the ingestor's subscriptions (new assertions; erasures), and before each query
the clock is applied (expiry, start of validity). Revocations, subject decisions and
supersession are applied by the engine itself from the assertions it receives.

The engine computes on the event loop thread: on a node-sized graph a query takes
milliseconds; a researcher's million-edge graph belongs to ``confiance trust --graph``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncIterator
from datetime import datetime

from aiohttp import web

from confiance.protocol.errors import ConfianceError
from confiance.protocol.model import from_credential
from confiance.protocol.trust import DEFAULT_ALGORITHMS, TrustEngine

from ..context import NODE
from ..problems import BadRequest
from ..storage import Store, StoredAssertion

__all__ = ["TRUST_ENGINE", "add_stored", "load_engine", "routes", "setup"]

log = logging.getLogger("confiance.node")
TRUST_ENGINE = web.AppKey("confiance.trust_engine", TrustEngine)
routes = web.RouteTableDef()
PAGE = 1000
MAX_PARAM = 2048


def add_stored(engine: TrustEngine, stored: StoredAssertion, now: datetime) -> bool:
    """Feed one stored assertion to the engine with its status at ``now``.

    The store's ``superseded`` is passed as ``valid``: the engine applies the same slots
    itself, so an older assertion counts again if the newer one is later revoked.
    """
    try:
        assertion = from_credential(json.loads(stored.record.document))
    except (ConfianceError, ValueError) as exc:  # held documents verified on the way in
        log.warning("trust engine skipped an assertion", extra={"id": stored.id,
                                                                "error": str(exc)})
        return False
    status = stored.status(now)
    return engine.add(stored.id, assertion, "valid" if status == "superseded" else status)


async def load_engine(engine: TrustEngine, store: Store, *, now: datetime) -> int:
    """Feed every assertion the store holds, in arrival order; the number read."""
    after = count = 0
    while True:
        page = await store.changes(after, PAGE)
        if not page:
            return count
        for stored in page:
            add_stored(engine, stored, now)
        count += len(page)
        after = page[-1].seq


async def _trust_context(app: web.Application) -> AsyncIterator[None]:
    node = app[NODE]
    engine = app[TRUST_ENGINE]
    count = await load_engine(engine, node.store, now=node.now())
    log.info("trust engine ready", extra={"assertions": count,
                                          "contexts": len(engine.graph.contexts)})

    def on_new(stored: StoredAssertion) -> None:
        add_stored(engine, stored, node.now())

    def on_erased(ids: list[str]) -> None:
        for assertion_id in ids:
            engine.remove(assertion_id)

    node.ingestor.subscribe(on_new)
    node.ingestor.subscribe_erasure(on_erased)
    yield


def setup(app: web.Application) -> None:
    """Plug the trust engine into a node: its key, its cleanup context, its route."""
    app[TRUST_ENGINE] = TrustEngine()
    app.cleanup_ctx.append(_trust_context)
    app.router.add_routes(routes)


def _param(request: web.Request, name: str, *, required: bool) -> str | None:
    value = request.query.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(f"the query parameter {name!r} is required", parameter=name)
        return None
    if len(value) > MAX_PARAM:
        raise BadRequest(f"the query parameter {name!r} is longer than {MAX_PARAM} "
                         "characters", parameter=name)
    return value


@routes.get("/trust")
async def get_trust(request: web.Request) -> web.Response:
    """How much ``from`` trusts ``to``, with the explanation (specs/trust.md)."""
    source = _param(request, "from", required=True)
    target = _param(request, "to", required=True)
    context = _param(request, "context", required=False)
    algorithm = _param(request, "algorithm", required=False) or DEFAULT_ALGORITHMS["score"]
    level_text = _param(request, "level", required=False)
    level = 0.0
    if level_text is not None:
        try:
            level = float(level_text)
        except ValueError:
            level = math.nan
        if not -1.0 <= level <= 1.0:
            raise BadRequest("level must be a number in [-1, 1]", parameter="level")
    assert source is not None and target is not None
    engine = request.app[TRUST_ENGINE]
    engine.refresh(request.app[NODE].now())
    result = engine.trust(source, target, context, algorithm, level=level)
    return web.json_response(result.to_json())
