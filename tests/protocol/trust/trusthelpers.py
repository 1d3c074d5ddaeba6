"""Builders for trust-engine tests: assertions with short names and fixed times."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

from confiance.protocol.model import Rating, Recognition, Referral, Scale, TrustMark
from confiance.protocol.rules import ConversionRule

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SIGNED = Scale(minimum=-10, maximum=10)
STARS = Scale(minimum=1, maximum=5)


def did(name: str) -> str:
    return f"did:web:{name.lower()}.example"


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def rating(issuer: str, subject: str, score: float, *, context: str = "seller",
           day: float = 0, scale: Scale = SIGNED) -> Rating:
    return Rating(issuer=did(issuer), subject=did(subject), score=score, scale=scale,
                  context=context, valid_from=at(day))


def mark(issuer: str, subject: str, value: float | None, status: str = "member", *,
         context: str = "seller", day: float = 0, mark_id: str = "https://e1.example/marks/pos"
         ) -> TrustMark:
    return TrustMark(issuer=did(issuer), subject=did(subject), mark=mark_id, status=status,
                     value=value, context=context, valid_from=at(day))


def recognition(issuer: str, recognised: str, rule: ConversionRule, *, context: str = "seller",
                source_context: str | None = None, day: float = 0,
                mark_id: str | None = "https://e1.example/marks/pos",
                scale: Scale = STARS) -> Recognition:
    return Recognition(issuer=did(issuer), recognised=did(recognised), rule=rule,
                       mark=mark_id, source_context=source_context, scale=scale,
                       context=context, valid_from=at(day))


def referral(issuer: str, subject: str, audience: str, *, context: str = "seller",
             day: float = 0) -> Referral:
    return Referral(issuer=did(issuer), subject=did(subject), audience=did(audience),
                    context=context, valid_from=at(day))


def aid(name: str) -> str:
    """A stand-in content id of the right shape (the engine takes ids as given)."""
    digest = hashlib.sha256(name.encode()).digest()
    return "ni:///sha-256;" + base64.urlsafe_b64encode(digest).decode().rstrip("=")
