"""The node's pages for people: ``GET /`` (the node itself), ``GET /subjects/{subject}``
(a personal badge page), and the one stylesheet, ``GET /static/confiance.css``.

HTML goes to browsers; the same facts as JSON by ``Accept``. Every HTML response carries a
Content-Security-Policy without ``'unsafe-inline'`` (:func:`html_response`; the headers
every response gets are set in ``node/middlewares.py``). ``?lang=fr`` or ``?lang=en``
overrides ``Accept-Language``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from confiance.protocol.marks import definition_from_document
from confiance.protocol.model import Rating, TrustMark, from_credential
from confiance.protocol.sentences import party_name
from confiance.protocol.trust import DEFAULT_POLICY

from ..context import NODE
from ..http import json_response, negotiate
from ..publication import PUBLICATION, definition_of, names, peers, recognitions
from ..render import CSS_PATH, Renderer
from ..render.i18n import STRINGS, choose_language
from ..render.views import (
    Links,
    accountability_view,
    badge_for,
    deed_view,
    rule_line,
    status_view,
    subject_path,
)
from ..storage import AssertionQuery
from ..views import assertion_meta
from .subjects import _subject

__all__ = ["HTML_CSP", "RENDERER", "html_response", "language", "routes"]

routes = web.RouteTableDef()
RENDERER = web.AppKey("confiance.renderer", Renderer)
#: For HTML pages: one same-origin stylesheet, inline SVG, images from here, no script.
HTML_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")
MAX_SUBJECT_ITEMS = 200


def language(request: web.Request) -> str:
    forced = request.query.get("lang")
    if forced in STRINGS:
        return forced
    return choose_language(request.headers.get("Accept-Language"))


def html_response(text: str, lang: str) -> web.Response:
    return web.Response(text=text, content_type="text/html", headers={
        "Content-Security-Policy": HTML_CSP, "Content-Language": lang,
        "Vary": "Accept, Accept-Language", "Cache-Control": "no-cache"})


@routes.get("/static/confiance.css")
async def stylesheet(request: web.Request) -> web.Response:
    renderer = request.app[RENDERER]
    headers = {"ETag": renderer.css_etag, "Cache-Control": "public, max-age=3600"}
    if renderer.css_etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=renderer.css, content_type="text/css", charset="utf-8",
                        headers=headers)


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    node = request.app[NODE]
    media = negotiate(request, ("text/html", "application/json"))
    lang = language(request)
    known = await names(request.app, node)
    marks: list[dict[str, Any]] = []
    for record in await node.store.mark_definitions(limit=200):
        if record.issuer != node.did:
            continue
        definition = definition_from_document(json.loads(record.document))
        slug = definition.mark.rsplit("/", 1)[-1]
        href = f"/marks/{slug}/{definition.version}"
        if any(m["mark"] == definition.mark for m in marks):
            continue  # the latest version only
        marks.append({**deed_view(definition, lang, href), "href": href,
                      "mark": definition.mark})
    rules = [{**rule_line(rec, rec_id, names=known, mark_name=rec.name, lang=lang,
                          href="/assertions/" + rec_id.rsplit(";", 1)[-1]), "id": rec_id}
             for rec_id, rec in await recognitions(node, issuer=node.did)]
    peer_list = await peers(request.app)
    # the referral accountability rule in words, with the engine's figures (DEFAULT_POLICY)
    accountability = accountability_view(DEFAULT_POLICY, lang)
    if media == "application/json":
        return json_response({"name": node.config.name, "did": node.did,
                              "marks": [{"id": m["id"], "name": m["name"]} for m in marks],
                              "rules": [{"id": r["id"], "sentence": r["sentence"]}
                                        for r in rules], "peers": peer_list,
                              "accountability": {**accountability["figures"],
                                                 "sentences": accountability["sentences"]},
                              "openapi": "/openapi.json"})
    links = Links(css=CSS_PATH, home="/", api="/openapi.json",
                  descriptor="/.well-known/confiance", did="/.well-known/did.json",
                  other_language=f"/?lang={'fr' if lang == 'en' else 'en'}")
    page = request.app[RENDERER].page(
        "home.html", lang=lang, t=STRINGS[lang], links=links, node_name=node.config.name,
        title=node.config.name, did=node.did, marks=marks, rules=rules, peers=peer_list,
        accountability=accountability)
    return html_response(page, lang)


@routes.get("/subjects/{subject}")
async def personal_page(request: web.Request) -> web.Response:
    """What the subject accepted about itself, grouped by context, with live badges."""
    node = request.app[NODE]
    subject = _subject(request)
    media = negotiate(request, ("text/html", "application/json"))
    lang = language(request)
    now = node.now()
    pub = request.app[PUBLICATION]
    known = await names(request.app, node)
    groups: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
    listed: list[dict[str, Any]] = []
    after = 0
    while len(listed) < MAX_SUBJECT_ITEMS:
        page = await node.store.find(AssertionQuery(subject=subject, after=after, limit=200))
        for stored in page.items:
            if stored.decision is not True or stored.record.kind not in ("TrustMark", "Rating"):
                continue
            assertion = from_credential(json.loads(stored.record.document))
            status = stored.status(now)
            definition = await definition_of(node, pub, assertion.mark, assertion.mark_version) \
                if isinstance(assertion, TrustMark) else None
            layout = badge_for(assertion, definition, status)
            short = stored.id.rsplit(";", 1)[-1]
            if isinstance(assertion, TrustMark):
                title = definition.name if definition else (assertion.name or layout.label)
                text = assertion.status
            else:
                assert isinstance(assertion, Rating)
                title = f"{assertion.context} — {STRINGS[lang]['rating']}"
                text = f"{assertion.score:g} / {assertion.scale.minimum:g}.." \
                       f"{assertion.scale.maximum:g}"
            item = {"svg": f"/badges/{short}.svg", "href": f"/badges/{short}",
                    "alt": layout.accessible_text, "title": title, "text": text,
                    "issuer": party_name(assertion.issuer, known),
                    "status_word": status_view(status, lang)["word"]}
            groups.setdefault(assertion.context or "—", []).append(item)
            meta = assertion_meta(node, stored, now)
            meta["document"] = json.loads(stored.record.document)
            listed.append(meta)
        if not page.more or page.last_seq is None:
            break
        after = page.last_seq
    if media == "application/json":
        return json_response({"subject": subject, "accepted": listed},
                             headers={"Cache-Control": "no-cache"})
    path = subject_path(subject)
    links = Links(css=CSS_PATH, home="/", api="/openapi.json", json=path,
                  other_language=f"{path}?lang={'fr' if lang == 'en' else 'en'}")
    name = party_name(subject, known)
    text = request.app[RENDERER].page(
        "subject.html", lang=lang, t=STRINGS[lang], links=links, node_name=node.config.name,
        title=STRINGS[lang]["personal_title"].format(name=name), offline=False,
        subject={"id": subject, "name": name},
        groups=[{"context": c, "entries": items} for c, items in groups.items()])
    return html_response(text, lang)


def setup(app: web.Application) -> None:
    """The renderer and the caches the pages share (kept current by the ingestor)."""
    from ..publication import Publication

    app[RENDERER] = Renderer()
    app[PUBLICATION] = Publication()

    async def attach(app: web.Application) -> AsyncIterator[None]:
        app[PUBLICATION].attach(app[NODE])  # after the node's own context: NODE is set
        yield

    app.cleanup_ctx.append(attach)
