"""``/assertions``: submit (verified, idempotent), fetch one, list with keyset pagination."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from aiohttp import web

from confiance.protocol.errors import SchemaError
from confiance.protocol.model import KINDS, parse_datetime

from ..context import NODE
from ..http import LD_JSON, VC_LD_JSON, json_bytes_response, negotiate, query_int, read_json_body
from ..problems import BadRequest, Erased, InvalidCursor, NotFound, RejectedBySubject
from ..storage import AssertionQuery
from ..views import ID_ROUTE, assertion_meta, assertion_path, envelope_bytes, parse_path_id

__all__ = ["routes"]

routes = web.RouteTableDef()
_DOCUMENT_TYPES = (LD_JSON, VC_LD_JSON, "application/json")
_FILTERS = ("subject", "issuer", "kind", "context", "since")
_MAX_FILTER = 2048


@routes.post("/assertions")
async def submit_assertion(request: web.Request) -> web.Response:
    """Verify and store a signed assertion: 201 when new, 200 when already held."""
    node = request.app[NODE]
    doc = await read_json_body(request, node.limits)
    result = await node.ingestor.submit(doc)
    stored = result.stored
    body = {"id": stored.id, "status": stored.status(node.now()),
            "url": node.base_url + assertion_path(stored.id)}
    return web.json_response(body, status=201 if result.created else 200,
                             headers={"Location": assertion_path(stored.id)})


@routes.get("/assertions/" + ID_ROUTE)
async def get_assertion(request: web.Request) -> web.Response:
    """The signed document (JSON-LD) with its status in headers, or a JSON envelope."""
    node = request.app[NODE]
    content_id = parse_path_id(request.match_info["id"])
    stored = await node.store.get(content_id)
    if stored is None:
        if await node.store.tombstone(content_id) is not None:
            raise Erased(f"{content_id} was erased at its issuer's request", id=content_id)
        raise NotFound(f"{content_id} is not held here", id=content_id)
    now = node.now()
    status = stored.status(now)
    if status == "rejected-by-subject":
        raise RejectedBySubject(
            f"the subject of {content_id} rejected it; this node keeps it only so the "
            "decision sticks", id=content_id, assertionStatus=status)
    media = negotiate(request, _DOCUMENT_TYPES)
    etag = f'"{content_id.rsplit(";", 1)[1][:16]}-{status}"'
    headers = {"Confiance-Status": status, "ETag": etag, "Cache-Control": "no-cache",
               "Vary": "Accept"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    if media == "application/json":
        return json_bytes_response(envelope_bytes(node, stored, now), headers=headers)
    return json_bytes_response(stored.record.document, content_type=media, headers=headers)


def _cursor_key(filters: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()[:12]


def encode_cursor(after: int, filters: dict[str, str]) -> str:
    raw = json.dumps({"a": after, "f": _cursor_key(filters)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, filters: dict[str, str]) -> int:
    """The position a cursor holds; refused if forged or made for other filters."""
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        obj: Any = json.loads(raw)
        after = obj["a"]
        key = obj["f"]
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError("bad position")
    except (ValueError, KeyError, TypeError):
        raise InvalidCursor("this cursor is not one this node gave out", parameter="cursor") \
            from None
    if key != _cursor_key(filters):
        raise InvalidCursor("this cursor belongs to a listing with other filters",
                            parameter="cursor")
    return after


@routes.get("/assertions")
async def list_assertions(request: web.Request) -> web.Response:
    """A page of held assertions in arrival order, filtered, with a ``next`` cursor."""
    node = request.app[NODE]
    config = node.config
    filters = {k: request.query[k] for k in _FILTERS if request.query.get(k)}
    for name, value in filters.items():
        if len(value) > _MAX_FILTER:
            raise BadRequest(f"{name} is longer than {_MAX_FILTER} characters", parameter=name)
    if "kind" in filters and filters["kind"] not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}", parameter="kind")
    since = None
    if "since" in filters:
        try:
            since = parse_datetime(filters["since"], "since")
        except SchemaError as exc:
            raise BadRequest(exc.message, parameter="since") from None
    limit = query_int(request, "limit", config.page_size, low=1, high=config.max_page_size)
    cursor = request.query.get("cursor")
    after = decode_cursor(cursor, filters) if cursor else 0
    page = await node.store.find(AssertionQuery(
        subject=filters.get("subject"), issuer=filters.get("issuer"), kind=filters.get("kind"),
        context=filters.get("context"), since=since, after=after, limit=limit))
    now = node.now()
    items = []
    for stored in page.items:
        meta = assertion_meta(node, stored, now)
        meta["document"] = json.loads(stored.record.document)
        items.append(meta)
    next_cursor = encode_cursor(page.last_seq, filters) \
        if page.more and page.last_seq is not None else None
    body: dict[str, Any] = {"items": items, "next": next_cursor}
    headers = {}
    if next_cursor is not None:
        query = {**filters, "limit": str(limit), "cursor": next_cursor}
        link = request.url.with_query(query).path_qs
        headers["Link"] = f'<{link}>; rel="next"'
    return web.json_response(body, headers=headers)
