"""``GET /status/{list}``: the node's signed W3C Bitstring Status List credentials."""

from __future__ import annotations

from aiohttp import web

from confiance.protocol.digits import ascii_digits

from ..context import NODE
from ..http import json_response
from ..problems import NotFound

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/status/{list}")
async def get_status_list(request: web.Request) -> web.Response:
    node = request.app[NODE]
    raw = request.match_info["list"]
    if not ascii_digits(raw) or len(raw) > 9:
        raise NotFound(f"status lists are numbered from 1; {raw[:40]!r} is not one",
                       list=raw[:40])
    keyring = node.keyring

    async def sign(doc: dict[str, object]) -> dict[str, object]:
        return keyring.sign(doc, suite="eddsa-rdfc-2022", created=node.now(),
                            loader=node.loader, limits=node.limits)

    credential = await node.status_lists.credential(
        int(raw), key_id=keyring.current.id, now=node.now(), sign=sign)
    return json_response(credential, content_type="application/vc+ld+json",
                         headers={"Cache-Control": "no-cache"})
