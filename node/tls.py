"""TLS for a node: serving https itself, and whom it trusts when it calls its peers.

Off loopback a node fetches its peers' did:web keys over https only, so nodes on separate
hosts need TLS. Two ways, both in ``specs/node-api.md`` ("TLS"):

- the node serves https itself: ``serve --tls-cert chain.pem --tls-key key.pem`` (or
  ``[tls] cert``/``key`` in ``confiance.toml``); its URL is then ``https://host:port``
  unless ``public_url`` says otherwise;
- a reverse proxy (nginx, Caddy) terminates TLS in front of a plain-http node whose
  ``public_url`` is the proxy's https URL.

Outbound (gossip, peer keys, the ``peers`` command talking to its node), a node verifies
certificates against the system's CA store, or, with ``[tls] peer_ca_bundle`` (a PEM file),
against those CAs only: a federation with a private CA needs no public certificate.
"""

from __future__ import annotations

import ssl

from confiance.protocol.errors import MalformedDocument

from .config import NodeConfig

__all__ = ["client_context", "server_context"]


def server_context(config: NodeConfig) -> ssl.SSLContext | None:
    """The context to serve https with, or None for plain http (no ``tls_cert``)."""
    if config.tls_cert is None or config.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise MalformedDocument(f"cannot use the TLS certificate {config.tls_cert} with the "
                                f"key {config.tls_key}: {exc}") from None
    return context


def client_context(config: NodeConfig) -> ssl.SSLContext:
    """The context to verify peers with: ``peer_ca_bundle`` if set, else the system's CAs."""
    try:
        context = ssl.create_default_context(cafile=config.peer_ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise MalformedDocument(f"cannot read the CA bundle {config.peer_ca_bundle}: "
                                f"{exc}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
