"""``confiance badges check DIR``: a static copy of one's badges, checked again.

A site written by ``confiance badges export`` is a snapshot: each page says the status its
badge had when the copy was made. Its holder (or a cron job) runs ``badges check`` to ask
again and rewrite the pages whose status changed, so that a revoked mark reads "revoked"
on the holder's own page too.

For each badge, in order of preference:

1. its ``credentialStatus`` (W3C Bitstring Status List): the list credential is fetched from
   the URL the *signed* badge names, its proof verified with the issuer's key (the DID
   document kept in the site's ``keys/``; for a did:web issuer whose keys have rotated
   since, its current DID document is fetched from its own origin), and the badge's bit
   read: set means revoked. Neither the server nor the network is trusted, only the
   issuer's key;
2. else the node the site was exported from (``GET /assertions/{id}``, its
   ``Confiance-Status``);
3. else what can be checked offline: signature and validity dates.

A badge whose status cannot be checked (issuer unreachable, a list that does not verify)
keeps the status its page had, and the command says why and exits 1: "could not check" is
never shown as "revoked", nor as "valid".
"""

from __future__ import annotations

import ipaddress
import json
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from confiance.protocol.canonical import parse_json
from confiance.protocol.errors import ConfianceError, MalformedDocument
from confiance.protocol.limits import DEFAULT_LIMITS, Limits
from confiance.protocol.marks import definition_from_document
from confiance.protocol.model import AnyAssertion, format_datetime, from_credential

from .badges import MANIFEST, Item, Source, export_site
from .common import make_loader, read_bytes
from .verify import documents_resolver

__all__ = ["check_site", "list_bit"]

#: Largest status list accepted, decompressed (the W3C minimum is 16 KB; 16 MB is 128M bits).
MAX_LIST_BYTES = 16 * 1024 * 1024
_LIST_LIMITS = Limits(max_bytes=4 * 1024 * 1024)
#: How far the issuer's clock may be ahead of ours (a list is signed "now" by the issuer).
CLOCK_LEEWAY = timedelta(seconds=60)


def _read_json(path: Path, limits: Limits = DEFAULT_LIMITS) -> Any:
    return parse_json(read_bytes(str(path), limits.max_bytes), limits)


def list_bit(encoded: object, index: int) -> bool:
    """Bit ``index`` of an ``encodedList`` (multibase base64url of a gzip'ed bitstring,
    index 0 = the first byte's most significant bit), decompressed with a bound."""
    import base64
    import binascii

    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise MalformedDocument("encodedList must be multibase base64url (prefix 'u')")
    try:
        packed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
        inflater = zlib.decompressobj(wbits=31)  # gzip
        bits = inflater.decompress(packed, MAX_LIST_BYTES)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise MalformedDocument(f"encodedList is not a gzip'ed bitstring: {exc}") from None
    if inflater.unconsumed_tail:
        raise MalformedDocument(f"the status list is larger than {MAX_LIST_BYTES} bytes")
    if index // 8 >= len(bits):
        raise MalformedDocument(f"the status list has no bit {index}")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _did_web_location(did: str) -> tuple[str, str] | None:
    """(origin, path) of a did:web's DID document (http for a loopback host)."""
    from urllib.parse import unquote

    if not did.startswith("did:web:"):
        return None
    host, *segments = did[8:].split(":")
    host = unquote(host)
    bare = urlsplit(f"http://{host}").hostname or ""
    try:
        loopback = ipaddress.ip_address(bare).is_loopback
    except ValueError:
        loopback = bare == "localhost"
    scheme = "http" if loopback else "https"  # did:web resolves over https, but at home
    path = "/" + "/".join(unquote(s) for s in segments) + "/did.json" if segments \
        else "/.well-known/did.json"
    return f"{scheme}://{host}", path


class _Checker:
    def __init__(self, source: Source, out: Path, now: datetime, context_dir: str | None
                 ) -> None:
        self.source = source
        self.out = out
        self.now = now
        self.loader = make_loader(context_dir)
        self.when = format_datetime(now.replace(microsecond=0))

    def resolver(self) -> Any:
        return documents_resolver([(did, doc) for did, doc in
                                   self.source.did_documents.items()])

    def status(self, item: Item) -> tuple[str, str]:
        """(status, who said it); :class:`ConfianceError` when it cannot be known."""
        a = item.assertion
        entry = a.credential_status
        if entry is not None:
            revoked = self._list_says(a, entry.status_list_credential, entry.status_list_index,
                                      entry.status_purpose)
            said = (f"the issuer's signed status list {entry.status_list_credential} said so "
                    f"on {self.when}")
            if revoked:
                return ("revoked" if entry.status_purpose == "revocation" else "suspended",
                        said)
            return _dates(a, self.now), said
        if self.source.node_url:
            from .operate import public

            short = item.id.rsplit(";", 1)[-1]
            answer = public(self.source.node_url, "GET", f"/assertions/{short}",
                            ok=(200, 410))
            status = answer.headers.get("confiance-status") or \
                ("erased" if answer.status == 410 else "")
            if not status:
                raise MalformedDocument(f"{self.source.node_url} gave no Confiance-Status")
            return status, f"the node {self.source.node_url} said so on {self.when}"
        return _dates(a, self.now), f"signature and dates checked offline on {self.when}"

    def _list_says(self, a: AnyAssertion, url: str, index: int, purpose: str) -> bool:
        from confiance.protocol.signing import verify

        from .operate import public

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise MalformedDocument(f"the status list URL {url!r:.100} is not http(s)")
        document = public(f"{parts.scheme}://{parts.netloc}", "GET",
                          parts.path + (f"?{parts.query}" if parts.query else "")).body
        if not isinstance(document, dict):
            raise MalformedDocument(f"{url} is not a status list credential")
        if document.get("issuer") != a.issuer:
            raise MalformedDocument(f"the status list at {url} is issued by "
                                    f"{str(document.get('issuer'))[:120]}, not by the badge's "
                                    f"issuer {a.issuer}")
        # a list is signed when it is asked for: judged a moment later, with some leeway
        # for a clock a little behind the issuer's
        at = datetime.now(UTC) + CLOCK_LEEWAY
        report = verify(document, now=at, loader=self.loader, limits=_LIST_LIMITS,
                        key_resolver=self.resolver(), require_issuer_binding=True)
        if not report.ok and self._refresh_did_document(a.issuer):
            report = verify(document, now=at, loader=self.loader, limits=_LIST_LIMITS,
                            key_resolver=self.resolver(), require_issuer_binding=True)
        report.raise_for_failure()
        subject = document.get("credentialSubject")
        if not isinstance(subject, dict) or subject.get("statusPurpose") != purpose:
            raise MalformedDocument(f"the status list at {url} is not a {purpose} list")
        return list_bit(subject.get("encodedList"), index)

    def _refresh_did_document(self, did: str) -> bool:
        """Fetch a did:web issuer's current DID document (its keys may have rotated)."""
        from .operate import public

        where = _did_web_location(did)
        if where is None:
            return False
        document = public(where[0], "GET", where[1]).body
        if not isinstance(document, dict) or document.get("id") != did:
            return False
        self.source.did_documents[did] = document
        return True


def _dates(a: AnyAssertion, now: datetime) -> str:
    if a.valid_until is not None and a.valid_until <= now:
        return "expired"
    if a.valid_from > now:
        return "not-yet-valid"
    return "valid"


def _source(out: Path, manifest: dict[str, Any]) -> Source:
    from confiance.protocol.ids import assertion_id

    source = Source(node_url=manifest.get("node"), names=dict(manifest.get("names") or {}))
    for path in sorted((out / "keys").glob("*.did.json")):
        document = _read_json(path)
        if isinstance(document, dict) and isinstance(document.get("id"), str):
            source.did_documents[document["id"]] = document
    for path in sorted((out / "marks").glob("*.jsonld")):
        document = _read_json(path)
        definition = definition_from_document(document)
        source.definitions[(definition.mark, definition.version)] = (definition, document)
        source.definitions.setdefault((definition.mark, None), (definition, document))
    for entry in manifest.get("badges") or []:
        content_id = str(entry.get("id"))
        folder = out / "badges" / content_id.rsplit(";", 1)[-1]
        document = _read_json(folder / "assertion.jsonld")
        if not isinstance(document, dict) or assertion_id(document) != content_id:
            raise MalformedDocument(f"{folder}/assertion.jsonld is not the badge {content_id}")
        source.items.append(Item(document=document, assertion=from_credential(document),
                                 id=content_id, status=entry.get("status"),
                                 accepted=bool(entry.get("accepted")),
                                 status_said=entry.get("statusSaid")))
    return source


def check_site(out: Path, *, context_dir: str | None) -> int:
    """Check every badge of the site in ``out`` again; rewrite it. 1 if one could not be."""
    if not (out / MANIFEST).exists():
        raise MalformedDocument(f"{out} was not written by confiance badges export (no "
                                f"{MANIFEST})")
    manifest = _read_json(out / MANIFEST)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("subject"), str):
        raise MalformedDocument(f"{out / MANIFEST} is not an export record")
    source = _source(out, manifest)
    checker = _Checker(source, out, datetime.now(UTC), context_dir)
    unknown = 0
    for item in source.items:
        short = item.id.rsplit(";", 1)[-1][:12]
        try:
            status, said = checker.status(item)
        except ConfianceError as exc:
            unknown += 1
            print(f"{short}…: could not check ({exc.message}); its page still says "
                  f"“{item.status}”", file=sys.stderr)
            continue
        change = "unchanged" if status == item.status else f"was {item.status}"
        print(f"{short}…: {status} ({change}; {said})", file=sys.stderr)
        item.status, item.status_said = status, said
    lang = manifest.get("lang") if manifest.get("lang") in ("en", "fr") else "en"
    export_site(source, manifest["subject"], out, lang=str(lang), name=manifest.get("name"),
                context_dir=context_dir)
    print(json.dumps({i.id: i.status for i in source.items}))
    return 1 if unknown else 0
