"""Discovery: the node descriptor, its DID document, the JSON-LD context, the OpenAPI text."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from confiance.protocol.model import CONFIANCE_CONTEXT_URL, KINDS

from ..context import NODE, Node
from ..http import LD_JSON, json_response
from ..nodecontext import NODE_CONTEXT_URL
from ..openapi import openapi_document, registered_paths

__all__ = ["descriptor", "did_document", "routes"]

routes = web.RouteTableDef()
SUITES = ("eddsa-jcs-2022", "eddsa-rdfc-2022")


def descriptor(node: Node) -> dict[str, Any]:
    """What ``GET /.well-known/confiance`` says about this node."""
    keyring = node.keyring
    keys = [{**m, "status": "current" if "validUntil" not in m else "retired"}
            for m in keyring.verification_methods() if not m["id"].endswith("#rotation-1")]
    base = node.base_url
    return {
        "name": node.config.name,
        "did": node.did,
        "publicUrl": node.config.public_url,
        "url": base,
        "software": {"name": "confiance", "version": node.version},
        "verificationMethods": keys,
        "assertionMethod": keyring.vm(keyring.current.id),
        "rotationKey": {"id": keyring.vm(keyring.rotation.id), "type": "Multikey",
                        "controller": node.did,
                        "publicKeyMultibase": keyring.rotation.public_key_multibase},
        "keyRotations": keyring.rotations,
        "contexts": [{"url": CONFIANCE_CONTEXT_URL, "href": f"{base}/contexts/v1"},
                     {"url": NODE_CONTEXT_URL, "href": f"{base}/contexts/node-v1"}],
        "cryptosuites": list(SUITES),
        "kinds": list(KINDS),
        "limits": {"maxBodyBytes": node.limits.max_bytes,
                   "maxUnacceptedPerSubject": node.config.max_unaccepted_per_subject,
                   "maxPageSize": node.config.max_page_size},
        "endpoints": {"assertions": f"{base}/assertions", "statusLists": f"{base}/status/",
                      "subjects": f"{base}/subjects/", "didDocument":
                      f"{base}/.well-known/did.json", "openapi": f"{base}/openapi.json"},
    }


def did_document(node: Node) -> dict[str, Any]:
    """The did:web DID document: every signing key (retired ones too, with their validity
    period, so old assertions still verify) and the rotation key (capabilityInvocation)."""
    keyring = node.keyring
    methods = keyring.verification_methods()
    signing = [m["id"] for m in methods if not m["id"].endswith("#rotation-1")]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": node.did,
        "verificationMethod": methods,
        "assertionMethod": signing,
        "authentication": [keyring.vm(keyring.current.id)],
        "capabilityInvocation": [keyring.vm(keyring.rotation.id)],
        "service": [{"id": f"{node.did}#confiance", "type": "ConfianceNode",
                     "serviceEndpoint": node.base_url}],
    }


@routes.get("/.well-known/confiance")
async def get_descriptor(request: web.Request) -> web.Response:
    return json_response(descriptor(request.app[NODE]))


@routes.get("/.well-known/did.json")
async def get_did_document(request: web.Request) -> web.Response:
    return json_response(did_document(request.app[NODE]), content_type="application/did+json")


@routes.get("/contexts/v1")
async def get_context(request: web.Request) -> web.Response:
    node = request.app[NODE]
    return json_response(node.loader.document(CONFIANCE_CONTEXT_URL), content_type=LD_JSON,
                         headers={"Cache-Control": "public, max-age=86400"})


@routes.get("/contexts/node-v1")
async def get_node_context(request: web.Request) -> web.Response:
    node = request.app[NODE]
    return json_response(node.loader.document(NODE_CONTEXT_URL), content_type=LD_JSON,
                         headers={"Cache-Control": "public, max-age=86400"})


@routes.get("/openapi.json")
async def get_openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document(request.app[NODE].version,
                                          registered_paths(request.app.router)))
