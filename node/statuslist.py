"""W3C Bitstring Status List credentials for the assertions this node issues.

Why: a verifier holding one of our assertions should be able to check it is not revoked
without trusting our word on the day: each assertion the node issues carries, inside its
signed document, a ``credentialStatus`` entry naming a list and a bit; the status list is a
credential *signed by the node*, one bit per assertion we issued (bit set = revoked),
gzip-compressed and base64url-encoded (multibase ``u``). Lists hold
:attr:`NodeConfig.status_list_size` entries (131,072 by default: the specification's 16 KB
minimum, for herd privacy); list ``n`` (from 1) covers indices ``(n-1)*size`` to
``n*size - 1``.

The signed list is cached and re-signed only when a bit may have changed (the store's
``status_version``) or the signing key rotated.

Reference: W3C, "Bitstring Status List v1.0", Recommendation 2025,
https://www.w3.org/TR/vc-bitstring-status-list/
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from confiance.protocol.model import CREDENTIALS_V2_URL, StatusEntry, format_datetime

from .problems import NotFound
from .storage import Store

__all__ = ["StatusLists", "decode_bits", "encode_bits"]

Signer = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def encode_bits(indices: list[int], size: int) -> str:
    """The ``encodedList`` for ``indices`` set in a list of ``size`` bits (index 0 = MSB)."""
    bits = bytearray(size // 8)
    for index in indices:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode_bits(encoded: str) -> bytes:
    """The raw bitstring of an ``encodedList`` (what a verifier does)."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u')")
    data = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


class StatusLists:
    """Builds, signs and caches the node's status list credentials."""

    def __init__(self, store: Store, *, base_url: str, issuer: str, size: int) -> None:
        self.store = store
        self.base_url = base_url
        self.issuer = issuer
        self.size = size
        self._cache: dict[int, tuple[tuple[int, str], dict[str, Any]]] = {}

    def list_url(self, number: int) -> str:
        return f"{self.base_url}/status/{number}"

    def status_entry(self, index: int) -> StatusEntry:
        """The ``BitstringStatusListEntry`` for a status index (node-wide, from 0).

        The node puts it in each assertion it issues, before signing, so the signed
        document itself says which bit of which signed list tells its revocation.
        """
        number, position = index // self.size + 1, index % self.size
        url = self.list_url(number)
        return StatusEntry(id=f"{url}#{position}", status_purpose="revocation",
                           status_list_index=position, status_list_credential=url)

    def entry(self, index: int) -> dict[str, Any]:
        """The same entry as JSON (the ``credentialStatus`` member of envelopes)."""
        return self.status_entry(index).to_json()

    async def credential(self, number: int, *, key_id: str, now: datetime,
                         sign: Signer) -> dict[str, Any]:
        """The signed status list ``number``; 404 for a list no index reaches yet."""
        next_index = await self.store.status_index_count()
        if number < 1 or (number > 1 and (number - 1) * self.size >= next_index):
            raise NotFound(f"status list {number} does not exist", list=number)
        version = (await self.store.status_version(), key_id)
        cached = self._cache.get(number)
        if cached is not None and cached[0] == version:
            return cached[1]
        start = (number - 1) * self.size
        revoked = await self.store.revoked_status_indices(start, start + self.size)
        url = self.list_url(number)
        unsigned = {
            "@context": [CREDENTIALS_V2_URL],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.issuer,
            "validFrom": format_datetime(now),
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encode_bits([i - start for i in revoked], self.size),
            },
        }
        signed = await sign(unsigned)
        self._cache[number] = (version, signed)
        return signed
