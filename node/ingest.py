"""The one way into the store: verify, then record, then tell the subscribers.

``POST /assertions``, the admin's ``issue``/``revoke`` and gossip (``node/peers/``) all
go through :class:`Ingestor`, so the rules hold whatever the door:

1. the content id is computed first: an id already held is answered at once (idempotent,
   no verification: the id is the hash of the whole signed document, so the bytes are those
   verified before), an id its own issuer erased is refused (``erased``); an id tombstoned
   by another DID's notice goes on to verification, and the store lets it through;
2. otherwise the document is verified in full by the protocol (limits, schema, proofs,
   issuer binding, validity window) with this node's key resolver (did:key, its own
   did:web keys by validity period, and the cached keys of its recognised peers' did:web
   DIDs); a proof by one of our keys created outside that key's period is refused. Just
   before, :attr:`Ingestor.key_prefetch` (set by gossip, the only part allowed outbound
   HTTP) may fetch the keys of a recognised peer that the proofs name: verification itself
   stays synchronous and never waits on the network;
3. the store records it, enforcing revocation/acceptance/cap rules in its transaction;
4. subscribers (gossip push, the trust engine) are told about new assertions.

The *slot* (what a newer assertion supersedes) is decided here: same issuer, kind, subject
and context, and for a TrustMark the same mark, for a Referral the same audience, for a
Recognition the same mark and source context. A newer Rating by the same issuer about the
same subject in the same context replaces the older one; two different marks held by the
same subject do not.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from confiance.protocol.assertions import SignedAssertion, verify_assertion
from confiance.protocol.canonical import canonicalize_jcs
from confiance.protocol.contexts import DocumentLoader
from confiance.protocol.errors import ConfianceError
from confiance.protocol.ids import id_from_digest
from confiance.protocol.limits import Limits
from confiance.protocol.model import (
    KINDS,
    Acceptance,
    Recognition,
    Referral,
    TrustMark,
    parse_datetime,
)

from .erasures import ErasureNotice, verify_notice
from .keyring import Keyring
from .problems import Erased, UnknownKind
from .storage import AssertionRecord, PutResult, Store, StoredAssertion

__all__ = ["ErasureListener", "Ingestor", "KeyPrefetch", "Listener", "NoticeListener",
           "record_for", "slot_for"]

log = logging.getLogger("confiance.node")
Listener = Callable[[StoredAssertion], Awaitable[None] | None]
ErasureListener = Callable[[list[str]], Awaitable[None] | None]
NoticeListener = Callable[[ErasureNotice, list[str]], Awaitable[None] | None]
KeyPrefetch = Callable[[Sequence[dict[str, Any]]], Awaitable[None]]
SUBJECT_KINDS = frozenset({"Rating", "TrustMark", "Referral", "Recognition"})


def slot_for(assertion: Any) -> str | None:
    """The supersession key of an assertion (see the module docstring), or None."""
    if assertion.kind not in SUBJECT_KINDS:
        return None
    if isinstance(assertion, TrustMark):
        extra: list[str | None] = [assertion.mark]
    elif isinstance(assertion, Referral):
        extra = [assertion.audience]
    elif isinstance(assertion, Recognition):
        extra = [assertion.mark, assertion.reads_context]
    else:
        extra = []
    key = [assertion.issuer, assertion.kind, assertion.about, assertion.context, *extra]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


def _proof_created(document: dict[str, Any]) -> datetime | None:
    """When the (first) proof says it was made."""
    proofs = _proofs(document)
    created = proofs[0].get("created") if proofs else None
    return parse_datetime(created, "proof.created") if isinstance(created, str) else None


def _proofs(document: dict[str, Any]) -> list[dict[str, Any]]:
    proof = document.get("proof")
    items = proof if isinstance(proof, list) else [proof]
    return [p for p in items if isinstance(p, dict)]


def record_for(signed: SignedAssertion, *, status_index: int | None = None,
               jcs: bytes | None = None) -> AssertionRecord:
    """The storage record of a verified assertion (``jcs``: its JCS bytes, if known)."""
    a = signed.assertion
    about_party = a.kind in SUBJECT_KINDS
    created = _proof_created(signed.document)
    return AssertionRecord(
        id=signed.id, kind=a.kind, issuer=a.issuer,
        subject=a.about if about_party else None,
        target=None if about_party else a.about,
        context=a.context, slot=slot_for(a), valid_from=a.valid_from,
        valid_until=a.valid_until, created=created,
        accepted=a.accepted if isinstance(a, Acceptance) else None,
        status_index=status_index,
        document=jcs if jcs is not None else canonicalize_jcs(signed.document))


class Ingestor:
    """Verify-then-store for every door; see the module docstring."""

    def __init__(self, store: Store, keyring: Keyring, *, loader: DocumentLoader,
                 limits: Limits, unaccepted_cap: int,
                 clock: Callable[[], datetime] | None = None,
                 executor: Executor | None = None) -> None:
        self.store = store
        self.keyring = keyring
        self.loader = loader
        self.limits = limits
        self.unaccepted_cap = unaccepted_cap
        self.clock = clock or (lambda: datetime.now(UTC))
        self.executor = executor
        self.listeners: list[Listener] = []
        self.erasure_listeners: list[ErasureListener] = []
        self.notice_listeners: list[NoticeListener] = []
        #: awaited before verifying documents from outside (those not held, together):
        #: fetches the remote keys they name into the keyring's cache (set by gossip,
        #: :mod:`.peers.keys`; never raises for bad input)
        self.key_prefetch: KeyPrefetch | None = None

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` (sync or async) with every newly stored assertion."""
        self.listeners.append(listener)

    def subscribe_erasure(self, listener: ErasureListener) -> None:
        """Call ``listener`` (sync or async) with the ids of every erasure (now tombstones)."""
        self.erasure_listeners.append(listener)

    async def erase(self, issuer: str, ids: list[str] | None) -> list[str]:
        """Erase assertions ``issuer`` issued (all when ``ids`` is None), then tell listeners."""
        erased = await self.store.erase(issuer, ids, now=self.clock())
        if erased:
            await _notify(self.erasure_listeners, erased, "erasure")
        return erased

    def subscribe_notices(self, listener: NoticeListener) -> None:
        """Call ``listener`` with every new erasure notice kept here and the ids it changed."""
        self.notice_listeners.append(listener)

    async def apply_notice(self, document: dict[str, Any]) -> bool:
        """Verify an erasure notice (``node/erasures.py``), apply it, keep it; True if new.

        The same path for a notice made here (after a subject's erasure request) and one
        received by gossip: the issuer's signed request is the proof, never the sender.
        """
        def check() -> ErasureNotice:
            return verify_notice(document, loader=self.loader, limits=self.limits,
                                 key_resolver=self.keyring.resolve)

        if self.executor is None:
            notice = check()
        else:
            notice = await asyncio.get_running_loop().run_in_executor(self.executor, check)
        changed = await self.store.record_erasure(
            notice.id, notice.holder, notice.erased, notice.document, now=self.clock(),
            everything_before=notice.created if notice.everything else None)
        if changed is None:
            return False
        if changed:
            await _notify(self.erasure_listeners, changed, "erasure")
        for listener in list(self.notice_listeners):
            try:
                outcome = listener(notice, changed)
                if outcome is not None:
                    await outcome
            except Exception:
                log.exception("listener failed", extra={"event": "erasure notice"})
        return True

    def _verify(self, document: dict[str, Any], content_id: str | None = None
                ) -> SignedAssertion:
        signed = verify_assertion(document, now=self.clock(), loader=self.loader,
                                  limits=self.limits, key_resolver=self.keyring.resolve,
                                  content_id=content_id)
        for proof in _proofs(document):
            method, created = proof.get("verificationMethod"), proof.get("created")
            if isinstance(method, str):
                self.keyring.check_created(
                    method, parse_datetime(created, "proof.created")
                    if isinstance(created, str) else None)
        return signed

    async def submit(self, document: dict[str, Any]) -> PutResult:
        """Verify and store a document from outside (HTTP or gossip)."""
        outcome = (await self.submit_many([document]))[0]
        if isinstance(outcome, ConfianceError):
            raise outcome
        return outcome

    async def submit_many(self, documents: Sequence[dict[str, Any]], *,
                          around: Callable[[int], AbstractContextManager[object]] | None = None
                          ) -> list[PutResult | ConfianceError]:
        """:meth:`submit` each document, sharing the work: the outcome of each, in order.

        What gossip brings in one message goes together: one look-up of the ids held, one
        executor call to verify the new ones, one transaction to store them (each document
        still stands or falls on its own: a refusal is returned in its place, exactly the
        error :meth:`submit` raises), then the listeners, told in order, each inside
        ``around(index)`` when given (gossip sets the sender of each document there).
        """
        outcomes: list[PutResult | ConfianceError | None] = [None] * len(documents)
        ids: dict[int, tuple[str, bytes]] = {}
        for index, document in enumerate(documents):
            try:
                _check_kind(document)
                jcs = canonicalize_jcs(document)
            except ConfianceError as exc:
                outcomes[index] = exc
                continue
            ids[index] = (id_from_digest(hashlib.sha256(jcs).digest()), jcs)
        held = await self.store.held([content_id for content_id, _ in ids.values()])
        fresh: list[int] = []
        for index, (content_id, _) in ids.items():
            if content_id not in held:
                fresh.append(index)
                continue
            existing = await self.store.get(content_id)
            if existing is not None:
                outcomes[index] = PutResult(created=False, stored=existing)
                continue
            stone = await self.store.tombstone(content_id)
            if stone is None or stone.issuer == documents[index].get("issuer"):
                outcomes[index] = Erased(f"{content_id} was erased at its issuer's request "
                                         "and is not taken back", id=content_id)
                continue
            # tombstoned by someone else's notice before it was seen here: verified, it
            # gives way (the store decides, see erasures.py): nobody pre-empts an issuer
            fresh.append(index)
        if self.key_prefetch is not None and fresh:
            await self.key_prefetch([documents[index] for index in fresh])
        batch = [(documents[index], ids[index][0]) for index in fresh]
        if self.executor is None or not batch:
            verified = self._verify_all(batch)
        else:
            verified = await asyncio.get_running_loop().run_in_executor(
                self.executor, self._verify_all, batch)
        records: list[tuple[AssertionRecord, int | None]] = []
        signed_of: list[tuple[int, SignedAssertion]] = []
        for index, signed in zip(fresh, verified, strict=True):
            if isinstance(signed, ConfianceError):
                outcomes[index] = signed
                continue
            record = record_for(signed, jcs=ids[index][1])
            records.append((record, None if record.issuer == self.keyring.did
                            else self.unaccepted_cap))
            signed_of.append((index, signed))
        stored = await self.store.put_many(records)
        for (index, signed), result in zip(signed_of, stored, strict=True):
            if isinstance(result, ConfianceError):
                outcomes[index] = result
            elif isinstance(result, Exception):
                raise result
            else:
                outcomes[index] = result
                if result.created:
                    with around(index) if around is not None else nullcontext():
                        # listeners get the parsed assertion too: nobody parses it again
                        await _notify(self.listeners,
                                      replace(result.stored, parsed=signed.assertion),
                                      result.stored.id)
        done: list[PutResult | ConfianceError] = []
        for outcome in outcomes:
            assert outcome is not None  # every document has its outcome by now
            done.append(outcome)
        return done

    def _verify_all(self, documents: list[tuple[dict[str, Any], str]]
                    ) -> list[SignedAssertion | ConfianceError]:
        """Verify each (document, its content id); the outcome of each, in order."""
        out: list[SignedAssertion | ConfianceError] = []
        for document, content_id in documents:
            try:
                out.append(self._verify(document, content_id))
            except ConfianceError as exc:
                out.append(exc)
        return out

    async def publish(self, signed: SignedAssertion, *, status_index: int | None = None
                      ) -> PutResult:
        """Store an assertion this node has just signed itself (no cap, no re-verification)."""
        return await self._store(record_for(signed, status_index=status_index), None, signed)

    async def _store(self, record: AssertionRecord, cap: int | None,
                     signed: SignedAssertion) -> PutResult:
        """Store what this node signed (publish)."""
        result = await self.store.put(record, unaccepted_cap=cap)
        if result.created:
            # listeners get the parsed assertion too: nobody parses what was just verified
            await _notify(self.listeners, replace(result.stored, parsed=signed.assertion),
                          record.id)
        return result


def _check_kind(document: dict[str, Any]) -> None:
    """Refuse at once a document whose types name no assertion kind."""
    types = document.get("type")
    if isinstance(types, list) and all(isinstance(t, str) for t in types) \
            and not any(t in KINDS for t in types):
        named = types[-1][:60] if types else ""
        raise UnknownKind(f"{named!r} is not an assertion kind; expected one of "
                          f"{', '.join(KINDS)}", kind=named)


async def _notify(listeners: list[Any], event: Any, what: str) -> None:
    """Call each listener; one failing is logged and does not stop the others."""
    for listener in list(listeners):
        try:
            outcome = listener(event)
            if outcome is not None:
                await outcome
        except Exception:
            log.exception("listener failed", extra={"event": what})
