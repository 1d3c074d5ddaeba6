"""The node's identity: a did:web derived from its public URL, else from its listen address.

``https://example.org`` is ``did:web:example.org``; a port is kept, its colon
percent-encoded (``https://example.org:8443`` -> ``did:web:example.org%3A8443``); a path
becomes colon-separated segments (``https://example.org/trust`` -> ``did:web:example.org:trust``,
whose DID document did:web places at ``/trust/did.json``, not at ``/.well-known/did.json``).

Without a public URL the node takes the did:web of the address it listens on
(``did:web:127.0.0.1%3A8080``). That identity follows the listen address: it suits a
node on a laptop, not one that others rely on; set ``public_url`` for a stable DID. did:web
resolves over https; a loopback address is resolved over plain http (by peers on the same
machine only).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from confiance.protocol.errors import KeyFormatError

__all__ = ["did_web_for"]


def did_web_for(url: str) -> str:
    """The did:web for a base URL."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise KeyFormatError(f"cannot derive a did:web from {url!r}: no host")
    text = quote(host.lower(), safe="")
    if parts.port is not None:
        text += "%3A" + str(parts.port)
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", text, *segments])

