"""The node's configuration: one frozen dataclass, read from TOML, then the environment.

Precedence, lowest first: the defaults below, ``DATA_DIR/confiance.toml``, environment
variables ``CONFIANCE_<FIELD>`` (``CONFIANCE_PORT=9000``), then explicit overrides (the
command line). Nothing is global: :func:`load_config` returns a value that ``create_app``
receives, so two nodes live side by side in one process (the gossip tests need that).

The data directory is ``--data-dir``, else ``$CONFIANCE_DATA_DIR``, else ``./confiance-data``
(relative to the working directory: the quickstart's ``confiance serve`` creates it there).
Its layout::

    DATA_DIR/confiance.toml      this configuration
    DATA_DIR/confiance.sqlite3   the store (plus -wal and -shm beside it)
    DATA_DIR/admin.token         the operator's bearer token (mode 0600)
    DATA_DIR/keys/               signing keys, rotation key, key history (mode 0700/0600)
"""

from __future__ import annotations

import ipaddress
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from confiance.protocol.digits import ascii_digits
from confiance.protocol.errors import MalformedDocument

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_DATA_DIR",
    "NodeConfig",
    "RateLimit",
    "config_to_toml",
    "default_data_dir",
    "load_config",
    "loopback_listen",
    "with_listen",
]

CONFIG_FILE = "confiance.toml"
DEFAULT_DATA_DIR = "confiance-data"
SUITES = ("eddsa-jcs-2022", "eddsa-rdfc-2022")


@dataclass(frozen=True, kw_only=True)
class RateLimit:
    """A token bucket: ``burst`` requests at once, refilled at ``per_second``; 0 disables it."""

    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if not math.isfinite(self.per_second) or self.per_second < 0 or self.burst < 0:
            raise MalformedDocument("rate limits must be non-negative numbers")

    @property
    def enabled(self) -> bool:
        return self.per_second > 0 and self.burst > 0


@dataclass(frozen=True, kw_only=True)
class NodeConfig:
    """Everything a node needs to run; validated on construction."""

    data_dir: Path
    name: str = "confiance"
    public_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    # Size and work limits on what clients send.
    max_body_bytes: int = 64 * 1024
    max_unaccepted_per_subject: int = 100
    page_size: int = 50
    max_page_size: int = 500
    # Per-client token buckets (client = remote address, or X-Forwarded-For if trusted).
    write_rate: RateLimit = field(default_factory=lambda: RateLimit(per_second=5, burst=60))
    read_rate: RateLimit = field(default_factory=lambda: RateLimit(per_second=200, burst=400))
    trust_forwarded_for: bool = False
    max_tracked_clients: int = 10_000
    # Signing and subject requests.
    default_suite: str = "eddsa-jcs-2022"
    subject_request_max_age: int = 300
    status_list_size: int = 131_072
    log_format: str = "auto"  # text on a terminal, else json (node/logs.py)
    log_level: str = "INFO"
    # TLS: serve https with this certificate chain and key (PEM files); trust these CAs
    # (a PEM bundle) for the peers' https, instead of the system's.
    tls_cert: str | None = None
    tls_key: str | None = None
    peer_ca_bundle: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if not self.name.strip() or len(self.name) > 200:
            raise MalformedDocument("name must be a non-empty string of at most 200 characters")
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
                    or parts.fragment:
                raise MalformedDocument(
                    f"public_url must be an http(s) URL without query or fragment, "
                    f"got {self.public_url!r}")
            object.__setattr__(self, "public_url", self.public_url.rstrip("/"))
        if not 0 <= self.port <= 65535:
            raise MalformedDocument(f"port must be 0..65535, got {self.port}")
        for name in ("max_body_bytes", "max_unaccepted_per_subject", "page_size",
                     "max_page_size", "subject_request_max_age", "max_tracked_clients"):
            if getattr(self, name) < 1:
                raise MalformedDocument(f"{name} must be at least 1")
        if self.page_size > self.max_page_size:
            raise MalformedDocument("page_size must not exceed max_page_size")
        if self.status_list_size < 8 or self.status_list_size % 8:
            raise MalformedDocument("status_list_size must be a positive multiple of 8")
        if self.default_suite not in SUITES:
            raise MalformedDocument(f"default_suite must be one of {', '.join(SUITES)}")
        if self.log_format not in ("auto", "json", "text"):
            raise MalformedDocument("log_format must be auto, json or text")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise MalformedDocument("tls_cert and tls_key go together: give both or neither")

    # Paths inside the data directory.
    @property
    def config_path(self) -> Path:
        return self.data_dir / CONFIG_FILE

    @property
    def database_path(self) -> Path:
        return self.data_dir / "confiance.sqlite3"

    @property
    def admin_token_path(self) -> Path:
        return self.data_dir / "admin.token"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def base_url(self) -> str:
        """The public URL, else the listen address (``http(s)://host:port``)."""
        if self.public_url is not None:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls_cert else 'http'}://{host}:{self.port}"


# TOML layout: section -> {key: field name}. Flat fields, grouped for people.
_TOML_LAYOUT: dict[str, dict[str, str]] = {
    "node": {"name": "name", "public_url": "public_url", "host": "host", "port": "port",
             "default_suite": "default_suite"},
    "limits": {"max_body_bytes": "max_body_bytes",
               "max_unaccepted_per_subject": "max_unaccepted_per_subject",
               "page_size": "page_size", "max_page_size": "max_page_size",
               "subject_request_max_age": "subject_request_max_age",
               "status_list_size": "status_list_size"},
    "rate_limit": {"trust_forwarded_for": "trust_forwarded_for",
                   "max_tracked_clients": "max_tracked_clients"},
    "log": {"format": "log_format", "level": "log_level"},
    "tls": {"cert": "tls_cert", "key": "tls_key", "peer_ca_bundle": "peer_ca_bundle"},
}
_RATE_FIELDS = {"write": "write_rate", "read": "read_rate"}
_INT_FIELDS = {"port", "max_body_bytes", "max_unaccepted_per_subject", "page_size",
               "max_page_size", "subject_request_max_age", "status_list_size",
               "max_tracked_clients"}
_BOOL_FIELDS = {"trust_forwarded_for"}


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$CONFIANCE_DATA_DIR``, else ``./confiance-data``."""
    env = os.environ if env is None else env
    return Path(env.get("CONFIANCE_DATA_DIR") or DEFAULT_DATA_DIR)


def _coerce(name: str, value: object, source: str) -> object:
    if name in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
            return value.lower() in ("1", "true", "yes")
    elif name in _INT_FIELDS:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip()
            digits = text[1:] if text.startswith("-") else text
            if ascii_digits(digits) and len(digits) <= 18:
                return int(text)
    elif name in ("public_url", "tls_cert", "tls_key", "peer_ca_bundle") \
            and value in ("", None):
        return None
    elif isinstance(value, str):
        return value
    raise MalformedDocument(f"{source}: {name} has an invalid value {value!r:.60}")


def _from_toml(doc: Mapping[str, Any], source: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for section, keys in _TOML_LAYOUT.items():
        table = doc.get(section, {})
        if not isinstance(table, Mapping):
            raise MalformedDocument(f"{source}: [{section}] must be a table")
        for key, name in keys.items():
            if key in table:
                values[name] = _coerce(name, table[key], source)
    rates = doc.get("rate_limit", {})
    for prefix, name in _RATE_FIELDS.items():
        per = rates.get(f"{prefix}_per_second")
        burst = rates.get(f"{prefix}_burst")
        if per is not None or burst is not None:
            values[name] = _rate_limit(name, per, burst, f"{source}: invalid {prefix} rate limit")
    return values


def _from_env(env: Mapping[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for section in _TOML_LAYOUT.values():
        for name in section.values():
            raw = env.get(f"CONFIANCE_{name.upper()}")
            if raw is not None:
                values[name] = _coerce(name, raw, f"CONFIANCE_{name.upper()}")
    for prefix, name in _RATE_FIELDS.items():
        per = env.get(f"CONFIANCE_{prefix.upper()}_PER_SECOND")
        burst = env.get(f"CONFIANCE_{prefix.upper()}_BURST")
        if per is not None or burst is not None:
            values[name] = _rate_limit(name, per, burst,
                                       f"invalid CONFIANCE_{prefix.upper()}_* value")
    return values


def _rate_limit(name: str, per: object, burst: object, error: str) -> RateLimit:
    """A rate limit from optional overrides; the missing half keeps the default."""
    default = getattr(NodeConfig(data_dir=Path(".")), name)
    try:
        return RateLimit(
            per_second=float(per) if per is not None else default.per_second,  # type: ignore[arg-type]
            burst=int(burst) if burst is not None else default.burst)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise MalformedDocument(error) from None


def load_config(data_dir: Path | str | None = None, *, env: Mapping[str, str] | None = None,
                **overrides: object) -> NodeConfig:
    """Read ``DATA_DIR/confiance.toml`` (if present), apply the environment, then overrides.

    ``overrides`` whose value is ``None`` are ignored (an unset command-line option).
    """
    env = os.environ if env is None else env
    root = Path(data_dir) if data_dir is not None else default_data_dir(env)
    values: dict[str, object] = {}
    path = root / CONFIG_FILE
    if path.exists():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise MalformedDocument(f"cannot read {path}: {exc}") from None
        values.update(_from_toml(doc, str(path)))
    values.update(_from_env(env))
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(NodeConfig)}
    unknown = set(values) - known
    if unknown:
        raise MalformedDocument(f"unknown configuration fields: {', '.join(sorted(unknown))}")
    return NodeConfig(data_dir=root, **values)  # type: ignore[arg-type]


def config_to_toml(config: NodeConfig) -> dict[str, Any]:
    """The TOML document for ``config`` (what ``confiance init`` writes), data_dir excluded."""
    doc: dict[str, Any] = {}
    for section, keys in _TOML_LAYOUT.items():
        table = {key: getattr(config, name) for key, name in keys.items()
                 if getattr(config, name) is not None}
        doc[section] = table
    for prefix, name in _RATE_FIELDS.items():
        rate: RateLimit = getattr(config, name)
        doc["rate_limit"][f"{prefix}_per_second"] = rate.per_second
        doc["rate_limit"][f"{prefix}_burst"] = rate.burst
    return doc


def loopback_listen(public_url: str | None) -> tuple[str, int] | None:
    """Where a node whose public URL is on this machine must listen, or ``None``.

    A public URL on a loopback address with an explicit port
    (``http://127.0.0.1:9101``, ``http://localhost:9101``, ``http://[::1]:9101``) can only
    be reached if the node listens on that very port: its did:web names it. ``confiance
    init`` then records that address as the listen address, so that ``serve`` needs no
    ``--port``. Any other public URL (a name behind a reverse proxy, no port) says nothing
    about where the node listens.
    """
    if public_url is None:
        return None
    parts = urlsplit(public_url)
    try:
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if port is None:
        return None
    if host == "localhost":
        return "127.0.0.1", port
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: reached through whatever resolves it
        return None
    return (host, port) if loopback else None


def with_listen(config: NodeConfig, host: str | None, port: int | None) -> NodeConfig:
    """``config`` with the listen address replaced where given (the ``serve`` options)."""
    changes: dict[str, Any] = {}
    if host is not None:
        changes["host"] = host
    if port is not None:
        changes["port"] = port
    return replace(config, **changes) if changes else config
