"""Structured logs: one JSON object per line (or ``key=value`` pairs), access log included.

Operators grep and ship logs; a line per event with named fields beats prose. Each line has
``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg`` and whatever ``extra`` fields the call
site passed; exceptions add ``exc`` (the traceback, for the operator's eyes only: the HTTP
answer never carries it).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

__all__ = ["AccessLogger", "StructuredFormatter", "configure_logging"]

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class StructuredFormatter(logging.Formatter):
    """JSON lines (``style="json"``) or ``key=value`` pairs (``style="text"``)."""

    def __init__(self, style: str = "json") -> None:
        super().__init__()
        self.style_name = style

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                fields[key] = value
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        if self.style_name == "json":
            return json.dumps(fields, ensure_ascii=False, default=str)
        return " ".join(f"{k}={_kv(v)}" for k, v in fields.items())


def _kv(value: object) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\n'):
        return json.dumps(text, ensure_ascii=False)
    return text


def configure_logging(style: str = "json", level: str = "INFO") -> None:
    """Send every log record to stderr through :class:`StructuredFormatter`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(StructuredFormatter(style))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


class AccessLogger(AbstractAccessLogger):
    """One structured line per request (method, path, status, bytes, duration, client)."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("access", extra={
            "method": request.method, "path": request.path, "status": response.status,
            "bytes": response.body_length, "ms": round(time * 1000, 2),
            "client": request.remote})

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
