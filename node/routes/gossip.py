"""``POST /gossip`` (peer sessions) and the operator's peer API (``/admin/peers``).

``POST /gossip`` carries one gossip message (``specs/gossip.md``) and answers with one. Its
body is read here with the gossip size limit (a push of many documents exceeds the 64 KiB
limit of ``POST /assertions``), then handed to :meth:`~..peers.engine.Gossip.handle` (the
responder, :mod:`..peers.responder`). Answers are
gossip messages (``application/json``) even when refusing, so that a peer's session state
machine sees the refusal; ``204`` answers ``close``. The exception: a ``hello`` whose signed
proof fails is 401 ``hello-not-authenticated`` problem+json (it comes from no known peer).

Admin (bearer admin token):

- ``GET /admin/peers``: the recognised peers with status, score, failures, queues; and
  gossip counters;
- ``POST /admin/peers`` ``{"url": ..., "name"?: ..., "filters"?: {"kinds": [...],
  "contexts": [...], "issuers": [...]}}``: recognise a peer (201) or update it (200);
- ``DELETE /admin/peers/{peer}`` (name or URL): stop exchanging with it (204);
- ``POST /admin/peers/{peer}/reinstate``: undo a drop (200).

:func:`setup` plugs gossip into a node (``create_app`` calls it when this module exists):
the engine's cleanup context (:func:`~..peers.engine.gossip_context`) and these routes. The
dependency is one-way: this module imports :mod:`..peers`, never the reverse.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from confiance.protocol.errors import DocumentTooLarge, MalformedDocument

from ..http import json_bytes_response, json_response, read_json_body
from ..peers.engine import GOSSIP, gossip_context
from ..peers.outbound import SESSION_HEADER
from ..problems import NotFound, UnsupportedMediaType
from .admin import require_admin

__all__ = ["routes", "setup"]

routes = web.RouteTableDef()


def setup(app: web.Application) -> None:
    """Plug gossip into the node: its cleanup context and its routes."""
    app.cleanup_ctx.append(gossip_context)
    app.router.add_routes(routes)


@routes.post("/gossip")
async def gossip(request: web.Request) -> web.Response:
    """One gossip request from a peer; the answer is one gossip message."""
    engine = request.app[GOSSIP]
    if request.content_type != "application/json":
        raise UnsupportedMediaType("gossip messages are application/json",
                                   accepted=["application/json"])
    limit = engine.limits.max_message_bytes
    if request.content_length is not None and request.content_length > limit:
        raise DocumentTooLarge(f"a gossip message is at most {limit} bytes", limit=limit)
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > limit:
            raise DocumentTooLarge(f"a gossip message is at most {limit} bytes", limit=limit)
    status, answer = await engine.handle(bytes(body), request.headers.get(SESSION_HEADER))
    if status == 204:
        return web.Response(status=204)
    return json_bytes_response(answer, status=status)


@routes.get("/admin/peers")
async def list_peers(request: web.Request) -> web.Response:
    require_admin(request)
    engine = request.app[GOSSIP]
    peers = [engine.peer_json(link) for link in sorted(engine.links.values(),
                                                        key=lambda x: x.name)]
    return json_response({"peers": peers, "node": engine.root, "ids": len(engine.catalog),
                          "stats": dataclasses.asdict(engine.stats)})


@routes.post("/admin/peers")
async def add_peer(request: web.Request) -> web.Response:
    node = require_admin(request)
    engine = request.app[GOSSIP]
    body: dict[str, Any] = await read_json_body(request, node.limits)
    extra = set(body) - {"url", "name", "filters"}
    if extra:
        raise MalformedDocument(f"unknown members: {', '.join(sorted(extra))}")
    name, filters = body.get("name"), body.get("filters")
    if name is not None and not isinstance(name, str):
        raise MalformedDocument("name must be a string")
    if filters is not None and not isinstance(filters, dict):
        raise MalformedDocument("filters must be an object with kinds, contexts, issuers")
    link, created = await engine.add_peer(body.get("url"),  # type: ignore[arg-type]
                                          name=name, filters=filters)
    return json_response(engine.peer_json(link), status=201 if created else 200)


@routes.delete("/admin/peers/{peer}")
async def remove_peer(request: web.Request) -> web.Response:
    require_admin(request)
    key = request.match_info["peer"]
    if not await request.app[GOSSIP].remove_peer(key):
        raise NotFound(f"no recognised peer named {key[:200]!r}")
    return web.Response(status=204)


@routes.post("/admin/peers/{peer}/reinstate")
async def reinstate_peer(request: web.Request) -> web.Response:
    require_admin(request)
    engine = request.app[GOSSIP]
    key = request.match_info["peer"]
    link = await engine.reinstate(key)
    if link is None:
        raise NotFound(f"no recognised peer named {key[:200]!r}")
    return json_response(engine.peer_json(link))
