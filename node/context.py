"""The running node's state, held on the application under one typed key.

Handlers reach everything through ``request.app[NODE]``: no module-level state, so several
nodes run in one process (tests, the gossip simulations). Other parts add their own keys
beside it (``node/routes/trust.py``'s engine, ``node/peers/engine.py``'s gossip).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from confiance.protocol.contexts import DocumentLoader
from confiance.protocol.limits import Limits

from .config import NodeConfig
from .ingest import Ingestor
from .keyring import Keyring
from .statuslist import StatusLists
from .storage import Store

__all__ = ["NODE", "Node", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(kw_only=True)
class Node:
    """What the handlers share. Built by ``create_app``'s cleanup context at start-up."""

    config: NodeConfig
    did: str
    base_url: str
    store: Store
    keyring: Keyring
    ingestor: Ingestor
    loader: DocumentLoader
    limits: Limits
    admin_token: str
    status_lists: StatusLists
    version: str
    started_at: datetime
    clock: Callable[[], datetime] = utc_now

    def now(self) -> datetime:
        return self.clock()


NODE = web.AppKey("confiance.node", Node)
