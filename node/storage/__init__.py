"""node/storage: the store interface (:mod:`.base`) and its embedded SQLite backend.

Only this package touches a database. Routes, ingest and gossip see :class:`Store`.
"""

from .base import (
    STATUSES,
    AssertionQuery,
    AssertionRecord,
    MarkDefinitionRecord,
    Page,
    PutResult,
    Status,
    Store,
    StoredAssertion,
    SubjectExport,
    Tombstone,
)
from .sqlite import MIGRATIONS, SqliteStore, create_database

__all__ = [
    "MIGRATIONS",
    "STATUSES",
    "AssertionQuery",
    "AssertionRecord",
    "MarkDefinitionRecord",
    "Page",
    "PutResult",
    "SqliteStore",
    "Status",
    "Store",
    "StoredAssertion",
    "SubjectExport",
    "Tombstone",
    "create_database",
]
