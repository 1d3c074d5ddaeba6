"""The storage interface: what routes, ingest and gossip may ask of a store.

:class:`Store` is a :class:`typing.Protocol`: the SQLite backend (:mod:`.sqlite`) is the
embedded default, and a PostgreSQL backend can implement the same methods later without a
route changing. Every method is ``async``; a backend must never block the event loop.

A store does more than keep bytes: :meth:`Store.put` enforces, *inside its transaction*,
the invariants that would race if checked beforehand by the caller:

- an erased (tombstoned) id is never taken back (:class:`~..problems.Erased`);
- a Revocation or an Acceptance targets an assertion held here
  (:class:`~..problems.TargetNotHeld`), a Revocation comes from the target's issuer
  (:class:`~..problems.RevocationNotByIssuer`), an Acceptance from the target's subject
  (:class:`~..problems.AcceptanceNotBySubject`); revocations and acceptances are final
  (:class:`~..problems.NotRevocable`);
- at most ``unaccepted_cap`` assertions about one subject that it has not accepted
  (:class:`~..problems.SubjectCapReached`: the keyserver-flooding lesson);
- the derived state is kept current: ``revoked_by``, ``superseded_by`` (newest assertion of
  the same *slot* wins) and ``decision`` (the subject's latest Acceptance).

Statuses are derived from that state and the clock by :meth:`StoredAssertion.status`,
with this precedence: revoked, rejected-by-subject, expired, superseded, not-yet-valid,
valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from confiance.protocol.trust import ErasedReferral, KeptJudgement

__all__ = [
    "STATUSES",
    "AssertionQuery",
    "AssertionRecord",
    "MarkDefinitionRecord",
    "Page",
    "PutResult",
    "Status",
    "Store",
    "StoredAssertion",
    "SubjectExport",
    "Tombstone",
]

Status = Literal["valid", "revoked", "rejected-by-subject", "expired", "superseded",
                 "not-yet-valid"]
STATUSES: tuple[Status, ...] = ("valid", "revoked", "rejected-by-subject", "expired",
                                "superseded", "not-yet-valid")


@dataclass(frozen=True, kw_only=True)
class AssertionRecord:
    """A verified assertion, ready to store: the indexed fields and the canonical bytes.

    ``subject`` is set for the kinds about a party (Rating, TrustMark, Referral,
    Recognition), ``target`` for those about an assertion (Revocation, Acceptance).
    ``slot`` groups assertions where a newer one replaces an older one (see
    ``node/ingest.py``); ``None`` for kinds never superseded. ``document`` is the JCS form of
    the signed document (RFC 8785), exactly what ``GET /assertions/{id}`` serves.
    """

    id: str
    kind: str
    issuer: str
    subject: str | None
    target: str | None
    context: str | None
    slot: str | None
    valid_from: datetime
    valid_until: datetime | None
    created: datetime | None
    accepted: bool | None
    status_index: int | None
    document: bytes


@dataclass(frozen=True, kw_only=True)
class StoredAssertion:
    """A held assertion and its derived state.

    ``parsed`` is the assertion (the model's dataclass) when the one who made this value
    had it at hand: the ingestor sets it on what it hands to its listeners, so the trust
    engine need not parse and check again what was just verified. Read from a store, it
    is None.
    """

    record: AssertionRecord
    seq: int
    received_at: datetime
    revoked_by: str | None
    superseded_by: str | None
    decision: bool | None
    parsed: Any = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.record.id

    def status(self, now: datetime) -> Status:
        """The status at ``now`` (precedence in the module docstring)."""
        if self.revoked_by is not None:
            return "revoked"
        if self.decision is False:
            return "rejected-by-subject"
        until = self.record.valid_until
        if until is not None and until <= now:
            return "expired"
        if self.superseded_by is not None:
            return "superseded"
        if self.record.valid_from > now:
            return "not-yet-valid"
        return "valid"


@dataclass(frozen=True, kw_only=True)
class MarkDefinitionRecord:
    """A signed mark definition as held: ``(mark, version)`` is its key, never replaced
    (definitions are immutable: new terms are a new version); ``document`` is its JCS form."""

    mark: str
    version: str
    issuer: str
    created_at: datetime
    document: bytes


@dataclass(frozen=True, kw_only=True)
class PutResult:
    created: bool
    stored: StoredAssertion


@dataclass(frozen=True, kw_only=True)
class Tombstone:
    """An erased id, kept so that gossip cannot bring the assertion back."""

    id: str
    issuer: str
    erased_at: datetime
    seq: int


@dataclass(frozen=True, kw_only=True)
class AssertionQuery:
    """Filters for a listing; all optional, combined with AND.

    ``after`` is the ``seq`` of the last item of the previous page (keyset pagination on the
    arrival order: stable, and new arrivals only ever appear at the end).
    """

    subject: str | None = None
    issuer: str | None = None
    kind: str | None = None
    context: str | None = None
    since: datetime | None = None
    include_rejected: bool = False
    after: int = 0
    limit: int = 50


@dataclass(frozen=True, kw_only=True)
class Page:
    items: tuple[StoredAssertion, ...]
    last_seq: int | None
    more: bool


@dataclass(frozen=True, kw_only=True)
class SubjectExport:
    """Everything held about a subject, and by it (``GET /subjects/{subject}/export``)."""

    about: tuple[StoredAssertion, ...]
    issued: tuple[StoredAssertion, ...]
    tombstones: tuple[Tombstone, ...]
    #: The node's judgements of referrals the subject issued and had erased, while they
    #: count (specs/trust.md section 5).
    judgements: tuple[KeptJudgement, ...] = ()


class Store(Protocol):
    """The storage interface (see the module docstring for the invariants of ``put``)."""

    async def put(self, record: AssertionRecord, *, unaccepted_cap: int | None) -> PutResult:
        """Store ``record`` unless held already (``created=False``, idempotent)."""

    async def put_many(self, records: Sequence[tuple[AssertionRecord, int | None]]
                       ) -> list[PutResult | Exception]:
        """:meth:`put` each (record, unaccepted_cap) in order, in one transaction.

        Each put succeeds or fails on its own (a refused one leaves the others, and sees
        those before it); the refusal is returned in its place.
        """

    async def get(self, assertion_id: str) -> StoredAssertion | None: ...

    async def get_many(self, ids: Sequence[str]) -> list[StoredAssertion]: ...

    async def held(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are held or tombstoned (gossip: what not to ask for)."""

    async def tombstone(self, assertion_id: str) -> Tombstone | None: ...

    async def find(self, query: AssertionQuery) -> Page: ...

    async def changes(self, after: int, limit: int) -> list[StoredAssertion]:
        """Held assertions with ``seq > after`` in arrival order (feeds, push gossip)."""

    async def tombstones(self, after: int, limit: int) -> list[Tombstone]: ...

    async def erase(self, issuer: str, ids: Sequence[str] | None,
                    *, now: datetime) -> list[str]:
        """Erase assertions ``issuer`` issued (all when ``ids`` is None); tombstone them."""

    async def record_erasure(self, notice_id: str, holder: str, erased: Sequence[str],
                             document: bytes, *, now: datetime,
                             everything_before: datetime | None = None) -> list[str] | None:
        """Apply a verified erasure notice (``node/erasures.py``) and keep it; None if known.

        Held ids must have been issued by ``holder`` (else ``erasure-not-by-issuer`` and
        nothing changes); they are erased, the others tombstoned for ``holder``. With
        ``everything_before`` (a notice of everything), every assertion held by ``holder``
        signed at or before it (proof ``created``, else ``validFrom``) is erased too, and
        :meth:`put` refuses such assertions from then on (``erased``). Returns the ids newly
        erased or tombstoned.
        """

    async def erasures(self, after: int, limit: int) -> list[tuple[int, str]]:
        """(seq, id) of the erasure notices kept, in arrival order (gossip's catalogue)."""

    async def erasure_documents(self, ids: Sequence[str]) -> list[tuple[str, bytes]]:
        """The JCS bytes of the erasure notices among ``ids``."""

    async def export_subject(self, subject: str) -> SubjectExport: ...

    async def pending_judgements(self) -> list[ErasedReferral]:
        """Referrals erased and not judged yet (written by :meth:`erase` and
        :meth:`record_erasure` in their own transaction: ``storage/judgements.py``)."""

    async def settle_judgements(self, outcomes: Sequence[tuple[str, KeptJudgement | None]]
                                ) -> None:
        """Keep each pending referral's judgement, or forget it (``None``: nothing owed)."""

    async def kept_judgements(self, *, now: datetime) -> list[KeptJudgement]:
        """The judgements of erased referrals that still count at ``now``."""

    async def purge_judgements(self, *, now: datetime) -> int:
        """Delete the judgements expired at ``now``; how many."""

    async def put_mark_definition(self, record: MarkDefinitionRecord) -> tuple[bool, bytes]:
        """Keep a mark definition unless ``(mark, version)`` is held: ``(created, the held
        document)``; an existing version is never replaced."""

    async def get_mark_definition(self, mark: str, version: str | None = None
                                  ) -> MarkDefinitionRecord | None:
        """One version of a mark's definition (the latest when ``version`` is None)."""

    async def mark_definitions(self, limit: int = 1000) -> list[MarkDefinitionRecord]:
        """The definitions held, by mark, newest version first."""

    async def allocate_status_index(self) -> int: ...

    async def status_index_count(self) -> int:
        """How many status-list indices were allocated (the next one to allocate)."""

    async def revoked_status_indices(self, start: int, stop: int) -> list[int]:
        """Status-list indices in ``[start, stop)`` whose assertion is revoked."""

    async def status_version(self) -> int:
        """A number that changes whenever a status-list bit may have changed (cache key)."""

    async def use_nonce(self, nonce: str, *, expires_at: datetime, now: datetime) -> bool:
        """Record a signed request's nonce; False if it was seen already (a replay)."""

    async def counts(self) -> dict[str, int]: ...

    async def integrity_check(self) -> str: ...

    async def close(self) -> None: ...
