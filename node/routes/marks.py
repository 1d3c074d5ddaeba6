"""Mark definitions: ``POST /admin/marks`` publishes one; ``GET /marks/{mark}[/{version}]``.

The operator posts the terms and the deed (JSON, the same fields as the TOML or JSON file
``confiance marks create`` reads); the node fills in the mark IRI
(``<base URL>/marks/<mark>``), its did:web as issuer and the time, validates, signs with its
current key and keeps it. A version is immutable: the same version posted again with the
same content answers 200 with the held document; with other content, 409
``mark-version-exists`` (publish a new version instead).

``GET /marks/{mark}/{version}`` is the terms and the deed (HTML, in English or French by
``Accept-Language``) or the signed definition (``Accept: application/ld+json``): the IRI
another node's Recognition (``mark``) points to. ``GET /marks/{mark}`` is the latest version.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from aiohttp import web

from confiance.protocol.canonical import canonicalize_jcs
from confiance.protocol.marks import (
    DEED_FIELDS,
    MarkDefinition,
    definition_document,
    definition_from_document,
)

from ..context import NODE, Node
from ..http import LD_JSON, json_bytes_response, negotiate, read_json_body
from ..problems import BadRequest, MarkVersionExists, NotFound
from ..render import CSS_PATH, script_json
from ..render.i18n import STRINGS
from ..render.views import Links, deed_view
from ..storage import MarkDefinitionRecord
from .admin import require_admin
from .pages import RENDERER, html_response, language

__all__ = ["MARK_FIELDS", "definition_from_request", "routes"]

routes = web.RouteTableDef()
_SLUG = re.compile(r"[a-z0-9][a-z0-9\-]{0,63}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,31}")
MARK_FIELDS = frozenset({"mark", "version", "name", "shortName", "trustContext", "description",
                         "terms", *(j for j, _ in DEED_FIELDS), "suite"})
_TYPES = ("text/html", LD_JSON, "application/vc+ld+json", "application/json")


def definition_from_request(body: dict[str, Any], *, issuer: str, base_url: str,
                            now: datetime) -> MarkDefinition:
    """The definition a ``POST /admin/marks`` body (or a ``marks create`` file) describes."""
    unknown = set(body) - MARK_FIELDS
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}; allowed: "
                         f"{', '.join(sorted(MARK_FIELDS))}", parameter=sorted(unknown)[0])
    slug = body.get("mark")
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise BadRequest("mark must be a short name: lower-case letters, digits and '-' (at "
                         "most 64), like top-seller; it becomes <node>/marks/<mark>",
                         parameter="mark")
    version = body.get("version", "1")
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise BadRequest("version must be letters, digits, '.' and '-' (at most 32)",
                         parameter="version")
    missing = [f for f in ("name", "shortName", "trustContext", "terms",
                           *(j for j, _ in DEED_FIELDS)) if f not in body]
    if missing:
        raise BadRequest(f"missing fields: {', '.join(missing)}", parameter=missing[0])
    prose = {py: body[j] for j, py in DEED_FIELDS}
    return MarkDefinition(issuer=issuer, mark=f"{base_url}/marks/{slug}", version=version,
                          context=body["trustContext"], name=body["name"],
                          short_name=body["shortName"], terms=body["terms"],
                          description=body.get("description"), valid_from=now,
                          **prose)


def _same_terms(held: dict[str, Any], new: MarkDefinition) -> bool:
    old = definition_from_document(held)
    return old.short_name == new.short_name and old.name == new.name and all(
        getattr(old, f) == getattr(new, f) for f in (
            "context", "description", "terms", *(py for _, py in DEED_FIELDS)))


@routes.post("/admin/marks")
async def create_mark(request: web.Request) -> web.Response:
    node = require_admin(request)
    body = await read_json_body(request, node.limits)
    suite = body.pop("suite", node.config.default_suite)
    if suite not in ("eddsa-jcs-2022", "eddsa-rdfc-2022"):
        raise BadRequest("suite must be eddsa-jcs-2022 or eddsa-rdfc-2022", parameter="suite")
    now = node.now().replace(microsecond=0)
    definition = definition_from_request(body, issuer=node.did, base_url=node.base_url,
                                         now=now)
    held = await node.store.get_mark_definition(definition.mark, definition.version)
    if held is not None:
        document = json.loads(held.document)
        if not _same_terms(document, definition):
            raise MarkVersionExists(
                f"version {definition.version} of {definition.mark} is published with other "
                "terms: definitions are immutable, publish a new version", mark=definition.mark,
                version=definition.version)
        return _created(node, document, created=False)
    signed = _sign(node, definition, suite)
    created, stored = await node.store.put_mark_definition(MarkDefinitionRecord(
        mark=definition.mark, version=definition.version, issuer=node.did, created_at=now,
        document=canonicalize_jcs(signed)))
    return _created(node, json.loads(stored), created=created)


def _sign(node: Node, definition: MarkDefinition, suite: str) -> dict[str, Any]:
    """Sign with the node's current key (its did:web verification method)."""
    document = definition_document(definition)
    return node.keyring.sign(document, suite=suite, created=node.now(),
                             loader=node.loader, limits=node.limits)


def _created(node: Node, document: dict[str, Any], *, created: bool) -> web.Response:
    subject = document["credentialSubject"]
    path = f"/marks/{subject['id'].rsplit('/', 1)[-1]}/{subject['version']}"
    return web.json_response({"id": document["id"], "mark": subject["id"],
                              "version": subject["version"], "url": node.base_url + path,
                              "document": document}, status=201 if created else 200,
                             headers={"Location": path})


async def _definition(node: Node, slug: str, version: str | None) -> MarkDefinitionRecord:
    if not _SLUG.fullmatch(slug) or (version is not None and not _VERSION.fullmatch(version)):
        raise NotFound(f"no mark {slug!r:.80} here")
    record = await node.store.get_mark_definition(f"{node.base_url}/marks/{slug}", version)
    if record is None:
        raise NotFound(f"no mark {slug}" + (f" version {version}" if version else "") +
                       " is published here", mark=slug)
    return record


async def _show(request: web.Request, version: str | None) -> web.Response:
    node = request.app[NODE]
    slug = request.match_info["mark"]
    media = negotiate(request, _TYPES)
    record = await _definition(node, slug, version)
    if media != "text/html":
        return json_bytes_response(record.document, content_type=media,
                                   headers={"Vary": "Accept",
                                            "Cache-Control": "public, max-age=3600"
                                            if version else "no-cache"})
    lang = language(request)
    document = json.loads(record.document)
    definition = definition_from_document(document)
    path = f"/marks/{slug}/{definition.version}"
    versions = [{"version": r.version, "href": f"/marks/{slug}/{r.version}"}
                for r in await node.store.mark_definitions() if r.mark == definition.mark]
    links = Links(css=CSS_PATH, home="/", api="/openapi.json", document=path,
                  other_language=f"{path}?lang={'fr' if lang == 'en' else 'en'}")
    view = deed_view(definition, lang, f"{path}#terms")
    page = request.app[RENDERER].page(
        "mark.html", lang=lang, t=STRINGS[lang], links=links, node_name=node.config.name,
        title=f"{definition.name} — {STRINGS[lang]['version']} {definition.version}",
        definition=view, issuer_name=node.config.name, versions=versions,
        machine_json=script_json(document))
    return html_response(page, lang)


@routes.get("/marks/{mark}")
async def latest_mark(request: web.Request) -> web.Response:
    return await _show(request, None)


@routes.get("/marks/{mark}/{version}")
async def mark_version(request: web.Request) -> web.Response:
    return await _show(request, request.match_info["version"])



async def link_definition(node: Node, body: dict[str, Any]) -> dict[str, Any]:
    """For ``POST /admin/issue`` of a TrustMark: tie the mark to a definition held here.

    ``"markDefinition": "top-seller"`` (with ``"markVersion"``, default the latest) fills
    ``credentialSubject.mark`` (``id`` and ``version``), and ``trustContext`` and ``name``
    when absent. A mark IRI under this node's ``/marks/`` must name a definition it holds
    (its version filled in when omitted), in the same context of trust. Returns the body
    without the two shorthand fields.
    """
    body = dict(body)
    slug = body.pop("markDefinition", None)
    version = body.pop("markVersion", None)
    subject = body.get("credentialSubject")
    if not isinstance(subject, dict):
        return body
    subject = dict(subject)
    mark = subject.get("mark")
    prefix = f"{node.base_url}/marks/"
    if slug is not None:
        if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
            raise BadRequest("markDefinition must be the short name of a mark published here",
                             parameter="markDefinition")
        mark_iri = prefix + slug
    elif isinstance(mark, dict) and isinstance(mark.get("id"), str) \
            and mark["id"].startswith(prefix):
        mark_iri = mark["id"]
        version = version or mark.get("version")
    else:
        return body
    if version is not None and (not isinstance(version, str) or not _VERSION.fullmatch(version)):
        raise BadRequest("markVersion must be a published version", parameter="markVersion")
    record = await node.store.get_mark_definition(mark_iri, version)
    if record is None:
        raise BadRequest(f"no definition of {mark_iri}" + (f" version {version}" if version
                         else "") + " is published here (POST /admin/marks first)",
                         parameter="markDefinition" if slug else "credentialSubject")
    definition = definition_from_document(json.loads(record.document))
    subject["mark"] = {"id": definition.mark, "version": definition.version}
    context = subject.setdefault("trustContext", definition.context)
    if context != definition.context:
        raise BadRequest(f"the mark {definition.mark} is defined for the context "
                         f"{definition.context!r}, not {context!r:.60}",
                         parameter="credentialSubject")
    body["credentialSubject"] = subject
    body.setdefault("name", definition.name)
    return body
