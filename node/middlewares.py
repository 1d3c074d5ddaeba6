"""Every refusal as RFC 9457 ``application/problem+json``, in exactly one place.

- a :class:`~confiance.protocol.errors.ConfianceError` (protocol or node problem) becomes
  its own problem document: ``type`` is the error's stable URI, ``detail`` its message,
  extension members its ``detail`` dict; ``Retry-After`` and ``WWW-Authenticate`` are
  added where the error calls for them;
- an aiohttp HTTP error (no route, wrong method, body over the size limit...) becomes a
  problem with a type per status (``not-found``, ``method-not-allowed``,
  ``document-too-large``...);
- anything else is a bug: logged with its traceback and a request id, answered with a bare
  500 problem carrying only that id, never the exception's text (which may hold internals).

A second middleware applies the per-client rate limits before any handler work, except on
``/admin/`` paths: those answer 401 to a request without the admin token before anything
else (a wrong token is never a 429, and the operator's own calls are never limited).

:func:`security_headers` (an ``on_response_prepare`` hook) sets the headers every answer
carries, errors included; a Content-Security-Policy for HTML pages belongs there too.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from confiance.protocol.errors import PROBLEM_BASE, ConfianceError

from .problems import RateLimited, ServiceUnavailable, Unauthorized
from .ratelimit import RateLimiter, client_key

__all__ = [
    "PROBLEM_JSON",
    "SECURITY_HEADERS",
    "client_address",
    "error_middleware",
    "make_rate_limit_middleware",
    "problem_response",
    "security_headers",
]

log = logging.getLogger("confiance.node")
PROBLEM_JSON = "application/problem+json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: Headers on every response: a browser must not guess a type other than the declared one
#: (a JSON document or an SVG badge sniffed as HTML would run script in the node's origin).
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
#: An SVG opened directly runs as a document: no script, no loads, a sandbox.
SVG_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


async def security_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """``on_response_prepare``: add :data:`SECURITY_HEADERS` to every response.

    The one place for response-wide security headers: ``nosniff`` (a browser never takes
    JSON or SVG for a script or a style), no referrer (a credential's URL never leaks to a
    third party), and a Content-Security-Policy: the HTML pages set their own
    (``node/routes/pages.py``, no ``'unsafe-inline'``), an SVG gets a sandbox, everything
    else forbids all. Parse errors answered before the application (:mod:`.malformed`) set
    the same headers themselves.
    """
    headers = response.headers
    # the raw header: aiohttp's parsed content_type costs more than a whole badge request
    if "Content-Security-Policy" not in headers and headers.get(
            "Content-Type", "").startswith("image/svg+xml"):
        headers["Content-Security-Policy"] = SVG_CSP
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)

# aiohttp HTTP errors -> (slug, title).
_HTTP_PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    411: ("length-required", "Length required"),
    413: ("document-too-large", "Request body too large"),
    414: ("uri-too-long", "URI too long"),
    415: ("unsupported-media-type", "Unsupported media type"),
    431: ("headers-too-large", "Request headers too large"),
}


def problem_response(problem: dict[str, Any], status: int,
                     headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(problem, status=status, content_type=PROBLEM_JSON,
                             headers=headers)


def _for_confiance(exc: ConfianceError, request: web.Request, request_id: str) -> web.Response:
    if exc.status >= 500 and not isinstance(exc, ServiceUnavailable):
        log.error("internal error %s on %s %s: %s", request_id, request.method, request.path,
                  exc.message, exc_info=exc)
        return _internal(request, request_id)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited | ServiceUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = exc.scheme
    problem = exc.to_problem(instance=request.path)
    log.info("refused", extra={"method": request.method, "path": request.path,
                               "status": exc.status, "problem": exc.slug})
    return problem_response(problem, exc.status, headers)


def _for_http(exc: web.HTTPException, request: web.Request) -> web.Response:
    slug, title = _HTTP_PROBLEMS.get(exc.status, ("http-error", exc.reason))
    detail = {
        404: f"no resource at {request.path}",
        405: f"{request.method} is not allowed on {request.path}",
    }.get(exc.status, exc.text if exc.text and not exc.text.startswith(str(exc.status))
          else title)
    problem = {"type": PROBLEM_BASE + slug, "title": title, "status": exc.status,
               "detail": detail, "instance": request.path}
    headers = {k: v for k, v in exc.headers.items()
               if k.lower() in ("allow", "retry-after", "www-authenticate")}
    return problem_response(problem, exc.status, headers)


def _internal(request: web.Request, request_id: str) -> web.Response:
    problem = {"type": PROBLEM_BASE + "internal-error", "title": "Internal error",
               "status": 500, "detail": "the node failed to handle this request; the "
               "operator can find it in the logs by its requestId", "instance": request.path,
               "requestId": request_id}
    return problem_response(problem, 500)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map every exception to a problem document (see the module docstring)."""
    try:
        return await handler(request)
    except ConfianceError as exc:
        return _for_confiance(exc, request, secrets.token_hex(8))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _for_http(exc, request)
    except Exception:
        request_id = secrets.token_hex(8)
        log.exception("internal error %s on %s %s", request_id, request.method, request.path)
        return _internal(request, request_id)


def client_address(request: web.Request, trust_forwarded_for: bool) -> str:
    """The client's address: the peer's, or the last X-Forwarded-For hop when trusted."""
    if trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.remote or ""


def make_rate_limit_middleware(*, reads: RateLimiter, writes: RateLimiter,
                               trust_forwarded_for: bool, admin_token: Callable[[], str],
                               exempt: set[str]) -> Any:
    """A middleware taking a token per request (reads and writes apart).

    Requests bearing the admin token are not limited (the operator is not a flood), nor
    ``/admin/`` paths (they refuse a request without the token at once: 401, not 429), nor
    paths in ``exempt`` (a live set: ``/health``; ``/gossip``, which gossip limits and
    scores per peer itself, since all peers of a loopback test share one address).
    """

    @web.middleware
    async def rate_limit_middleware(request: web.Request, handler: Handler
                                    ) -> web.StreamResponse:
        if request.path in exempt or request.path.startswith("/admin/"):
            return await handler(request)  # admin: 401 without the token, else unlimited
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and hmac.compare_digest(
                auth[7:].strip().encode(), admin_token().encode()):
            return await handler(request)
        limiter = reads if request.method in ("GET", "HEAD", "OPTIONS") else writes
        if not limiter.limit.enabled:
            return await handler(request)
        wait = limiter.acquire(client_key(client_address(request, trust_forwarded_for)))
        if wait > 0:
            raise RateLimited(
                f"too many {'reads' if limiter is reads else 'writes'} from this client; "
                f"retry in {wait:.1f} s", retry_after=wait,
                limit={"perSecond": limiter.limit.per_second, "burst": limiter.limit.burst})
        return await handler(request)

    return rate_limit_middleware

