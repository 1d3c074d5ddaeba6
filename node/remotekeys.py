"""The keys of recognised peers' did:web DIDs: checked, pinned, cached (no I/O here).

A node signs its own assertions as ``<its did:web>#key-N``. For a peer to store and spread
them, it needs that node's keys with their validity periods. :mod:`.peers` (the only module
making outbound HTTP) fetches a recognised peer's ``/.well-known/did.json`` and
``/.well-known/confiance`` and hands both to :func:`key_set_from_documents`; the result
goes into :class:`RemoteKeys`, which the keyring consults synchronously while verifying
(``Keyring.resolve``). Rules (``specs/node-api.md``, "Keys of recognised peers"):

- **Binding.** The DID of a peer is the did:web of the base URL it was recognised under
  (:func:`~.identity.did_web_for`); the documents fetched from that URL must name exactly
  that DID. This is the did:web security model (whoever controls the URL controls the DID);
  a document naming another DID is refused, whatever it declares.
- **Which keys.** Only methods listed in ``assertionMethod`` sign assertions; the rotation
  key (``capabilityInvocation``) only checks rotation statements.
- **Rotation statements.** Every ``KeyRotation`` statement in the descriptor must verify
  with the rotation key. A statement retires ``previousKey`` at ``rotatedAt`` (whatever the
  DID document says) and introduces ``nextKey`` with ``nextPublicKeyMultibase``. A signing
  key other than the first that no statement introduces is ignored: a server that was
  broken into can publish a new key, not the signed statement that makes it usable.
- **Pinning** (trust on first use, in memory): once seen, the rotation key may not change,
  a signing key may not disappear, change its public key or widen its period. A refreshed
  document breaking these rules is refused and the previous keys stay in use.
- **Bounds**: at most ``max_dids`` DIDs (least recently used out), 64 methods and 1,000
  rotation statements per DID.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from confiance.protocol.contexts import DocumentLoader
from confiance.protocol.errors import ConfianceError, KeyResolutionError
from confiance.protocol.keys import ResolvedKey, public_key_from_multibase
from confiance.protocol.limits import Limits
from confiance.protocol.model import parse_datetime
from confiance.protocol.signing import verify

from .problems import PeerKeysUnavailable

__all__ = ["PeerKeySet", "RemoteKeys", "RemoteKeysRefused", "key_set_from_documents"]

MAX_METHODS = 64
MAX_ROTATIONS = 1_000


class RemoteKeysRefused(Exception):
    """A peer's DID document or descriptor cannot be used (the reason is the message)."""


@dataclass(frozen=True, kw_only=True)
class PeerKeySet:
    """The usable keys of one peer DID, as of ``fetched_at`` (wall clock)."""

    did: str
    source: str
    fetched_at: datetime
    signing: dict[str, ResolvedKey]
    rotation_key: bytes | None
    ignored: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        keys = []
        for vm, key in sorted(self.signing.items()):
            item: dict[str, Any] = {"id": vm}
            if key.valid_from is not None:
                item["validFrom"] = key.valid_from.isoformat()
            if key.valid_until is not None:
                item["validUntil"] = key.valid_until.isoformat()
            keys.append(item)
        return {"source": self.source, "fetchedAt": self.fetched_at.isoformat(),
                "keys": keys, "ignored": list(self.ignored)}


def _strings(value: object, what: str) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in items) or len(items) > MAX_METHODS:
        raise RemoteKeysRefused(f"{what} must be a list of at most {MAX_METHODS} ids")
    return list(items)


def _date(value: object, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value, what)
    except ConfianceError as exc:
        raise RemoteKeysRefused(exc.message) from None


def _methods(did_doc: dict[str, Any], did: str) -> dict[str, dict[str, Any]]:
    raw = did_doc.get("verificationMethod")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_METHODS:
        raise RemoteKeysRefused(f"verificationMethod must list 1 to {MAX_METHODS} methods")
    methods: dict[str, dict[str, Any]] = {}
    for method in raw:
        if not isinstance(method, dict):
            raise RemoteKeysRefused("a verification method must be an object")
        vm = method.get("id")
        if not isinstance(vm, str) or not vm.startswith(did + "#") or vm in methods:
            raise RemoteKeysRefused(f"method id {vm!r:.120} is not a unique {did}#... id")
        if method.get("controller") != did or method.get("type") != "Multikey":
            raise RemoteKeysRefused(f"{vm} must be a Multikey controlled by {did}")
        methods[vm] = method
    return methods


def _public(method: dict[str, Any]) -> bytes:
    try:
        return public_key_from_multibase(method.get("publicKeyMultibase"))
    except ConfianceError as exc:
        raise RemoteKeysRefused(f"{method['id']}: {exc.message}") from None


def _statements(descriptor: dict[str, Any], did: str, rotation_vm: str, rotation_key: bytes,
                *, now: datetime, loader: DocumentLoader, limits: Limits
                ) -> list[tuple[str, str, str, datetime]]:
    """The verified rotation statements: (previousKey, nextKey, nextPublicKeyMultibase,
    rotatedAt), in the order published."""
    raw = descriptor.get("keyRotations") or []
    if not isinstance(raw, list) or len(raw) > MAX_ROTATIONS:
        raise RemoteKeysRefused(f"keyRotations must be a list of at most {MAX_ROTATIONS}")

    def resolve(vm: str) -> ResolvedKey:
        if vm != rotation_vm:
            raise KeyResolutionError(f"{vm:.120} is not the rotation key {rotation_vm}")
        return ResolvedKey(public_key=rotation_key, controller=did, id=vm)

    found = []
    for statement in raw:
        subject = statement.get("credentialSubject") if isinstance(statement, dict) else None
        types = statement.get("type") if isinstance(statement, dict) else None
        if not isinstance(subject, dict) or statement.get("issuer") != did \
                or subject.get("id") != did or not isinstance(types, list) \
                or "KeyRotation" not in types:
            raise RemoteKeysRefused("a keyRotations item is not a KeyRotation by " + did)
        rotated = _date(subject.get("rotatedAt"), "rotatedAt")
        previous, nxt = subject.get("previousKey"), subject.get("nextKey")
        multibase = subject.get("nextPublicKeyMultibase")
        if rotated is None or not all(isinstance(v, str) for v in (previous, nxt, multibase)):
            raise RemoteKeysRefused("a KeyRotation lacks previousKey, nextKey, "
                                    "nextPublicKeyMultibase or rotatedAt")
        # judged for its signature, not its currency: a peer's clock may be a little ahead
        report = verify(statement, now=max(now, rotated), loader=loader, limits=limits,
                        key_resolver=resolve, require_issuer_binding=True,
                        proof_purpose="capabilityInvocation")
        if not report.ok:
            failure = report.failures[0]
            raise RemoteKeysRefused(f"a KeyRotation statement does not verify with "
                                    f"{rotation_vm}: {failure.name}: {failure.detail}")
        found.append((str(previous), str(nxt), str(multibase), rotated))
    return found


def key_set_from_documents(did_doc: object, descriptor: object, *, did: str, source: str,
                           now: datetime, loader: DocumentLoader, limits: Limits,
                           previous: PeerKeySet | None = None) -> PeerKeySet:
    """Check a peer's DID document and descriptor (see the module docstring); its keys.

    Raises :class:`RemoteKeysRefused` with the reason when they cannot be used.
    """
    if not isinstance(did_doc, dict) or not isinstance(descriptor, dict):
        raise RemoteKeysRefused("the DID document and the descriptor must be JSON objects")
    if did_doc.get("id") != did:
        raise RemoteKeysRefused(
            f"the DID document at {source} is for {str(did_doc.get('id'))!r:.120}, but that "
            f"URL is {did} (did:web binds a DID to the URL its document is served from)")
    if descriptor.get("did") != did:
        raise RemoteKeysRefused(f"the descriptor at {source} names "
                                f"{str(descriptor.get('did'))!r:.120}, not {did}")
    methods = _methods(did_doc, did)
    invocation = _strings(did_doc.get("capabilityInvocation"), "capabilityInvocation")
    if len(invocation) != 1 or invocation[0] not in methods:
        raise RemoteKeysRefused("capabilityInvocation must name exactly one listed method "
                                "(the rotation key)")
    rotation_vm = invocation[0]
    rotation_key = _public(methods[rotation_vm])
    if previous is not None and previous.rotation_key not in (None, rotation_key):
        raise RemoteKeysRefused(f"the rotation key of {did} changed; refused (pinned at first "
                                "contact: remove and add the peer again to accept it)")
    candidates: dict[str, ResolvedKey] = {}
    for vm in _strings(did_doc.get("assertionMethod"), "assertionMethod"):
        method = methods.get(vm)
        if method is None or vm == rotation_vm:
            raise RemoteKeysRefused(f"assertionMethod {vm:.120} is not a listed signing key")
        candidates[vm] = ResolvedKey(
            public_key=_public(method), controller=did, id=vm,
            valid_from=_date(method.get("validFrom"), f"{vm} validFrom"),
            valid_until=_date(method.get("validUntil"), f"{vm} validUntil"))
    if not candidates:
        raise RemoteKeysRefused(f"{did} lists no assertionMethod key")
    introduced: set[str] = set()
    for prev_vm, next_vm, multibase, rotated in _statements(
            descriptor, did, rotation_vm, rotation_key, now=now, loader=loader, limits=limits):
        new = candidates.get(next_vm)
        if new is None or new.public_key != public_key_from_multibase(multibase):
            raise RemoteKeysRefused(f"a KeyRotation introduces {next_vm:.120}, which the DID "
                                    "document does not list with that public key")
        introduced.add(next_vm)
        candidates[next_vm] = _narrow(new, valid_from=rotated)
        old = candidates.get(prev_vm)
        if old is not None:
            candidates[prev_vm] = _narrow(old, valid_until=rotated)
    first = min((k for k in candidates if k not in introduced),
                key=lambda k: (candidates[k].valid_from or datetime.min.replace(
                    tzinfo=now.tzinfo), k), default=None)
    signing = {k: v for k, v in candidates.items() if k in introduced or k == first}
    ignored = tuple(sorted(set(candidates) - set(signing)))
    if previous is not None:
        _check_pins(previous, signing)
    return PeerKeySet(did=did, source=source, fetched_at=now, signing=signing,
                      rotation_key=rotation_key, ignored=ignored)


def _narrow(key: ResolvedKey, *, valid_from: datetime | None = None,
            valid_until: datetime | None = None) -> ResolvedKey:
    start = key.valid_from if valid_from is None else max(
        valid_from, key.valid_from or valid_from)
    end = key.valid_until if valid_until is None else min(
        valid_until, key.valid_until or valid_until)
    return ResolvedKey(public_key=key.public_key, controller=key.controller, id=key.id,
                       valid_from=start, valid_until=end)


def _check_pins(previous: PeerKeySet, signing: dict[str, ResolvedKey]) -> None:
    """A refreshed key set may retire keys and add keys, never rewrite their history."""
    for vm, old in previous.signing.items():
        new = signing.get(vm)
        if new is None or new.public_key != old.public_key:
            raise RemoteKeysRefused(f"{vm} disappeared or changed its public key; refused "
                                    "(keys seen once are pinned)")
        widened = (old.valid_from is not None and (
            new.valid_from is None or new.valid_from < old.valid_from)) or (
            old.valid_until is not None and (
                new.valid_until is None or new.valid_until > old.valid_until))
        if widened:
            raise RemoteKeysRefused(f"{vm}'s validity period was widened; refused (a retired "
                                    "key stays retired)")


@dataclass(kw_only=True)
class _Entry:
    keys: PeerKeySet | None = None
    error: str | None = None
    attempted: float = float("-inf")  # monotonic time of the last fetch attempt
    succeeded: float = float("-inf")  # monotonic time of the last accepted key set
    refusals: int = 0


class RemoteKeys:
    """Thread-safe cache of peer key sets (verification may run on worker threads)."""

    def __init__(self, *, max_dids: int = 1024) -> None:
        self.max_dids = max_dids
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, did: object) -> bool:
        return did in self._entries

    def resolve(self, verification_method: str) -> ResolvedKey | None:
        """The key for ``verification_method``; None when its DID is not cached at all.

        Raises :class:`~.problems.PeerKeysUnavailable` when the peer's keys could not be
        obtained, :class:`KeyResolutionError` when they were and this one is not among them.
        """
        did = verification_method.partition("#")[0]
        with self._lock:
            entry = self._entries.get(did)
            if entry is None:
                return None
            self._entries.move_to_end(did)
            keys, error = entry.keys, entry.error
        if keys is None:
            raise PeerKeysUnavailable(
                f"the keys of {did} (a recognised peer) could not be obtained: "
                f"{error or 'not fetched yet'}; try again later",
                verificationMethod=verification_method)
        key = keys.signing.get(verification_method)
        if key is None:
            why = " (ignored: no rotation statement introduces it)" \
                if verification_method in keys.ignored else ""
            raise KeyResolutionError(f"{verification_method} is not a signing key of {did}"
                                     f"{why}", verificationMethod=verification_method)
        return key

    def entry(self, did: str) -> _Entry | None:
        with self._lock:
            return self._entries.get(did)

    def keys(self, did: str) -> PeerKeySet | None:
        entry = self.entry(did)
        return entry.keys if entry is not None else None

    def needs_refresh(self, did: str, verification_method: str | None = None,
                      created: datetime | None = None, *, now: float, ttl: float,
                      min_interval: float) -> bool:
        """Should ``did``'s keys be fetched (again), before verifying a proof by
        ``verification_method`` made at ``created`` if given?

        Yes when never fetched; otherwise at most once per ``min_interval``: after a
        failure, when the cached set is older than ``ttl``, for a key not in the set, or for
        a proof created after the set was fetched (a rotation may have happened since).
        """
        entry = self.entry(did)
        if entry is None:
            return True
        if now - entry.attempted < min_interval:
            return False
        keys = entry.keys
        if keys is None or now - entry.succeeded >= ttl:
            return True
        if verification_method is None:
            return False
        if verification_method not in keys.signing:
            return True
        return created is not None and created > keys.fetched_at

    def store(self, keys: PeerKeySet, now: float) -> None:
        with self._lock:
            entry = self._touch(keys.did)
            entry.keys, entry.error, entry.attempted, entry.succeeded = keys, None, now, now

    def failed(self, did: str, reason: str, now: float, *, refused: bool = False) -> None:
        """Record a failed fetch (keys already held stay in use)."""
        with self._lock:
            entry = self._touch(did)
            entry.error, entry.attempted = reason[:500], now
            entry.refusals += int(refused)

    def forget(self, did: str) -> None:
        with self._lock:
            self._entries.pop(did, None)

    def _touch(self, did: str) -> _Entry:
        entry = self._entries.get(did)
        if entry is None:
            entry = self._entries[did] = _Entry()
            while len(self._entries) > self.max_dids:
                self._entries.popitem(last=False)
        self._entries.move_to_end(did)
        return entry

    def status_json(self, did: str) -> dict[str, Any]:
        """What ``GET /admin/peers`` shows about a peer's keys."""
        entry = self.entry(did)
        if entry is None:
            return {"status": "unknown"}
        out: dict[str, Any] = {"status": "ok" if entry.keys is not None and entry.error is None
                               else "stale" if entry.keys is not None else "unavailable"}
        if entry.keys is not None:
            out.update(entry.keys.to_json())
        if entry.error is not None:
            out["error"] = entry.error
        return out
