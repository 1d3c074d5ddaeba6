"""Outbound HTTP of a node: the one module that calls other servers (with ``node/running.py``,
the CLI calling its own node; ``tests/test_layering.py`` checks it).

:class:`PeerClient` wraps the node's one ``aiohttp.ClientSession`` (connection pool bounded
by ``max_requests_in_flight``, certificates checked against ``[tls] peer_ca_bundle`` or the
system's CAs, the ``request_timeout``) and makes exactly two kinds of call:

- ``POST <peer>/gossip`` with one gossip message (:meth:`PeerClient.post_gossip`), for the
  per-peer worker (:mod:`.worker`);
- ``GET`` of one JSON document, no redirects (:meth:`PeerClient.get`), for the keys of
  recognised peers (:mod:`.keys`): a did:web is bound to its URL, a redirect would unbind it.

Answers come back as a :class:`Reply` (status, media type, body read up to a cap: a peer
cannot make us buffer more than the limit). Every transport failure (``aiohttp``'s errors,
timeouts, socket errors) is translated here, and only here, into :class:`PeerUnavailable`:
callers judge the answer and never see a foreign exception. :func:`admin_request` is the
client of a node's own HTTP API for the CLI (``confiance trust`` asks a running node).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..config import NodeConfig
from ..tls import client_context

__all__ = ["SESSION_HEADER", "PeerClient", "PeerRefused", "PeerUnavailable", "Reply",
           "admin_request", "refusal_from_problem"]

#: The header a gossip session's token travels in (``specs/gossip.md``, section 7).
SESSION_HEADER = "Confiance-Gossip-Session"


class PeerUnavailable(Exception):
    """The peer could not be reached or answered outside the protocol (transient)."""


class PeerRefused(Exception):
    """The peer ended the session with an ``error`` message or a problem+json refusal."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer: its status, media type and body (empty when not read; at most the cap
    plus one byte, so that a longer one is seen as too long)."""

    status: int
    content_type: str
    body: bytes = b""
    declared_length: int | None = None


async def read_capped(content: aiohttp.StreamReader, cap: int) -> bytes:
    """The whole body, or its first ``cap + 1`` bytes (``StreamReader.read(n)`` returns what
    is buffered, possibly less than the body)."""
    body = bytearray()
    async for chunk in content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > cap:
            break
    return bytes(body)


def refusal_from_problem(status: int, body: bytes) -> PeerRefused:
    """An RFC 9457 refusal by a peer (e.g. ``hello-not-authenticated``) as
    :class:`PeerRefused`, its code the last segment of the problem's type."""
    try:
        problem = json.loads(body)
    except (ValueError, RecursionError):
        problem = None
    if not isinstance(problem, dict):
        return PeerRefused(f"http-{status}", "unreadable problem")
    slug = str(problem.get("type", "")).rsplit("/", 1)[-1][:80] or f"http-{status}"
    return PeerRefused(slug, str(problem.get("detail", ""))[:300])


class PeerClient:
    """The node's HTTP client towards its peers (see the module docstring).

    ``http`` is the underlying session; tests may wrap it (a partition) as long as the
    wrapper offers ``post``, ``get`` and ``close``.
    """

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    @classmethod
    def open(cls, config: NodeConfig, *, in_flight: int, timeout: float,
             user_agent: str) -> PeerClient:
        """A client whose pool holds ``2 * in_flight`` connections and whose requests
        give up after ``timeout`` seconds."""
        return cls(aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=in_flight * 2, ssl=client_context(config)),
            timeout=aiohttp.ClientTimeout(total=timeout),
            headers={"User-Agent": user_agent}))

    async def close(self) -> None:
        await self.http.close()

    async def post_gossip(self, base_url: str, data: bytes, token: str | None, cap: int
                          ) -> Reply:
        """``POST {base_url}/gossip``; the body is read unless the answer is 204."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers[SESSION_HEADER] = token
        try:
            async with self.http.post(base_url + "/gossip", data=data, headers=headers) as resp:
                if resp.status == 204:
                    return Reply(204, resp.content_type)
                body = await read_capped(resp.content, cap)
                return Reply(resp.status, resp.content_type, body)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise PeerUnavailable(f"{type(exc).__name__}: {exc}") from None

    async def get(self, url: str, *, accept: tuple[str, ...], cap: int, timeout: float
                  ) -> Reply:
        """``GET url`` without following redirects, within ``timeout`` seconds. The body is
        read (up to ``cap + 1`` bytes) only from a 200 in one of the ``accept`` media types
        whose declared length, if any, is within ``cap``."""
        try:
            async with self.http.get(url, allow_redirects=False,
                                     timeout=aiohttp.ClientTimeout(total=timeout),
                                     headers={"Accept": ", ".join(accept)}) as resp:
                length = resp.content_length
                if resp.status != 200 or resp.content_type not in accept or (
                        length is not None and length > cap):
                    return Reply(resp.status, resp.content_type, declared_length=length)
                body = await read_capped(resp.content, cap)
                return Reply(resp.status, resp.content_type, body, length)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise PeerUnavailable(f"{url}: {type(exc).__name__}: {exc}") from None


async def admin_request(base_url: str, token: str, method: str, path: str,
                        body: Mapping[str, Any] | None = None, *,
                        timeout: float = 5.0) -> tuple[int, Any] | None:
    """Call a running node's HTTP API (``Authorization: Bearer token``): its status and
    JSON answer (or text), None if unreachable."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http, \
                http.request(method, base_url.rstrip("/") + path, json=body,
                             headers={"Authorization": f"Bearer {token}"}) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text
    except (aiohttp.ClientConnectionError, TimeoutError, OSError):
        return None
