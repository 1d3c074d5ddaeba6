"""Subject rights and request mode: ``/subjects/{subject}/...``.

- ``GET  .../status?context=``: what this node currently asserts about the subject, as a
  VerifiablePresentation signed by the node (request mode: "the site asks the site"),
  leaving out what the subject rejected, and anything not currently valid;
- ``GET  .../export`` (signed subject request): everything held about it and by it;
- ``POST .../acceptances``: the subject's signed Acceptance (accept or reject);
- ``POST .../erasure`` (signed subject request): erase assertions it issued; tombstones keep
  the ids so gossip cannot bring them back.

How a subject signs a request: :mod:`confiance.node.subjectauth`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

from aiohttp import web

from confiance.protocol.errors import SchemaError
from confiance.protocol.limits import Limits
from confiance.protocol.model import (
    CONFIANCE_CONTEXT_URL,
    CREDENTIALS_V2_URL,
    format_datetime,
)
from confiance.protocol.trust import DEFAULT_POLICY, KeptJudgement

from ..context import NODE, Node
from ..erasures import MAX_ERASED, make_notice
from ..http import JSON_TYPES, LD_JSON, json_response, read_json_body
from ..nodecontext import NODE_CONTEXT_URL
from ..problems import AcceptanceNotBySubject, BadRequest, UnsupportedMediaType
from ..storage import AssertionQuery
from ..subjectauth import authenticate, decode_request
from ..views import assertion_meta, assertion_path, parse_path_id

__all__ = ["routes"]

routes = web.RouteTableDef()
MAX_REPORTED = 200
MAX_ERASE_IDS = 1000


def _subject(request: web.Request) -> str:
    subject = request.match_info["subject"]
    if len(subject) > 2048 or ":" not in subject or any(
            c.isspace() or ord(c) < 32 or c == "\x7f" for c in subject):
        raise BadRequest("the subject must be a DID or an absolute IRI, percent-encoded",
                         parameter="subject")
    return subject


@routes.get("/subjects/{subject}/status")
async def subject_status(request: web.Request) -> web.Response:
    node = request.app[NODE]
    subject = _subject(request)
    context = request.query.get("context") or None
    if context is not None and len(context) > 2048:
        raise BadRequest("context is too long", parameter="context")
    now = node.now()
    credentials: list[dict[str, Any]] = []
    after = 0
    while len(credentials) < MAX_REPORTED:
        page = await node.store.find(AssertionQuery(subject=subject, issuer=node.did,
                                                    context=context, after=after, limit=200))
        for stored in page.items:
            if stored.status(now) == "valid" and len(credentials) < MAX_REPORTED:
                credentials.append(json.loads(stored.record.document))
        if not page.more or page.last_seq is None:
            break
        after = page.last_seq
    report: dict[str, Any] = {
        "@context": [CREDENTIALS_V2_URL, CONFIANCE_CONTEXT_URL, NODE_CONTEXT_URL],
        "type": ["VerifiablePresentation", "StatusReport"],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "holder": node.did,
        "reportSubject": subject,
        "reportedAt": format_datetime(now),
    }
    if context is not None:
        report["reportContext"] = context
    if credentials:
        report["verifiableCredential"] = credentials
    limits = _report_limits(node, len(credentials))
    signed = node.keyring.sign(report, suite="eddsa-jcs-2022", created=now, loader=node.loader,
                               limits=limits)
    return json_response(signed, content_type=LD_JSON, headers={"Cache-Control": "no-cache"})


def _report_limits(node: Node, count: int) -> Limits:
    """Room for ``count`` embedded assertions (the node signs its own, bounded, report)."""
    scale = max(1, count + 1)
    base = node.limits
    return replace(base, max_bytes=base.max_bytes * scale, max_values=base.max_values * scale)


@routes.get("/subjects/{subject}/export")
async def subject_export(request: web.Request) -> web.Response:
    node = request.app[NODE]
    subject = _subject(request)
    await authenticate(request, node, subject, b"")
    export = await node.store.export_subject(subject)
    now = node.now()

    def full(stored: Any) -> dict[str, Any]:
        meta = assertion_meta(node, stored, now)
        meta["document"] = json.loads(stored.record.document)
        return meta

    return json_response({
        "subject": subject,
        "exportedAt": format_datetime(now),
        "node": node.did,
        "about": [full(s) for s in export.about],
        "issued": [full(s) for s in export.issued],
        "erased": [{"id": t.id, "erasedAt": format_datetime(t.erased_at)}
                   for t in export.tombstones],
        # what this node keeps of referrals the subject erased after their referred party
        # earned distrust here (specs/trust.md section 5): its own judgement, while it counts
        "referralJudgements": [_judgement(j) for j in export.judgements],
        "policy": "specs/node-api.md#what-is-kept-and-why",
    }, headers={"Cache-Control": "no-store"})


def _judgement(judgement: KeptJudgement) -> dict[str, Any]:
    """A kept judgement as the export shows it, with the share of standing it costs."""
    share = judgement.bad * DEFAULT_POLICY.referral_penalty
    return {**judgement.to_json(), "share": float(f"{share:.12g}")}


@routes.post("/subjects/{subject}/acceptances")
async def subject_acceptance(request: web.Request) -> web.Response:
    node = request.app[NODE]
    subject = _subject(request)
    doc = await read_json_body(request, node.limits)
    types = doc.get("type")
    if not isinstance(types, list) or types[-1:] != ["Acceptance"]:
        raise SchemaError("this endpoint takes a signed Acceptance", pointer="/type")
    if doc.get("issuer") != subject:
        raise AcceptanceNotBySubject(f"the Acceptance is issued by {str(doc.get('issuer'))!r:.120}"
                                     f", not by the subject {subject!r:.120}")
    result = await node.ingestor.submit(doc)
    stored = result.stored
    return web.json_response({"id": stored.id, "status": stored.status(node.now()),
                              "url": node.base_url + assertion_path(stored.id)},
                             status=201 if result.created else 200,
                             headers={"Location": assertion_path(stored.id)})


@routes.post("/subjects/{subject}/erasure")
async def subject_erasure(request: web.Request) -> web.Response:
    node = request.app[NODE]
    subject = _subject(request)
    if request.content_type not in JSON_TYPES:
        raise UnsupportedMediaType("send application/json", accepted=sorted(JSON_TYPES))
    body_bytes = await request.read()
    await authenticate(request, node, subject, body_bytes)
    body = await read_json_body(request, node.limits)
    unknown = set(body) - {"ids", "all"}
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}",
                         parameter=sorted(unknown)[0])
    ids: list[str] | None
    if body.get("all") is True and "ids" not in body:
        ids = None
    else:
        raw = body.get("ids")
        if not isinstance(raw, list) or not raw or len(raw) > MAX_ERASE_IDS or not all(
                isinstance(i, str) for i in raw):
            raise BadRequest(f'send {{"ids": [1 to {MAX_ERASE_IDS} assertion ids]}} or '
                             '{"all": true}', parameter="ids")
        ids = [parse_path_id(i) for i in raw]
    erased = await node.ingestor.erase(subject, ids)
    # the subject's signed request travels, so that the other nodes erase too; it names
    # only what the request named (what goes with it, each node erases by itself). An
    # erasure of everything travels even when nothing was held here, and each node erases
    # by the request's date what it holds: its list is only a sample.
    named = sorted(erased)[:MAX_ERASED] if ids is None else sorted(set(erased) & set(ids))
    if named or ids is None:
        request_doc = decode_request(request.headers["Authorization"], node)
        await node.ingestor.apply_notice(make_notice(request_doc, body_bytes, named))
    return json_response({"subject": subject, "erased": erased,
                          "note": "erased ids are kept as tombstones so that gossip cannot "
                                  "bring them back"})
