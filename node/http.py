"""Small HTTP helpers the route modules share: reading a JSON body safely, negotiation.

A request body is input from outside: its media type is checked (415), its size is capped
before it is read in full (413: ``Content-Length`` first, then aiohttp's ``client_max_size``
while streaming), and it is parsed by the protocol's bounded parser (duplicate keys, depth,
NaN refused: 400/413/422), never by ``json.loads`` directly.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from confiance.protocol.canonical import parse_json
from confiance.protocol.digits import ascii_digits
from confiance.protocol.errors import DocumentTooLarge, MalformedDocument
from confiance.protocol.limits import Limits

from .problems import BadRequest, NotAcceptable, UnsupportedMediaType

__all__ = [
    "JSON_TYPES",
    "LD_JSON",
    "json_bytes_response",
    "json_response",
    "negotiate",
    "query_int",
    "read_json_body",
    "weighted_values",
]

LD_JSON = "application/ld+json"
VC_LD_JSON = "application/vc+ld+json"
JSON_TYPES = frozenset({"application/json", LD_JSON, VC_LD_JSON})


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def json_response(obj: object, *, status: int = 200, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(obj, status=status, content_type=content_type, headers=headers,
                             dumps=_dumps)


def json_bytes_response(body: bytes, *, status: int = 200, content_type: str = "application/json",
                        headers: dict[str, str] | None = None) -> web.Response:
    response = web.Response(body=body, status=status, headers=headers)
    response.content_type = content_type
    response.charset = None
    return response


async def read_json_body(request: web.Request, limits: Limits, *,
                         media_types: frozenset[str] = JSON_TYPES) -> dict[str, Any]:
    """The request body as a JSON object, or the specific 4xx problem."""
    if request.content_type not in media_types:
        raise UnsupportedMediaType(
            f"send {', '.join(sorted(media_types))}, not {request.content_type or 'nothing'}",
            accepted=sorted(media_types))
    length = request.content_length
    if length is not None and length > limits.max_bytes:
        raise DocumentTooLarge(f"the body has {length} bytes; the limit is {limits.max_bytes}",
                               limit=limits.max_bytes)
    body = await request.read()  # bounded by client_max_size (HTTP 413 beyond)
    if len(body) > limits.max_bytes:
        raise DocumentTooLarge(f"the body has {len(body)} bytes; the limit is "
                               f"{limits.max_bytes}", limit=limits.max_bytes)
    if not body:
        raise MalformedDocument("the request body is empty; a JSON object is expected")
    doc = parse_json(body, limits)
    if not isinstance(doc, dict):
        raise MalformedDocument("the request body must be a JSON object")
    return doc


def weighted_values(header: str) -> list[tuple[float, int, str]]:
    """``(quality, position, value)`` of each member of an ``Accept``-style header (RFC 9110
    §12.4.2 q-values; a malformed q counts 0), values lower-cased, empty ones left out."""
    out: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        fields = part.strip().split(";")
        value = fields[0].strip().lower()
        quality = 1.0
        for param in fields[1:]:
            name, _, text = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(text)
                except ValueError:
                    quality = 0.0
        if value:
            out.append((quality, position, value))
    return out


def negotiate(request: web.Request, offers: tuple[str, ...]) -> str:
    """The first of ``offers`` the client accepts (``Accept``, with q-values), else 406.

    The first offer is the default when ``Accept`` is absent or ``*/*``.
    """
    header = request.headers.get("Accept", "").strip()
    if not header:
        return offers[0]
    ranges = weighted_values(header)
    best: tuple[float, int] | None = None
    chosen = ""
    for index, offer in enumerate(offers):
        main = offer.split("/")[0]
        match: tuple[int, float] | None = None  # (specificity, quality) of the best range
        for quality, _position, media in ranges:
            specificity = 3 if media == offer else 2 if media == f"{main}/*" else \
                1 if media == "*/*" else 0
            if specificity and (match is None or specificity > match[0]):
                match = (specificity, quality)
        if match is None or match[1] <= 0:
            continue
        score = (match[1], -index)
        if best is None or score > best:
            best, chosen = score, offer
    if best is None:
        raise NotAcceptable(f"this resource is available as {', '.join(offers)}",
                            available=list(offers))
    return chosen


def query_int(request: web.Request, name: str, default: int, *, low: int, high: int) -> int:
    """An integer query parameter within ``[low, high]``, or a 400 problem."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not ascii_digits(raw) or len(raw) > 9:
        raise BadRequest(f"{name} must be an integer from {low} to {high}", parameter=name)
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}", parameter=name)
    return value
