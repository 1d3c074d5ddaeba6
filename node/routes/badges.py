"""The publication mode's badges: live SVG, shields.io endpoint, baked SVG, verify page.

- ``GET /badges/{id}.svg``: the flat badge; label = the mark's short name, message = the
  live status word. ``ETag`` (the content id and the status) and the shortest cache
  lifetime (``Cache-Control: public, no-cache``: caches keep it but revalidate each use,
  a cheap ``304`` while nothing changed), so an embedded badge shows a revocation at once;
- ``GET /badges/{id}/shields.json``: the same, as a shields.io endpoint (``schemaVersion``
  1) for ``https://img.shields.io/endpoint?url=...``;
- ``GET /badges/{id}/baked.svg``: the badge with the signed assertion inside
  (``<openbadges:credential>``, the Open Badges 3.0 baking convention): it verifies offline;
- ``GET /badges/{id}/openbadge.json``: a TrustMark this node issued, as an Open Badges 3.0
  ``OpenBadgeCredential`` signed by the node (for wallets);
- ``GET /badges/{id}``: the verify page (HTML) or the signed JSON-LD (``Accept``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiohttp import web

from confiance.protocol.badge import shields_endpoint
from confiance.protocol.marks import MarkDefinition
from confiance.protocol.model import TrustMark, format_datetime
from confiance.protocol.openbadges import open_badge_credential

from ..context import NODE, Node
from ..http import LD_JSON, json_bytes_response, json_response, negotiate
from ..problems import NotFound
from ..publication import (
    PUBLICATION,
    check_lines,
    definition_of,
    held,
    names,
    paths_for,
    proof_report,
    rules_for,
)
from ..render import CSS_PATH, script_json
from ..render.views import (
    Facts,
    Links,
    badge_for,
    machine_facts,
    subject_path,
    verify_context,
    when,
)
from ..views import parse_path_id
from .pages import RENDERER, html_response, language

__all__ = ["badge_path", "routes"]

routes = web.RouteTableDef()
SVG = "image/svg+xml"
BADGE_CACHE = "public, no-cache"
_PAGE_TYPES = ("text/html", LD_JSON, "application/vc+ld+json", "application/json")


def badge_path(content_id: str) -> str:
    return "/badges/" + content_id.rsplit(";", 1)[-1]


async def _badge(request: web.Request) -> tuple[Node, Any, Any, str, Any]:
    node = request.app[NODE]
    content_id = parse_path_id(request.match_info["id"])
    stored = await held(node, content_id)
    assertion = request.app[PUBLICATION].assertion(stored)
    mark_version = assertion.mark_version if isinstance(assertion, TrustMark) else None
    definition = await definition_of(node, request.app[PUBLICATION], assertion.mark,
                                     mark_version) if isinstance(assertion, TrustMark) else None
    return node, stored, assertion, stored.status(node.now()), definition


def _etag(*parts: str) -> str:
    return '"' + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20] + '"'


def _not_modified(request: web.Request, etag: str, headers: dict[str, str]
                  ) -> web.Response | None:
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return None


@routes.get("/badges/{id}.svg")
async def badge_svg(request: web.Request) -> web.Response:
    _node, stored, assertion, status, definition = await _badge(request)
    svgs = request.app[PUBLICATION].svgs
    key = (stored.id, status, definition.id if definition is not None else None)
    found = svgs.get(key)
    if found is None:  # the same status is the same picture: lay it out and render it once
        layout = badge_for(assertion, definition, status)
        etag = _etag(stored.id, status, layout.label, layout.colour)
        found = (etag, request.app[RENDERER].badge_svg(layout, uid=etag[1:9]).encode())
        svgs.put(key, found)
    etag, svg = found
    headers = {"ETag": etag, "Cache-Control": BADGE_CACHE, "Confiance-Status": status}
    cached = _not_modified(request, etag, headers)
    if cached is not None:
        return cached
    return web.Response(body=svg, content_type=SVG, headers=headers)


@routes.get("/badges/{id}/baked.svg")
async def baked_svg(request: web.Request) -> web.Response:
    _node, stored, assertion, status, definition = await _badge(request)
    layout = badge_for(assertion, definition, status)
    etag = _etag("baked", stored.id, status, layout.label)
    headers = {"ETag": etag, "Cache-Control": BADGE_CACHE, "Confiance-Status": status,
               "Content-Disposition": f'inline; filename="{stored.id.rsplit(";", 1)[-1]}.svg"'}
    cached = _not_modified(request, etag, headers)
    if cached is not None:
        return cached
    svg = request.app[RENDERER].badge_svg(layout, uid=etag[1:9], baked=stored.record.document)
    return web.Response(text=svg, content_type=SVG, headers=headers)


@routes.get("/badges/{id}/shields.json")
async def shields_json(request: web.Request) -> web.Response:
    _node, _stored, assertion, status, definition = await _badge(request)
    layout = badge_for(assertion, definition, status)
    body = shields_endpoint(layout)
    return json_response(body, headers={"Cache-Control": BADGE_CACHE,
                                        "Access-Control-Allow-Origin": "*"})


@routes.get("/badges/{id}/openbadge.json")
async def openbadge(request: web.Request) -> web.Response:
    node, stored, assertion, status, definition = await _badge(request)
    if not isinstance(assertion, TrustMark) or assertion.issuer != node.did:
        raise NotFound("only a TrustMark this node issued is offered as an Open Badges 3.0 "
                       "credential (the node signs it)", id=stored.id)
    base = node.base_url
    document = json.loads(stored.record.document)
    unsigned = open_badge_credential(
        document, id=base + badge_path(stored.id) + "/openbadge.json",
        issuer_name=node.config.name, issuer_url=base + "/",
        achievement_id=(definition.id if definition else assertion.mark),
        name=definition.name if definition else (assertion.name or assertion.status),
        description=_ob_description(definition, assertion),
        criteria=_ob_criteria(definition),
        image=base + badge_path(stored.id) + ".svg")
    created = stored.record.created or stored.record.valid_from
    signed = node.keyring.sign(unsigned, suite="eddsa-rdfc-2022", created=created,
                               loader=node.loader, limits=node.limits)
    return json_response(signed, content_type=LD_JSON,
                         headers={"Cache-Control": "no-cache", "Confiance-Status": status})


def _verify_command(node: Node, issuer: str, path: str) -> str:
    fetch = f"curl -sH 'Accept: application/ld+json' {node.base_url}{path} > badge.json\n"
    if issuer == node.did:  # a did:web key is never fetched by the verifier: save it
        return (fetch + f"curl -s {node.base_url}/.well-known/did.json > did.json\n"
                "confiance verify --require-issuer-binding --did-document did.json badge.json")
    return fetch + "confiance verify --require-issuer-binding badge.json"


def _ob_description(definition: MarkDefinition | None, assertion: TrustMark) -> str:
    if definition is None:
        return f"{assertion.status} ({assertion.context})"
    return dict(definition.says)["en"]


def _ob_criteria(definition: MarkDefinition | None) -> str:
    if definition is None:
        return "Awarded by the issuer under its own terms."
    return dict(definition.earned_by)["en"]


@routes.get("/badges/{id}")
async def verify_page(request: web.Request) -> web.Response:
    media = negotiate(request, _PAGE_TYPES)
    node, stored, assertion, status, definition = await _badge(request)
    if media != "text/html":
        return json_bytes_response(stored.record.document, content_type=media,
                                   headers={"Confiance-Status": status, "Vary": "Accept",
                                            "Cache-Control": "no-cache"})
    app = request.app
    pub = app[PUBLICATION]
    lang = language(request)
    now = node.now()
    report = proof_report(node, pub, stored)
    shown = status if report.ok else "unverifiable"
    cached = pub.fresh(("verify", stored.id, lang), shown)
    if cached is None:
        context = await _verify_context(request, node, stored, assertion, shown, definition,
                                        report, lang, now)
        # rendered once with unguessable placeholders for what changes at each request
        mark = pub.placeholder
        page = app[RENDERER].page("verify.html", **{
            **context, "checked_at": mark + "a", "checked_at_iso": mark + "b",
            "machine_json": mark + "c"})
        cached = (page, context["facts"], context["links"].page_absolute)
        pub.keep(("verify", stored.id, lang), shown, cached)
    page, facts, page_url = cached
    machine = script_json(machine_facts(replace(facts, checked_at=now), page_url))
    mark = pub.placeholder
    text = page.replace(mark + "a", when(now, lang)).replace(
        mark + "b", format_datetime(now)).replace(mark + "c", machine)
    return html_response(text, lang)


async def _verify_context(request: web.Request, node: Node, stored: Any, assertion: Any,
                          status: str, definition: MarkDefinition | None,
                          report: Any, lang: str, now: datetime) -> dict[str, Any]:
    """The verify page's facts (cached by the caller under the status and the epoch)."""
    app = request.app
    pub = app[PUBLICATION]
    known = await names(app, node)
    path = badge_path(stored.id)
    facts = Facts(
        id=stored.id, assertion=assertion, status=status,
        checked_at=now, checks=check_lines(node, report, stored, now),
        definition=definition,
        definition_url=f"/marks/{definition.mark.rsplit('/', 1)[-1]}/{definition.version}"
        if definition is not None and definition.issuer == node.did else None,
        rules=await rules_for(node, pub, assertion, lang=lang, known=known,
                              definition=definition),
        paths=await paths_for(app, node, assertion.about, assertion.context, known),
        received_at=stored.received_at, names=known)
    is_own = isinstance(assertion, TrustMark) and assertion.issuer == node.did
    links = Links(css=CSS_PATH, home="/", svg=path + ".svg", baked=path + "/baked.svg",
                  document="/assertions/" + stored.id.rsplit(";", 1)[-1],
                  openbadge=path + "/openbadge.json" if is_own else None,
                  subject=subject_path(assertion.about), page_absolute=node.base_url + path,
                  api="/openapi.json",
                  other_language=f"{path}?lang={'fr' if lang == 'en' else 'en'}")
    context = verify_context(facts, links, lang=lang, renderer=app[RENDERER],
                             node_name=node.config.name, show_path=facts.paths is not None,
                             verify_command=_verify_command(node, assertion.issuer, path))
    context["facts"] = facts
    return context

