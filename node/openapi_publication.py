"""The OpenAPI description of the publication mode's routes (pages, badges, marks).

Kept beside ``node/openapi.py`` (which merges it into ``PATHS``) so the two grow apart
without conflicts; the same test keeps both honest against the router.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PUBLICATION_PATHS"]

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_OBJECT = {"type": "object"}
_ID = {"name": "id", "in": "path", "required": True,
       "description": "an assertion id (the 43-character base64url digest, or the full "
                      "ni:///sha-256;... percent-encoded)",
       "schema": {"type": "string", "maxLength": 128}}
_MARK = {"name": "mark", "in": "path", "required": True,
         "description": "the mark's short name (lower-case letters, digits, '-')",
         "schema": {"type": "string", "maxLength": 64}}
_VERSION = {"name": "version", "in": "path", "required": True,
            "schema": {"type": "string", "maxLength": 32}}
_SUBJECT = {"name": "subject", "in": "path", "required": True,
            "description": "the subject's DID or IRI, percent-encoded",
            "schema": {"type": "string", "maxLength": 2048}}
_LANG = {"name": "lang", "in": "query", "required": False,
         "description": "en or fr: overrides Accept-Language for the HTML",
         "schema": {"enum": ["en", "fr"]}}


def _html_or(media: str, what: str, schema: dict[str, Any] = _OBJECT) -> dict[str, Any]:
    return {"description": f"HTML for people, or {what} by Accept",
            "content": {"text/html": {"schema": {"type": "string"}},
                        media: {"schema": schema}}}


_STRING = {"type": "string"}
#: ``GET /`` as JSON: who runs the node, its marks, its published rules, its peers.
_HOME = {"type": "object", "required": ["name", "did", "marks", "rules", "peers", "openapi"],
         "properties": {
             "name": _STRING, "did": _STRING, "openapi": _STRING,
             "marks": {"type": "array", "items": {
                 "type": "object", "required": ["id", "name"],
                 "properties": {"id": _STRING, "name": _STRING}}},
             "rules": {"type": "array", "items": {
                 "type": "object", "required": ["id", "sentence"],
                 "properties": {"id": {**_STRING, "description": "the Recognition's id"},
                                "sentence": {**_STRING, "description": "the rule in words "
                                             "(specs/node-api.md 13.5)"}}}},
             "peers": {"type": "array", "items": {
                 "type": "object", "required": ["name", "url"],
                 "properties": {"name": _STRING, "url": _STRING}}},
             "accountability": {
                 "type": "object", "description": "the referral accountability rule "
                 "(specs/trust.md section 5): its figures and the page's sentences",
                 "required": ["referralPenalty", "referralPenaltyCap", "withdrawnReferralDays",
                              "sentences"],
                 "properties": {"referralPenalty": {"type": "number"},
                                "referralPenaltyCap": {"type": "number"},
                                "withdrawnReferralDays": {"type": "number"},
                                "sentences": {"type": "array", "items": _STRING}}}}}


def _svg(description: str) -> dict[str, Any]:
    return {"description": description + " (ETag; Cache-Control: public, no-cache)",
            "content": {"image/svg+xml": {"schema": {"type": "string"}}}}


PUBLICATION_PATHS: dict[str, dict[str, Any]] = {
    "/": {"get": {
        "summary": "The node's own page: who runs it, the marks it awards, how it reads "
                   "others' marks, its peers", "operationId": "homePage",
        "parameters": [_LANG],
        "responses": {"200": _html_or("application/json", "a JSON summary", _HOME),
                      "406": _PROBLEM}}},
    "/static/confiance.css": {"get": {
        "summary": "The pages' one stylesheet", "operationId": "stylesheet",
        "responses": {"200": {"description": "CSS", "content": {"text/css": {
            "schema": {"type": "string"}}}}}}},
    "/subjects/{subject}": {"get": {
        "summary": "A personal badge page: what the subject accepted about itself, by "
                   "context, with live badges", "operationId": "personalPage",
        "parameters": [_SUBJECT, _LANG],
        "responses": {"200": _html_or("application/json",
                                      "the accepted assertions (with their documents)"),
                      "400": _PROBLEM, "406": _PROBLEM}}},
    "/admin/marks": {"post": {
        "summary": "Publish a mark definition (terms and deed, signed by the node; a "
                   "version is immutable)", "operationId": "createMark",
        "security": [{"adminToken": []}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "required": [
                "mark", "name", "shortName", "trustContext", "terms", "says", "doesNotSay",
                "earnedBy", "lostBy", "lasts"]}}}},
        "responses": {"201": {"description": "published", "content": {
            "application/json": {"schema": _OBJECT}}},
            "200": {"description": "this version was already published with these terms"},
            "400": _PROBLEM, "401": _PROBLEM, "409": _PROBLEM, "415": _PROBLEM,
            "422": _PROBLEM}}},
    "/marks/{mark}": {"get": {
        "summary": "The latest version of a mark's definition", "operationId": "latestMark",
        "parameters": [_MARK, _LANG],
        "responses": {"200": _html_or("application/ld+json", "the signed definition"),
                      "404": _PROBLEM, "406": _PROBLEM}}},
    "/marks/{mark}/{version}": {"get": {
        "summary": "A mark's terms and deed (English or French), or its signed definition",
        "operationId": "markVersion", "parameters": [_MARK, _VERSION, _LANG],
        "responses": {"200": _html_or("application/ld+json", "the signed definition"),
                      "404": _PROBLEM, "406": _PROBLEM}}},
    "/badges/{id}": {"get": {
        "summary": "The verify page (HTML) or the signed assertion (JSON-LD)",
        "operationId": "verifyPage", "parameters": [_ID, _LANG],
        "responses": {"200": _html_or("application/ld+json", "the signed assertion"),
                      "400": _PROBLEM, "404": _PROBLEM, "406": _PROBLEM, "410": _PROBLEM}}},
    "/badges/{id}.svg": {"get": {
        "summary": "The live badge, shields.io flat style", "operationId": "badgeSvg",
        "parameters": [_ID],
        "responses": {"200": _svg("the badge"), "304": {"description": "unchanged"},
                      "400": _PROBLEM, "404": _PROBLEM, "410": _PROBLEM}}},
    "/badges/{id}/baked.svg": {"get": {
        "summary": "The badge with the signed assertion inside (Open Badges 3.0 baking)",
        "operationId": "bakedBadge", "parameters": [_ID],
        "responses": {"200": _svg("the baked badge"), "304": {"description": "unchanged"},
                      "400": _PROBLEM, "404": _PROBLEM, "410": _PROBLEM}}},
    "/badges/{id}/shields.json": {"get": {
        "summary": "The badge as a shields.io endpoint (schemaVersion 1)",
        "operationId": "shieldsEndpoint", "parameters": [_ID],
        "responses": {"200": {"description": "shields.io endpoint JSON", "content": {
            "application/json": {"schema": _OBJECT}}}, "400": _PROBLEM, "404": _PROBLEM,
            "410": _PROBLEM}}},
    "/badges/{id}/openbadge.json": {"get": {
        "summary": "A TrustMark this node issued, as an Open Badges 3.0 "
                   "OpenBadgeCredential signed by the node", "operationId": "openBadge",
        "parameters": [_ID],
        "responses": {"200": {"description": "the signed OpenBadgeCredential", "content": {
            "application/ld+json": {"schema": _OBJECT}}}, "400": _PROBLEM, "404": _PROBLEM,
            "410": _PROBLEM}}},
}
