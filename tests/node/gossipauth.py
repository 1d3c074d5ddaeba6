"""Helpers for gossip tests that speak as a peer: signed hellos and a fake peer's key server.

A node opens a gossip session only for a ``hello`` signed by the key of the recognised peer
it names (``specs/gossip.md``, "Authenticated hello"). Tests that play a peer by hand sign
with that peer's key: a real node's (``node.node.keyring.signer``) or the key of a
:class:`KeyServer`, which publishes the discovery documents of a peer that is no node.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from nodehelpers import now

from confiance.node.identity import did_web_for
from confiance.node.keyring import NodeKey
from confiance.protocol.gossip import Filters, Hello, HelloSigner, encode_message, sign_hello
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import format_datetime


def signed_hello(node_url: str, key: HelloSigner, to: str, *, created: datetime | None = None,
                 nonce: bytes | None = None, filters: Filters | None = None) -> Hello:
    """A hello from ``node_url`` for the node whose DID is ``to``, signed by ``key``."""
    return sign_hello(Hello(node=node_url, filters=filters or Filters()), key=key, to=to,
                      nonce=nonce or os.urandom(16), created=created or now())


def hello_bytes(node_url: str, key: HelloSigner, to: str, **kwargs: Any) -> bytes:
    return encode_message(signed_hello(node_url, key, to, **kwargs))


class KeyServer:
    """A web server that plays a peer's discovery documents (and nothing else)."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.did = did_web_for(self.url)
        self.port = port
        self.signing = KeyPair.generate()
        self.rotation = KeyPair.generate()
        self.since = now() - timedelta(hours=1)
        self.did_doc = self.document(self.did)
        self.runner: web.AppRunner | None = None

    @property
    def key(self) -> NodeKey:
        """The signing key, naming this peer's ``#key-1``."""
        return NodeKey(self.signing, self.did + "#key-1")

    def document(self, did: str, signing: KeyPair | None = None) -> dict[str, Any]:
        key = signing or self.signing
        methods = [{"id": f"{did}#key-1", "type": "Multikey", "controller": did,
                    "publicKeyMultibase": key.public_key_multibase,
                    "validFrom": format_datetime(self.since)},
                   {"id": f"{did}#rotation-1", "type": "Multikey", "controller": did,
                    "publicKeyMultibase": self.rotation.public_key_multibase,
                    "validFrom": format_datetime(self.since)}]
        return {"id": did, "verificationMethod": methods, "assertionMethod": [f"{did}#key-1"],
                "capabilityInvocation": [f"{did}#rotation-1"]}

    async def start(self) -> None:
        app = web.Application()

        async def did_json(_: web.Request) -> web.Response:
            return web.json_response(self.did_doc, content_type="application/did+json")

        async def descriptor(_: web.Request) -> web.Response:
            return web.json_response({"did": self.did, "keyRotations": []})

        app.router.add_get("/.well-known/did.json", did_json)
        app.router.add_get("/.well-known/confiance", descriptor)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
