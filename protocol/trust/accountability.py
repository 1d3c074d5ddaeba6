"""Referral accountability: a referrer answers, a little, for whom it refers.

When Alice refers Bob to E1 in a context (a Referral whose audience is E1) and Bob later
earns distrust in that context *as E1 sees it* (E1's own negative rating of Bob, or those of
people E1 trusts directly: the one-step rule of ``negative.py``, counting only statements
made at or after the referral), Alice's standing in that context at E1 drops:

    penalty(Alice) = min(cap, rate * sum_{referrals r} bad(r))
    standing'      = standing * (1 - penalty)          (positive standings only)

with ``bad(r)`` in [0, 1] the distrust figure of the referred party, ``rate`` 0.1 and
``cap`` 0.3 by default (:class:`~.policy.TrustPolicy`): a fully bad referral costs a tenth of
the referrer's standing, and no number of them more than three tenths. Good referrals cost
nothing and earn nothing (so referring cannot be farmed). The penalty applies only at the
audience and only in the referral's context; elsewhere Alice's standing is untouched.
Only the audience's own trusted circle can trigger it, so strangers' smears cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

from .graph import EvaluatorView
from .negative import distrust

__all__ = ["Penalty", "ReferralOutcome", "referral_penalty"]


@dataclass(frozen=True)
class ReferralOutcome:
    """One referral by the referrer to the audience and how its referred party fared."""

    referral: str
    referred: str
    bad: float


@dataclass(frozen=True)
class Penalty:
    """The fraction of standing the referrer loses at the audience, and why."""

    value: float
    referrals: tuple[ReferralOutcome, ...]

    def apply(self, standing: float) -> float:
        """The standing after the penalty (negative standings are left as they are)."""
        return standing * (1.0 - self.value) if standing > 0 else standing


def referral_penalty(view: EvaluatorView, referrer: str) -> Penalty:
    """The penalty ``view.evaluator`` (the audience) applies to ``referrer`` in its context."""
    claims = view.trust_graph.referrals(view.context, view.evaluator, referrer)
    outcomes = []
    for claim in sorted(claims, key=lambda c: (c.time, c.id)):
        bad = distrust(view, view.evaluator, claim.subject, since=claim.time).value
        outcomes.append(ReferralOutcome(referral=claim.id, referred=claim.subject, bad=bad))
    policy = view.policy
    total = sum(o.bad for o in outcomes) * policy.referral_penalty
    return Penalty(value=min(policy.referral_penalty_cap, total), referrals=tuple(outcomes))
