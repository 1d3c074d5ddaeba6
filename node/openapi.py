"""The OpenAPI 3.1 description of the node's HTTP API, served at ``GET /openapi.json``.

Written by hand (it is documentation, and the handlers are small), and kept honest by
``tests/node/test_openapi.py``, which walks ``app.router`` and compares the set of
``(method, path)`` pairs with :data:`PATHS` in both directions. Problem types are listed in
``specs/node-api.md``.
"""

from __future__ import annotations

from typing import Any

from .openapi_publication import PUBLICATION_PATHS

__all__ = ["OPTIONAL_PATHS", "PATHS", "openapi_document", "registered_paths"]

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_ID_PARAM = {"name": "id", "in": "path", "required": True,
             "description": "an assertion id: the 43-character base64url digest, or the "
                            "whole ni:///sha-256;<digest> as printed (percent-encoded or not)",
             "schema": {"type": "string", "maxLength": 128}}
_SUBJECT_PARAM = {"name": "subject", "in": "path", "required": True,
                  "description": "the subject's DID or IRI, percent-encoded",
                  "schema": {"type": "string", "maxLength": 2048}}
_SIGNED_REQUEST: list[dict[str, list[str]]] = [{"subjectRequest": []}]
_ADMIN: list[dict[str, list[str]]] = [{"adminToken": []}]


def _json(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any] | None = None,
        media: str = "application/json") -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out.update(_json(schema, media))
    return out


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _PROBLEM for code in codes}


_OBJECT = {"type": "object"}
_ASSERTION_BODY = {"required": True,
                   "content": {m: {"schema": {"$ref": "#/components/schemas/SignedAssertion"}}
                               for m in ("application/json", "application/ld+json",
                                         "application/vc+ld+json")}}
_SUBMITTED = {"type": "object", "required": ["id", "status", "url"],
              "properties": {"id": {"type": "string"}, "status": {"$ref":
                             "#/components/schemas/Status"}, "url": {"type": "string"}}}

PATHS: dict[str, dict[str, Any]] = {
    "/health": {"get": {
        "summary": "Liveness: the process is up and serving", "operationId": "health",
        "responses": {"200": _ok("up", _OBJECT)}}},
    "/openapi.json": {"get": {
        "summary": "This document", "operationId": "openapi",
        "responses": {"200": _ok("the OpenAPI 3.1 document", _OBJECT)}}},
    "/.well-known/confiance": {"get": {
        "summary": "The node descriptor: DID, URL, keys and their validity, contexts, version",
        "operationId": "descriptor", "responses": {"200": _ok("descriptor", _OBJECT)}}},
    "/.well-known/did.json": {"get": {
        "summary": "The did:web DID document (current and retired keys, rotation key)",
        "operationId": "didDocument",
        "responses": {"200": _ok("DID document", _OBJECT, "application/did+json")}}},
    "/contexts/v1": {"get": {
        "summary": "The Confiance v1 JSON-LD context", "operationId": "context",
        "responses": {"200": _ok("context", _OBJECT, "application/ld+json")}}},
    "/contexts/node-v1": {"get": {
        "summary": "The JSON-LD context of the node's own documents (key rotation, subject "
                   "requests, status reports)", "operationId": "nodeContext",
        "responses": {"200": _ok("context", _OBJECT, "application/ld+json")}}},
    "/assertions": {
        "post": {
            "summary": "Submit a signed assertion (verified before it is stored)",
            "operationId": "submitAssertion", "requestBody": _ASSERTION_BODY,
            "responses": {"201": _ok("stored", _SUBMITTED), "200": _ok("already held",
                                                                       _SUBMITTED),
                          **_errors(400, 403, 409, 410, 413, 415, 422, 429)}},
        "get": {
            "summary": "A page of held assertions, in arrival order", "operationId":
            "listAssertions",
            "parameters": [
                *({"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                  for n in ("subject", "issuer", "kind", "context")),
                {"name": "since", "in": "query", "required": False,
                 "description": "received at or after this date-time",
                 "schema": {"type": "string", "format": "date-time"}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1}},
                {"name": "cursor", "in": "query", "required": False,
                 "description": "the opaque `next` of the previous page",
                 "schema": {"type": "string"}}],
            "responses": {"200": _ok("a page", {"type": "object", "required": ["items", "next"],
                                                "properties": {"items": {"type": "array"},
                                                               "next": {"type": ["string",
                                                                                 "null"]}}}),
                          **_errors(400, 429)}}},
    "/assertions/{id}": {"get": {
        "summary": "One assertion: the signed document, its status in Confiance-Status; "
                   "application/json gives an envelope with the status",
        "operationId": "getAssertion", "parameters": [_ID_PARAM],
        "responses": {
            "200": {"description": "the signed document or its envelope",
                    "headers": {"Confiance-Status": {"schema": {
                        "$ref": "#/components/schemas/Status"}}},
                    "content": {"application/ld+json": {"schema": _OBJECT},
                                "application/vc+ld+json": {"schema": _OBJECT},
                                "application/json": {"schema": _OBJECT}}},
            "304": {"description": "not modified (ETag)"},
            **_errors(400, 404, 406, 410, 429)}}},
    "/status/{list}": {"get": {
        "summary": "A W3C Bitstring Status List credential signed by the node",
        "operationId": "statusList",
        "parameters": [{"name": "list", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1}}],
        "responses": {"200": _ok("status list credential", _OBJECT, "application/vc+ld+json"),
                      **_errors(404)}}},
    "/admin/issue": {"post": {
        "summary": "Sign and publish an assertion from the fields given",
        "operationId": "adminIssue", "security": _ADMIN,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["kind", "credentialSubject"]}}}},
        "responses": {"201": _ok("issued", _OBJECT), **_errors(400, 401, 413, 415, 422)}}},
    "/admin/revoke/{id}": {"post": {
        "summary": "Revoke an assertion this node issued (stores a signed Revocation)",
        "operationId": "adminRevoke", "security": _ADMIN, "parameters": [_ID_PARAM],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"reason": {"type": "string"}}}}}},
        "responses": {"201": _ok("revoked", _OBJECT), "200": _ok("revoked already", _OBJECT),
                      **_errors(400, 401, 403, 404)}}},
    "/admin/rotate-key": {"post": {
        "summary": "Retire the signing key and start a new one (signed by the rotation key)",
        "operationId": "adminRotateKey", "security": _ADMIN,
        "responses": {"201": _ok("rotated", _OBJECT), **_errors(401)}}},
    "/subjects/{subject}/status": {"get": {
        "summary": "What this node currently asserts about a subject, signed by the node and "
                   "filtered by the subject's consent (request mode)",
        "operationId": "subjectStatus",
        "parameters": [_SUBJECT_PARAM, {"name": "context", "in": "query", "required": False,
                                        "schema": {"type": "string"}}],
        "responses": {"200": _ok("a VerifiablePresentation signed by the node", _OBJECT,
                                 "application/ld+json"), **_errors(400, 422, 429)}}},
    "/subjects/{subject}/export": {"get": {
        "summary": "Everything this node holds about and by the subject (signed request)",
        "operationId": "subjectExport", "security": _SIGNED_REQUEST,
        "parameters": [_SUBJECT_PARAM],
        "responses": {"200": _ok("export", _OBJECT), **_errors(400, 401, 409, 429)}}},
    "/subjects/{subject}/acceptances": {"post": {
        "summary": "Publish the subject's signed Acceptance (accept or reject an assertion)",
        "operationId": "subjectAcceptance", "parameters": [_SUBJECT_PARAM],
        "requestBody": _ASSERTION_BODY,
        "responses": {"201": _ok("stored", _SUBMITTED), "200": _ok("already held", _SUBMITTED),
                      **_errors(400, 403, 409, 413, 415, 422, 429)}}},
    "/subjects/{subject}/erasure": {"post": {
        "summary": "Erase assertions the subject issued (signed request); tombstones kept",
        "operationId": "subjectErasure", "security": _SIGNED_REQUEST,
        "parameters": [_SUBJECT_PARAM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"ids": {"type": "array", "items": {
                "type": "string"}}, "all": {"type": "boolean"}}}}}},
        "responses": {"200": _ok("erased", _OBJECT), **_errors(400, 401, 403, 404, 409, 429)}}},
}


_GOSSIP_ERROR = {"$ref": "#/components/responses/GossipError"}


def _gossip_errors(*codes: int) -> dict[str, Any]:
    """Refusals of ``POST /gossip`` answered as gossip ``error`` messages (application/json),
    so that the peer's session state machine sees them (specs/gossip.md)."""
    return {str(code): _GOSSIP_ERROR for code in codes}


_PEER_PARAM = {"name": "peer", "in": "path", "required": True,
               "description": "a recognised peer's name or URL (percent-encoded)",
               "schema": {"type": "string"}}

#: Routes of the optional parts (gossip: node/routes/gossip.py; trust: node/routes/trust.py),
#: documented here and served only when the part is installed.
OPTIONAL_PATHS: dict[str, dict[str, Any]] = {
    "/gossip": {"post": {
        "summary": "One gossip message from a recognised peer; the answer is one message "
                   "(specs/gossip.md); a hello must be signed (401 otherwise)",
        "operationId": "gossip",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _OBJECT}}},
        "responses": {"200": _ok("a gossip message", _OBJECT), "204": {"description":
                                                                        "session closed"},
                      **_gossip_errors(400, 403, 404, 409, 429), **_errors(401, 413, 415)}}},
    "/trust": {"get": {
        "summary": "How much one party trusts another in a context, with the explanation "
                   "(specs/trust.md)", "operationId": "getTrust",
        "parameters": [{"name": n, "in": "query", "required": n in ("from", "to"),
                        "schema": {"type": t}}
                       for n, t in (("from", "string"), ("to", "string"),
                                    ("context", "string"), ("algorithm", "string"),
                                    ("level", "number"), ("distrust", "string"),
                                    ("penalty", "string"))],
        "responses": {"200": _ok("a TrustResult", _OBJECT), **_errors(400, 429, 503)}}},
    "/trust/rank": {"get": {
        "summary": "The parties one party trusts most in a context, each score beside its raw "
                   "figure (specs/trust.md)", "operationId": "getTrustRank",
        "parameters": [{"name": n, "in": "query", "required": n == "from",
                        "schema": {"type": t}}
                       for n, t in (("from", "string"), ("context", "string"),
                                    ("algorithm", "string"), ("top", "integer"),
                                    ("level", "number"), ("distrust", "string"),
                                    ("penalty", "string"))],
        "responses": {"200": _ok("a RankResult", _OBJECT), **_errors(400, 429, 503)}}},
    "/admin/peers": {
        "get": {"summary": "The recognised peers: status, score, queues; gossip counters",
                "operationId": "listPeers", "security": _ADMIN,
                "responses": {"200": _ok("peers", _OBJECT), **_errors(401)}},
        "post": {"summary": "Recognise a peer (201) or update it (200)",
                 "operationId": "addPeer", "security": _ADMIN,
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"type": "object", "required": ["url"]}}}},
                 "responses": {"201": _ok("added", _OBJECT), "200": _ok("updated", _OBJECT),
                               **_errors(400, 401, 415)}}},
    "/admin/peers/{peer}": {"delete": {
        "summary": "Stop exchanging with a peer", "operationId": "removePeer",
        "security": _ADMIN, "parameters": [_PEER_PARAM],
        "responses": {"204": {"description": "removed"}, **_errors(401, 404)}}},
    "/admin/peers/{peer}/reinstate": {"post": {
        "summary": "Undo a peer's drop", "operationId": "reinstatePeer", "security": _ADMIN,
        "parameters": [_PEER_PARAM],
        "responses": {"200": _ok("reinstated", _OBJECT), **_errors(401, 404)}}},
}


PATHS.update(PUBLICATION_PATHS)


def registered_paths(router: Any) -> set[tuple[str, str]]:
    """``(method, path)`` of every route in an aiohttp router (HEAD and OPTIONS left out)."""
    return {(route.method.lower(), route.resource.canonical) for route in router.routes()
            if route.resource is not None and route.method not in ("HEAD", "OPTIONS")}


def openapi_document(version: str, registered: set[tuple[str, str]] | None = None
                     ) -> dict[str, Any]:
    """The full OpenAPI 3.1 document; with ``registered``, optional parts that are present."""
    paths = dict(PATHS)
    for path, item in OPTIONAL_PATHS.items():
        present = {m: op for m, op in item.items()
                   if registered is not None and (m, path) in registered}
        if present:
            paths[path] = present
    return {
        "openapi": "3.1.0",
        "info": {"title": "Confiance node API", "version": version,
                 "description": "Signed trust assertions: submit, fetch, list, revoke; "
                                "subject rights. See specs/node-api.md.",
                 "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        "paths": paths,
        "components": {
            "schemas": {
                "Status": {"enum": ["valid", "revoked", "rejected-by-subject", "expired",
                                    "superseded", "not-yet-valid"]},
                "SignedAssertion": {"type": "object",
                                    "description": "a Confiance assertion (VC 2.0) with a "
                                                   "Data Integrity proof"},
                "Problem": {"type": "object", "required": ["type", "title", "status"],
                            "properties": {"type": {"type": "string", "format": "uri"},
                                           "title": {"type": "string"},
                                           "status": {"type": "integer"},
                                           "detail": {"type": "string"},
                                           "instance": {"type": "string"}}},
            },
            "responses": {"Problem": {"description": "an RFC 9457 problem",
                                      "content": {"application/problem+json": {"schema": {
                                          "$ref": "#/components/schemas/Problem"}}}},
                          "GossipError": {
                              "description": "a gossip error message (400 malformed or "
                                             "out-of-sequence, 403 peer not recognised or "
                                             "dropped, 404 unknown session, 409 session busy, "
                                             "429 peer throttled); a 400 raised before the "
                                             "gossip engine is a problem document",
                              "content": {"application/json": {"schema": {
                                  "type": "object", "required": ["type", "code"],
                                  "properties": {"type": {"const": "error"},
                                                 "code": {"type": "string"},
                                                 "detail": {"type": "string"}}}},
                                          "application/problem+json": {"schema": {
                                              "$ref": "#/components/schemas/Problem"}}}}},
            "securitySchemes": {
                "adminToken": {"type": "http", "scheme": "bearer",
                               "description": "the token in DATA_DIR/admin.token"},
                "subjectRequest": {"type": "apiKey", "in": "header", "name": "Authorization",
                                   "description": "Confiance-DI <base64url signed request>: "
                                                  "see specs/node-api.md"},
            },
        },
    }
