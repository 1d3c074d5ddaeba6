"""Referrals that stopped counting, and the judgements a node keeps of erased ones.

A referral stops vouching when it is revoked by its issuer, expires, is replaced by a newer
referral of the same slot, is rejected by the party it refers, or is erased at its issuer's
request. None of these may buy back what the referral cost its referrer (``specs/trust.md``
section 5): the referral keeps costing what its referred party's conduct *while it stood*
warrants, for :attr:`~.policy.TrustPolicy.withdrawn_referral_days` after it stopped.

- A revoked, expired, replaced or rejected referral is still held (its document and the one
  that ended it are kept by every node), so the graph describes it by a
  :class:`ReferralWindow` and the penalty judges it again at each query, from the graph as
  it is.
- An erased referral is gone: its issuer had the right to have it forgotten. What the node
  keeps instead is its own judgement, made at the erasure: a :class:`KeptJudgement` (who
  referred, to whom, in which context, how bad, when it stopped, until when it counts; no
  copy of the referral and not even whom it referred). A referral erased while nothing was
  held against its referred party leaves nothing: nothing was owed.

:class:`ErasedReferral` is what a node must tell the engine to make that judgement: the
facts of the erased referral, taken from its store in the erasure's own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import LocalProtocolError
from ..model import format_datetime

__all__ = ["ENDINGS", "ErasedReferral", "KeptJudgement", "ReferralWindow"]

#: How a referral stops counting (``standing``: it still does).
ENDINGS = ("standing", "revoked", "expired", "replaced", "rejected-by-subject", "erased")


@dataclass(frozen=True)
class ReferralWindow:
    """One referral held by the graph, and the time during which it vouched.

    ``since`` is its ``validFrom``; ``ended`` is when it stopped (``None`` while it stands),
    ``expires`` when it stops costing anything (``None`` while it stands); times in seconds.
    """

    referral: str
    referred: str
    since: float
    ended: float | None = None
    expires: float | None = None
    state: str = "standing"


@dataclass(frozen=True, kw_only=True)
class ErasedReferral:
    """The facts of a referral being erased, for the engine to judge it (never stored
    beyond that judgement)."""

    referral: str
    referrer: str
    referred: str
    audience: str
    context: str
    since: datetime
    #: When it stopped vouching: the erasure, or before it the revocation, expiry,
    #: replacement or rejection that had ended it already.
    ended: datetime
    state: str = "erased"

    def __post_init__(self) -> None:
        if self.state not in ENDINGS or self.state == "standing":
            raise LocalProtocolError(f"unknown ending {self.state!r}")
        if self.since.tzinfo is None or self.ended.tzinfo is None:
            raise LocalProtocolError("times must be timezone-aware")


@dataclass(frozen=True, kw_only=True)
class KeptJudgement:
    """A node's judgement of a referral erased after its referred party earned distrust.

    ``bad`` is the figure of ``specs/trust.md`` section 5 as the audience saw it when the
    referral was erased; it costs the referrer ``rate x bad`` of its standing at
    ``audience`` in ``context`` until ``expires``.
    """

    referral: str
    referrer: str
    audience: str
    context: str
    bad: float
    ended: datetime
    expires: datetime

    def __post_init__(self) -> None:
        if not 0.0 < self.bad <= 1.0:
            raise LocalProtocolError(f"a kept judgement has 0 < bad <= 1, got {self.bad!r}")
        if self.ended.tzinfo is None or self.expires.tzinfo is None:
            raise LocalProtocolError("times must be timezone-aware")
        if self.expires <= self.ended:
            raise LocalProtocolError("a kept judgement expires after it began")

    def to_json(self) -> dict[str, Any]:
        """The form a subject's export shows (``GET /subjects/{subject}/export``)."""
        return {"referral": self.referral, "referrer": self.referrer,
                "audience": self.audience, "context": self.context,
                "bad": float(f"{self.bad:.12g}"), "ended": format_datetime(self.ended),
                "expires": format_datetime(self.expires)}
