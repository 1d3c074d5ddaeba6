"""``GET /trust``: the node's trust engine over HTTP, fed by the store and the ingestor.

``GET /trust?from=A&to=B[&context=C][&algorithm=NAME][&level=L][&distrust=D][&penalty=P]``
answers how much ``A`` trusts ``B`` in context ``C`` (the only context held when omitted)
by ``NAME`` (default ``moletrust``; see ``specs/trust.md``): the JSON form of
:class:`~confiance.protocol.trust.TrustResult`, with the strongest paths, each hop's
assertion id and the conversion rule applied in plain language, the algorithm's raw figure
beside the adjusted one. ``GET /trust/rank?from=A[&top=K]...`` lists the parties ``A``
trusts most (default ``ppr``): :class:`~confiance.protocol.trust.RankResult`. The layers
(``distrust=one-hop|none``, ``penalty=on|off``) default to ``one-hop`` and ``on``.

:func:`setup` plugs the engine into a node (``create_app`` calls it when this module
exists). The engine lives behind a :class:`~confiance.node.trustworker.TrustWorker` (one
thread of its own: the event loop never computes trust) under :data:`TRUST_WORKER`. At
start-up the worker subscribes to the ingestor (new assertions, erasures), then reads every
assertion the store holds in the background (:func:`~confiance.node.trustfeed.attach_trust_engine`);
a query during that load waits for it up to :data:`LOAD_WAIT` seconds, then is answered
503 ``trust-engine-loading``. Before each query the clock is applied (expiry, start of
validity). Revocations, subject decisions and supersession are applied by the engine
itself from the assertions it receives.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator

from aiohttp import web

from confiance.protocol.trust import (
    DEFAULT_ALGORITHMS,
    DISTRUST_LAYERS,
    RankResult,
    TrustEngine,
    TrustResult,
)

from ..context import NODE
from ..explained import name_rules  # the rule sentences in the node's words
from ..http import query_int
from ..judging import judging
from ..problems import BadRequest, TrustEngineLoading
from ..trustfeed import attach_trust_engine
from ..trustworker import TrustWorker

__all__ = ["LOAD_WAIT", "TRUST_WORKER", "routes", "setup"]

log = logging.getLogger("confiance.node")
TRUST_WORKER = web.AppKey("confiance.trust_worker", TrustWorker)
_LOADED = web.AppKey("confiance.trust_loaded", asyncio.Event)
routes = web.RouteTableDef()
MAX_PARAM = 2048
#: Most entries ``GET /trust/rank`` lists.
MAX_TOP = 1000
#: How long a query made while the engine is still loading waits before a 503.
LOAD_WAIT = 5.0


async def _trust_context(app: web.Application) -> AsyncIterator[None]:
    node = app[NODE]
    worker = app[TRUST_WORKER]
    loaded = app[_LOADED]
    loading = await attach_trust_engine(worker, node)

    def done(task: asyncio.Task[None]) -> None:
        if loading.done() and not loading.cancelled() and loading.exception() is None:
            loaded.set()

    try:
        # the kept judgements of erased referrals (node/judging.py) are applied before the
        # first query is answered
        async with judging(worker, node, loading) as ready:
            ready.add_done_callback(done)
            yield
    finally:
        loading.cancel()
        await asyncio.gather(loading, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(None, worker.close)


def setup(app: web.Application) -> None:
    """Plug the trust engine into a node: its worker, its cleanup context, its route."""
    app[TRUST_WORKER] = TrustWorker(TrustEngine())
    app[_LOADED] = asyncio.Event()
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


def _level(request: web.Request) -> float:
    level_text = _param(request, "level", required=False)
    level = 0.0
    if level_text is not None:
        try:
            level = float(level_text)
        except ValueError:
            level = math.nan
        if not -1.0 <= level <= 1.0:
            raise BadRequest("level must be a number in [-1, 1]", parameter="level")
    return level


def _layers(request: web.Request) -> tuple[str, bool]:
    """The ``distrust`` (``one-hop`` or ``none``) and ``penalty`` (``on`` or ``off``) layers."""
    distrust = _param(request, "distrust", required=False) or "one-hop"
    if distrust not in DISTRUST_LAYERS:
        raise BadRequest(f"distrust must be one of {', '.join(DISTRUST_LAYERS)}",
                         parameter="distrust")
    penalty = _param(request, "penalty", required=False) or "on"
    if penalty not in ("on", "off"):
        raise BadRequest("penalty must be on or off", parameter="penalty")
    return distrust, penalty == "on"


async def _loaded(request: web.Request) -> None:
    loaded = request.app[_LOADED]
    if not loaded.is_set():
        try:
            await asyncio.wait_for(loaded.wait(), LOAD_WAIT)
        except TimeoutError:
            raise TrustEngineLoading("the trust engine is still reading the assertions held",
                                     retry_after=LOAD_WAIT) from None


@routes.get("/trust")
async def get_trust(request: web.Request) -> web.Response:
    """How much ``from`` trusts ``to``, with the explanation (specs/trust.md)."""
    source = _param(request, "from", required=True)
    target = _param(request, "to", required=True)
    context = _param(request, "context", required=False)
    algorithm = _param(request, "algorithm", required=False) or DEFAULT_ALGORITHMS["score"]
    level = _level(request)
    distrust, penalty = _layers(request)
    assert source is not None and target is not None
    await _loaded(request)
    now = request.app[NODE].now()

    def query(engine: TrustEngine) -> TrustResult:
        engine.refresh(now)
        return engine.trust(source, target, context, algorithm, level=level,
                            distrust=distrust, penalty=penalty)

    result = await request.app[TRUST_WORKER].run(query)
    return web.json_response(await name_rules(request.app, result.to_json()))


@routes.get("/trust/rank")
async def get_trust_rank(request: web.Request) -> web.Response:
    """The parties ``from`` trusts most, best first, each score beside its raw figure."""
    source = _param(request, "from", required=True)
    context = _param(request, "context", required=False)
    algorithm = _param(request, "algorithm", required=False) or DEFAULT_ALGORITHMS["rank"]
    top = query_int(request, "top", 10, low=1, high=MAX_TOP)
    level = _level(request)
    distrust, penalty = _layers(request)
    assert source is not None
    await _loaded(request)
    now = request.app[NODE].now()

    def query(engine: TrustEngine) -> RankResult:
        engine.refresh(now)
        return engine.rank(source, context, algorithm, top=top, level=level,
                           distrust=distrust, penalty=penalty)

    result = await request.app[TRUST_WORKER].run(query)
    return web.json_response(result.to_json())
