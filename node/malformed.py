"""Requests that never reach the application: answered as problem+json, logged in one line.

aiohttp answers a request it cannot parse (a request line or header over 8,190 bytes, a
bad method, broken framing) itself, before any middleware: ``text/plain`` echoing part of
the request line, and an ERROR log record with a full traceback. Anyone could then fill the
operator's log with tracebacks, one request each, and read their own URL back in a page
with no ``nosniff``. aiohttp offers no hook for this (aio-libs/aiohttp#3287), so
:func:`answer_malformed_requests` makes the runner's connections use
:class:`ProblemRequestHandler`, whose ``handle_error`` answers 4xx parse errors with a
fixed RFC 9457 document (nothing from the request in it) and logs one INFO line (client,
status, problem type), no traceback. 5xx keeps aiohttp's own handling.

Call it once between ``runner.setup()`` and ``site.start()`` (``confiance serve`` does).
It relies on two aiohttp facts, checked by ``tests/node/test_serve_process.py``: the
runner's :class:`aiohttp.web.Server` is the protocol factory its sites use, and
:class:`aiohttp.web_protocol.RequestHandler` routes parse errors through ``handle_error``.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from confiance.protocol.errors import PROBLEM_BASE

from .middlewares import PROBLEM_JSON, SECURITY_HEADERS

__all__ = ["ProblemRequestHandler", "answer_malformed_requests"]

log = logging.getLogger("confiance.node")


def _problem_for(exc: BaseException | None, status: int) -> dict[str, object]:
    if isinstance(exc, LineTooLong):
        slug, title = "line-too-long", "Request line or header too long"
        detail = ("the request line or a header line is longer than this node accepts "
                  "(8190 bytes)")
    elif isinstance(exc, BadHttpMethod):
        slug, title, detail = "malformed-request", "Malformed request", "not an HTTP method"
    else:
        slug, title = "malformed-request", "Malformed request"
        detail = "the request is not valid HTTP/1.1"
    return {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}


class ProblemRequestHandler(RequestHandler):
    """aiohttp's connection handler, with parse errors answered as problem+json."""

    __slots__ = ()

    def handle_error(self, request: BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status >= 500:
            response = super().handle_error(request, status, exc, message)
            response.headers.update(SECURITY_HEADERS)
            return response
        problem = _problem_for(exc, status)
        log.info("refused a malformed request", extra={
            "client": request.remote, "status": status,
            "problem": str(problem["type"]).rsplit("/", 1)[-1]})
        if request.writer.output_size > 0:  # part of an answer went out: nothing to add
            raise ConnectionError("a response was sent already")
        response = web.Response(status=status, text=json.dumps(problem),
                                content_type=PROBLEM_JSON, headers=SECURITY_HEADERS)
        response.force_close()
        return response


class _ProblemServer(web.Server):
    """The runner's server, making :class:`ProblemRequestHandler` connections."""

    def __call__(self) -> RequestHandler:
        handler = super().__call__()
        handler.__class__ = ProblemRequestHandler  # same slots: only handle_error differs
        return handler


def answer_malformed_requests(runner: web.BaseRunner) -> None:
    """Make ``runner``'s future connections answer parse errors as problem+json."""
    server = runner.server
    if server is None:
        raise RuntimeError("call answer_malformed_requests after runner.setup()")
    server.__class__ = _ProblemServer
