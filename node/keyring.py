"""The node's keys: signing keys with validity periods, and a separate rotation key.

Why two kinds of key (the did:plc lesson): the signing key is used all day by a process
facing the network; the rotation key is used only to say "from now on, sign with this new
key". A stolen signing key is then recoverable: rotate, and everything signed with the old
key *after* the rotation is refused.

Rules (``specs/node-api.md``, "Key rotation"):

- signing keys are numbered ``key-1``, ``key-2``, ...; the verification method is
  ``<node DID>#key-N``; exactly one is current (no ``validUntil``);
- rotating retires the current key (``validUntil`` = now), creates the next one
  (``validFrom`` = now) and records a statement signed by the rotation key
  (``<node DID>#rotation-1``), published in the node descriptor;
- the retired key's secret is deleted: nothing can be signed with it any more, here;
- :meth:`Keyring.resolve` answers the protocol verifier with each key's validity period, so
  an assertion whose proof was ``created`` within the period verifies forever, and one
  created after the retirement is refused (:meth:`Keyring.check_created` repeats that check
  on the node side, defence in depth);
- other did:web DIDs resolve through :attr:`Keyring.remote` when gossip has set it: the
  cached keys of recognised peers (:mod:`.remotekeys`, fetched by :mod:`.peers`).

Files (``DATA_DIR/keys``, directory 0700, secrets 0600): ``keyring.json`` (public history),
``key-N.secret.json``, ``rotation-1.secret.json``. Every write goes to a temporary file,
fsynced, then renamed: a crash leaves the old state or the new, never half of one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from confiance.protocol.contexts import DocumentLoader
from confiance.protocol.errors import KeyResolutionError, LocalProtocolError, ValidityError
from confiance.protocol.keys import (
    KeyPair,
    ResolvedKey,
    decode_multibase,
    public_key_from_multibase,
    resolve_did_key,
)
from confiance.protocol.limits import Limits
from confiance.protocol.model import CREDENTIALS_V2_URL, format_datetime, parse_datetime
from confiance.protocol.signing import sign

from .nodecontext import NODE_CONTEXT_URL
from .problems import UnknownDidWebIssuer

__all__ = ["KeyRecord", "Keyring"]

KEYRING_FILE = "keyring.json"
ROTATION_ID = "rotation-1"


class RemoteKeyLookup(Protocol):
    """Where the keyring finds other did:web keys (:class:`.remotekeys.RemoteKeys`)."""

    def resolve(self, verification_method: str) -> ResolvedKey | None:
        """The key, None if its DID is not known there; raises KeyResolutionError."""


class NodeKey(KeyPair):
    """A key pair whose proofs name the node's did:web verification method, not did:key."""

    __slots__ = ("_vm",)

    def __init__(self, key: KeyPair, verification_method: str) -> None:
        super().__init__(decode_multibase(key.secret_key_multibase, "secret key")[2:])
        self._vm = verification_method

    @property
    def verification_method(self) -> str:
        return self._vm


@dataclass(frozen=True, kw_only=True)
class KeyRecord:
    """The public side of one key and its validity period."""

    id: str
    public_key_multibase: str
    valid_from: datetime
    valid_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "publicKeyMultibase": self.public_key_multibase,
                               "validFrom": format_datetime(self.valid_from)}
        if self.valid_until is not None:
            out["validUntil"] = format_datetime(self.valid_until)
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> KeyRecord:
        return cls(id=obj["id"], public_key_multibase=obj["publicKeyMultibase"],
                   valid_from=parse_datetime(obj["validFrom"], "validFrom"),
                   valid_until=(parse_datetime(obj["validUntil"], "validUntil")
                                if obj.get("validUntil") else None))


def _write_atomic(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Keyring:
    """The node's keys, loaded from ``keys_dir``; see the module docstring for the rules."""

    def __init__(self, keys_dir: Path, *, did: str, signing: list[KeyRecord],
                 rotation: KeyRecord, rotations: list[dict[str, Any]],
                 current: KeyPair, rotation_key: KeyPair) -> None:
        self.keys_dir = keys_dir
        self.did = did
        self._signing = signing
        self.rotation = rotation
        self.rotations = rotations
        self._current = current
        self._rotation_key = rotation_key
        self._public = {r.id: public_key_from_multibase(r.public_key_multibase)
                        for r in signing}
        #: the keys of recognised peers' did:web DIDs, when gossip runs (set by .peers)
        self.remote: RemoteKeyLookup | None = None

    # -- creation and loading ----------------------------------------------------------------

    @classmethod
    def create(cls, keys_dir: Path, *, now: datetime) -> None:
        """Create ``key-1`` and the rotation key in an empty ``keys_dir``."""
        keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(keys_dir, 0o700)
        if (keys_dir / KEYRING_FILE).exists():
            raise LocalProtocolError(f"{keys_dir} holds a keyring already")
        signing, rotation = KeyPair.generate(), KeyPair.generate()
        _write_atomic(keys_dir / "key-1.secret.json", json.dumps(signing.to_json()), 0o600)
        _write_atomic(keys_dir / f"{ROTATION_ID}.secret.json",
                      json.dumps(rotation.to_json()), 0o600)
        history = {
            "signing": [KeyRecord(id="key-1", public_key_multibase=signing.public_key_multibase,
                                  valid_from=now).to_json()],
            "rotation": KeyRecord(id=ROTATION_ID,
                                  public_key_multibase=rotation.public_key_multibase,
                                  valid_from=now).to_json(),
            "rotations": [],
        }
        _write_atomic(keys_dir / KEYRING_FILE, json.dumps(history, indent=2) + "\n", 0o644)

    @classmethod
    def load(cls, keys_dir: Path, *, did: str) -> Keyring:
        """Load the keyring; deletes secrets of retired keys left by an interrupted rotation."""
        try:
            history = json.loads((keys_dir / KEYRING_FILE).read_text(encoding="utf-8"))
            signing = [KeyRecord.from_json(r) for r in history["signing"]]
            rotation = KeyRecord.from_json(history["rotation"])
            current_record = signing[-1]
            current = KeyPair.from_json(json.loads(
                (keys_dir / f"{current_record.id}.secret.json").read_text(encoding="utf-8")))
            rotation_key = KeyPair.from_json(json.loads(
                (keys_dir / f"{rotation.id}.secret.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise LocalProtocolError(f"cannot load the node keys from {keys_dir}: {exc}") from None
        if current.public_key_multibase != current_record.public_key_multibase:
            raise LocalProtocolError(f"{current_record.id}.secret.json does not match the "
                                     "keyring's public key")
        keep = {f"{current_record.id}.secret.json", f"{rotation.id}.secret.json"}
        for path in keys_dir.glob("*.secret.json"):
            if path.name not in keep:
                path.unlink()
        return cls(keys_dir, did=did, signing=signing, rotation=rotation,
                   rotations=list(history.get("rotations", [])), current=current,
                   rotation_key=rotation_key)

    # -- what the node publishes --------------------------------------------------------------

    @property
    def signing_records(self) -> tuple[KeyRecord, ...]:
        return tuple(self._signing)

    @property
    def current(self) -> KeyRecord:
        return self._signing[-1]

    @property
    def current_key(self) -> KeyPair:
        return self._current

    @property
    def signer(self) -> KeyPair:
        """The current signing key naming ``<did>#key-N``: for signatures outside documents
        (the gossip ``hello``), verified against this node's DID document."""
        return NodeKey(self._current, self.vm(self.current.id))

    @property
    def rotation_key(self) -> KeyPair:
        return self._rotation_key

    def vm(self, key_id: str) -> str:
        return f"{self.did}#{key_id}"

    def verification_methods(self) -> list[dict[str, Any]]:
        """Every signing key (current and retired) and the rotation key, as Multikey."""
        methods = []
        for record in [*self._signing, self.rotation]:
            method = {"id": self.vm(record.id), "type": "Multikey", "controller": self.did,
                      **{k: v for k, v in record.to_json().items() if k != "id"}}
            methods.append(method)
        return methods

    # -- verification --------------------------------------------------------------------------

    def resolve(self, verification_method: str, *, rotation: bool = False) -> ResolvedKey:
        """The protocol's ``key_resolver``: did:key, this node's own did:web keys, and the
        cached keys of recognised peers' did:web DIDs (:attr:`remote`).

        The rotation key resolves only with ``rotation=True`` (checking a rotation
        statement): it never vouches for an assertion.
        """
        did, _, fragment = verification_method.partition("#")
        if did.startswith("did:key:"):
            return resolve_did_key(verification_method)
        if did == self.did:
            for record in self._signing:
                if record.id == fragment:
                    return ResolvedKey(public_key=self._public[record.id], controller=self.did,
                                       id=verification_method, valid_from=record.valid_from,
                                       valid_until=record.valid_until)
            if fragment == self.rotation.id and rotation:
                return ResolvedKey(
                    public_key=public_key_from_multibase(self.rotation.public_key_multibase),
                    controller=self.did, id=verification_method,
                    valid_from=self.rotation.valid_from, valid_until=self.rotation.valid_until)
            raise KeyResolutionError(f"{verification_method} is not a signing key of this node",
                                     verificationMethod=verification_method)
        if did.startswith("did:web:"):
            remote = self.remote
            key = remote.resolve(verification_method) if remote is not None else None
            if key is not None:
                return key
            raise UnknownDidWebIssuer(
                f"{did} is a did:web this node does not know; did:key issuers, this node's "
                "own did:web and those of its recognised peers are accepted",
                verificationMethod=verification_method)
        raise KeyResolutionError(f"unsupported DID method in {verification_method!r:.80}",
                                 verificationMethod=verification_method)

    def check_created(self, verification_method: str, created: datetime | None) -> None:
        """Refuse a proof by one of our keys created outside that key's validity period."""
        did, _, fragment = verification_method.partition("#")
        if did != self.did:
            return
        for record in self._signing:
            if record.id == fragment:
                if created is None:
                    raise ValidityError("a proof by a node key must say when it was created")
                if created < record.valid_from or (
                        record.valid_until is not None and created >= record.valid_until):
                    raise ValidityError(
                        f"{verification_method} was valid from "
                        f"{format_datetime(record.valid_from)} until "
                        f"{format_datetime(record.valid_until) if record.valid_until else 'now'}"
                        f"; the proof was created {format_datetime(created)}",
                        verificationMethod=verification_method)
                return

    # -- signing -------------------------------------------------------------------------------

    def sign(self, document: dict[str, Any], *, suite: str, created: datetime,
             loader: DocumentLoader, limits: Limits | None = None, rotation: bool = False,
             proof_purpose: str | None = None) -> dict[str, Any]:
        """Sign with the current signing key (or the rotation key) as ``<did>#<key-id>``."""
        if rotation:
            key = NodeKey(self._rotation_key, self.vm(self.rotation.id))
            purpose = proof_purpose or "capabilityInvocation"
        else:
            key = NodeKey(self._current, self.vm(self.current.id))
            purpose = proof_purpose or "assertionMethod"
        return sign(document, key, suite=suite, created=created, loader=loader, limits=limits,
                    proof_purpose=purpose)

    # -- rotation ------------------------------------------------------------------------------

    def rotate(self, *, now: datetime, sign_statement: Callable[[dict[str, Any]], dict[str, Any]]
               ) -> dict[str, Any]:
        """Retire the current key, create the next, record the signed statement; return it.

        ``sign_statement`` signs a document with the rotation key (the caller knows the
        suite and the loader); the statement is recorded before the old secret is deleted.
        """
        old = self.current
        if now <= old.valid_from:
            raise LocalProtocolError("a rotation must come after the current key's start")
        number = int(old.id.rsplit("-", 1)[1]) + 1
        new_key = KeyPair.generate()
        new = KeyRecord(id=f"key-{number}", public_key_multibase=new_key.public_key_multibase,
                        valid_from=now)
        statement = sign_statement({
            "@context": [CREDENTIALS_V2_URL, NODE_CONTEXT_URL],
            "type": ["VerifiableCredential", "KeyRotation"],
            "issuer": self.did,
            "validFrom": format_datetime(now),
            "credentialSubject": {
                "id": self.did,
                "previousKey": self.vm(old.id),
                "nextKey": self.vm(new.id),
                "nextPublicKeyMultibase": new.public_key_multibase,
                "rotatedAt": format_datetime(now),
            },
        })
        _write_atomic(self.keys_dir / f"{new.id}.secret.json", json.dumps(new_key.to_json()),
                      0o600)
        signing = [*self._signing[:-1], replace(old, valid_until=now), new]
        rotations = [*self.rotations, statement]
        history = {"signing": [r.to_json() for r in signing],
                   "rotation": self.rotation.to_json(), "rotations": rotations}
        _write_atomic(self.keys_dir / KEYRING_FILE, json.dumps(history, indent=2) + "\n", 0o644)
        (self.keys_dir / f"{old.id}.secret.json").unlink(missing_ok=True)
        self._signing, self.rotations, self._current = signing, rotations, new_key
        self._public[new.id] = new_key.public_key
        return statement

