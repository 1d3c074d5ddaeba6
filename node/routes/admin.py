"""Operator endpoints (bearer admin token): issue, revoke, rotate the signing key.

``POST /admin/issue`` is how a site's own rating system publishes a status: it posts the
fields, the node fills in issuer, dates and context, validates (schema and model), signs with
its current key and stores. The body::

    {"kind": "TrustMark",
     "credentialSubject": {"id": "did:key:z6Mk...", "trustContext": "seller",
                           "mark": {"id": "https://example.org/marks/top-seller"},
                           "status": "Top seller"},
     "validFrom": "...", "validUntil": "...", "name": "...", "description": "...",
     "evidence": ["https://..."], "suite": "eddsa-jcs-2022"}

(only ``kind`` and ``credentialSubject`` are required; ``validFrom`` defaults to now.)

Every kind but Acceptance gets a status list index before signing: the signed document
carries its ``credentialStatus`` (a ``BitstringStatusListEntry`` pointing at
``GET /status/{n}``), and the answer repeats it beside the document for convenience.
"""

from __future__ import annotations

import hmac
from dataclasses import replace
from typing import Any

from aiohttp import web

from confiance.protocol.assertions import SignedAssertion
from confiance.protocol.ids import assertion_id
from confiance.protocol.model import (
    CONFIANCE_CONTEXT_URL,
    CREDENTIALS_V2_URL,
    KINDS,
    Revocation,
    format_datetime,
    from_credential,
    to_credential,
)

from ..context import NODE, Node
from ..http import read_json_body
from ..problems import AdminTokenRequired, BadRequest, NotFound, RevocationNotByIssuer
from ..views import ID_ROUTE, assertion_path, parse_path_id

__all__ = ["require_admin", "routes", "sign_assertion"]

routes = web.RouteTableDef()
_ISSUE_FIELDS = frozenset({"kind", "credentialSubject", "validFrom", "validUntil", "name",
                           "description", "evidence", "suite", "markDefinition",
                           "markVersion"})
_SUITES = ("eddsa-jcs-2022", "eddsa-rdfc-2022")


def require_admin(request: web.Request) -> Node:
    """The node, if the request bears the admin token; else 401 ``admin-token-required``."""
    node = request.app[NODE]
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), node.admin_token.encode()):
        raise AdminTokenRequired("this endpoint needs the admin token: "
                                 "Authorization: Bearer <DATA_DIR/admin.token>")
    return node


def sign_assertion(node: Node, assertion: Any, *, suite: str) -> SignedAssertion:
    """Sign an assertion with the node's current key (``issuer`` must be the node DID)."""
    document = to_credential(assertion)
    signed = node.keyring.sign(document, suite=suite, created=node.now(), loader=node.loader,
                               limits=node.limits)
    return SignedAssertion(id=assertion_id(signed), document=signed, assertion=assertion)


def _suite(node: Node, body: dict[str, Any]) -> str:
    suite = body.get("suite", node.config.default_suite)
    if suite not in _SUITES:
        raise BadRequest(f"suite must be one of {', '.join(_SUITES)}", parameter="suite")
    return str(suite)


@routes.post("/admin/issue")
async def issue(request: web.Request) -> web.Response:
    node = require_admin(request)
    body = await read_json_body(request, node.limits)
    unknown = set(body) - _ISSUE_FIELDS
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}; allowed: "
                         f"{', '.join(sorted(_ISSUE_FIELDS))}", parameter=sorted(unknown)[0])
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in KINDS or kind == "Revocation":
        raise BadRequest("kind must be one of "
                         f"{', '.join(k for k in KINDS if k != 'Revocation')} "
                         "(revoke with POST /admin/revoke/{id})", parameter="kind")
    suite = _suite(node, body)
    if kind == "TrustMark":  # tie the mark to its definition (node/routes/marks.py)
        from .marks import link_definition

        body = await link_definition(node, body)
    document: dict[str, Any] = {
        "@context": [CREDENTIALS_V2_URL, CONFIANCE_CONTEXT_URL],
        "type": ["VerifiableCredential", "TrustAssertion", kind],
        "issuer": node.did,
        "validFrom": body.get("validFrom", format_datetime(node.now())),
        "credentialSubject": body.get("credentialSubject"),
    }
    for name in ("validUntil", "name", "description", "evidence"):
        if name in body:
            document[name] = body[name]
    assertion = from_credential(document)  # validate before spending a status index
    index = await node.store.allocate_status_index() if kind != "Acceptance" else None
    if index is not None:
        assertion = replace(assertion, credential_status=node.status_lists.status_entry(index))
    signed = sign_assertion(node, assertion, suite=suite)
    result = await node.ingestor.publish(signed, status_index=index)
    out: dict[str, Any] = {"id": signed.id, "url": node.base_url + assertion_path(signed.id),
                           "status": result.stored.status(node.now())}
    if index is not None:
        out["credentialStatus"] = node.status_lists.entry(index)
    out["document"] = signed.document
    return web.json_response(out, status=201 if result.created else 200,
                             headers={"Location": assertion_path(signed.id)})


@routes.post("/admin/revoke/" + ID_ROUTE)
async def revoke(request: web.Request) -> web.Response:
    node = require_admin(request)
    target_id = parse_path_id(request.match_info["id"])
    body: dict[str, Any] = {}
    if request.can_read_body:
        body = await read_json_body(request, node.limits)
    reason = body.get("reason")
    unknown = set(body) - {"reason", "suite"}
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}",
                         parameter=sorted(unknown)[0])
    target = await node.store.get(target_id)
    if target is None:
        raise NotFound(f"{target_id} is not held here", id=target_id)
    if target.record.issuer != node.did:
        raise RevocationNotByIssuer(
            f"{target_id} was issued by {target.record.issuer}, not by this node; only its "
            "issuer can revoke it", target=target_id)
    if target.revoked_by is not None:
        return web.json_response({"id": target.revoked_by, "target": target_id,
                                  "status": "revoked"}, status=200)
    revocation = Revocation(issuer=node.did, context=None, valid_from=node.now(),
                            target=target_id, reason=reason)
    signed = sign_assertion(node, revocation, suite=_suite(node, body))
    result = await node.ingestor.publish(signed)
    return web.json_response(
        {"id": signed.id, "target": target_id, "status": "revoked",
         "url": node.base_url + assertion_path(signed.id), "document": signed.document},
        status=201 if result.created else 200,
        headers={"Location": assertion_path(signed.id)})


@routes.post("/admin/rotate-key")
async def rotate_key(request: web.Request) -> web.Response:
    """Retire the current signing key and start the next; the rotation key signs the change."""
    node = require_admin(request)
    keyring = node.keyring
    previous = keyring.vm(keyring.current.id)
    statement = keyring.rotate(now=node.now(), sign_statement=lambda doc: keyring.sign(
        doc, suite="eddsa-jcs-2022", created=node.now(), loader=node.loader,
        limits=node.limits, rotation=True))
    return web.json_response({"previous": previous, "current": keyring.vm(keyring.current.id),
                              "statement": statement}, status=201)
