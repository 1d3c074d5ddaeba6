"""``GET /health``: is the process up and serving (cheap: no database round trip)."""

from __future__ import annotations

from aiohttp import web

from ..context import NODE
from ..http import json_response

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    node = request.app[NODE]
    uptime = (node.now() - node.started_at).total_seconds()
    return json_response({"status": "ok", "did": node.did, "version": node.version,
                          "uptimeSeconds": round(uptime, 3)},
                         headers={"Cache-Control": "no-store"})
