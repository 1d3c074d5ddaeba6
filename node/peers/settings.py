"""Gossip's tuning: :class:`GossipSettings`, read from ``[gossip]`` in ``confiance.toml``.

Every setting is a positive number (seconds for times, counts, bytes); an unknown key, a
non-number or a value <= 0 is refused with ``MalformedDocument`` naming it, at start-up, so
a typo in the configuration never silently runs with a default. Tests and benchmarks set
their own under :data:`GOSSIP_SETTINGS` on the application before it starts
(:func:`settings_for` prefers that). What each setting does is in ``specs/gossip.md``,
section 7, and ``specs/node-api.md`` (configuration).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from aiohttp import web

from confiance.protocol.errors import MalformedDocument
from confiance.protocol.gossip import GossipLimits

from ..context import Node

__all__ = ["GOSSIP_SETTINGS", "GossipSettings", "settings_for"]


@dataclass(frozen=True, kw_only=True)
class GossipSettings:
    """Tuning of gossip (seconds for times). Read from ``[gossip]`` in ``confiance.toml``."""

    flush_interval: float = 0.05
    ihave_interval: float = 0.5
    anti_entropy_interval: float = 60.0
    request_timeout: float = 10.0
    tick_interval: float = 0.1
    max_queue: int = 10_000
    batch_assertions: int = 64
    batch_ids: int = 2_000
    max_requests_in_flight: int = 16
    graft_timeout: float = 2.0
    max_graft_timeout: float = 10.0
    retry_timeout: float = 1.0
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    session_ttl: float = 300.0
    max_sessions: int = 1024
    max_message_bytes: int = 4 * 1024 * 1024
    reconcile_frame: int = 256 * 1024
    anti_entropy_grace: float = 5.0
    key_cache_ttl: float = 300.0
    key_refresh_min: float = 5.0
    key_fetch_timeout: float = 5.0
    max_key_document_bytes: int = 256 * 1024
    max_remote_dids: int = 1024

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise MalformedDocument(f"gossip.{item.name} must be a positive number")

    @classmethod
    def from_toml(cls, doc: Mapping[str, Any]) -> GossipSettings:
        """Settings from the ``[gossip]`` table of a parsed ``confiance.toml``."""
        table = doc.get("gossip", {})
        if not isinstance(table, Mapping):
            raise MalformedDocument("[gossip] must be a table")
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(table) - set(known)
        if unknown:
            raise MalformedDocument(f"unknown [gossip] settings: {', '.join(sorted(unknown))}")
        try:
            values = {k: (int(v) if known[k] == "int" else float(v)) for k, v in table.items()}
        except (TypeError, ValueError):
            raise MalformedDocument("[gossip] settings must be numbers") from None
        return cls(**values)  # type: ignore[arg-type]

    @property
    def limits(self) -> GossipLimits:
        return GossipLimits(max_message_bytes=self.max_message_bytes)


GOSSIP_SETTINGS = web.AppKey("confiance.gossip_settings", GossipSettings)


def settings_for(app: web.Application, node: Node) -> GossipSettings:
    """The settings set on ``app`` under :data:`GOSSIP_SETTINGS`, else ``[gossip]`` of the
    node's ``confiance.toml``, else the defaults."""
    override = app.get(GOSSIP_SETTINGS)
    if override is not None:
        return override
    path = node.config.config_path
    if path.exists():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise MalformedDocument(f"cannot read {path}: {exc}") from None
        return GossipSettings.from_toml(doc)
    return GossipSettings()
