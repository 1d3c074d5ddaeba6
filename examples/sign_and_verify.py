"""Publish a signed trust mark and verify it, with the public API only (no node needed).

Run: python examples/sign_and_verify.py
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from confiance.protocol.assertions import issue, verify_assertion
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import TrustMark

now = datetime.now(UTC).replace(microsecond=0)
shop = KeyPair.generate()

mark = TrustMark(
    issuer=shop.did,
    subject="did:example:alice",
    context="seller",
    mark="https://shop.example/marks/positive-feedback/v1",
    status="97% positive over 1,204 sales",
    value=97,
    valid_from=now,
    valid_until=now + timedelta(days=365),
)
signed = issue(mark, shop, suite="eddsa-jcs-2022", created=now)
print(json.dumps(signed.document, indent=2))
print("content id:", signed.id)

checked = verify_assertion(signed.document, now=now + timedelta(minutes=1))
assert checked.assertion == mark
print("verified: issued by", checked.assertion.issuer)
