"""Logs: readable lines for a person at a terminal, JSON lines for machines; access log included.

Two styles, one record each line:

- ``json``: one object per line, ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg``
  and whatever ``extra`` fields the call site passed; exceptions add ``exc`` (the traceback,
  for the operator's eyes only: the HTTP answer never carries it). Operators grep and ship
  these;
- ``text``: ``12:04:31 info  listening on http://127.0.0.1:8080``, then the extra fields
  as ``key=value`` (those the message already shows are left out), the traceback below.

``auto`` (the default) is ``text`` when stderr is a terminal, else ``json``: a person
starting a node reads the first lines; a service manager or a pipe gets JSON.
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

__all__ = ["LOG_FORMATS", "AccessLogger", "StructuredFormatter", "configure_logging",
           "resolve_log_format"]

LOG_FORMATS = ("auto", "text", "json")

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class StructuredFormatter(logging.Formatter):
    """JSON lines (``style="json"``) or readable lines (``style="text"``)."""

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
        return self._readable(record, fields)

    @staticmethod
    def _readable(record: logging.LogRecord, fields: dict[str, Any]) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        message = str(fields["msg"])
        extras = [f"{k}={_kv(v)}" for k, v in fields.items()
                  if k not in ("ts", "level", "logger", "msg", "exc") and str(v) not in message]
        line = f"{when} {fields['level']:<7} {message}"
        if extras:
            line += "  " + " ".join(extras)
        if "exc" in fields:
            line += "\n" + str(fields["exc"])
        return line


def _kv(value: object) -> str:
    text = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    if not text or any(c in text for c in ' "=\n'):
        return json.dumps(text, ensure_ascii=False)
    return text


def resolve_log_format(style: str, stream: Any = None) -> str:
    """``auto`` -> ``text`` on a terminal, else ``json``; other styles unchanged."""
    if style != "auto":
        return style
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return "text" if callable(isatty) and isatty() else "json"


def configure_logging(style: str = "auto", level: str = "INFO") -> None:
    """Send every log record to stderr through :class:`StructuredFormatter`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(StructuredFormatter(resolve_log_format(style, sys.stderr)))
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
