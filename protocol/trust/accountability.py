"""Referral accountability: a referrer answers, a little, for whom it refers.

When Alice refers Bob to E1 in a context (a Referral whose audience is E1) and Bob later
earns distrust in that context *as E1 sees it*, Alice's standing in that context at E1
drops (:func:`referral_penalty`):

    penalty(Alice) = min(cap, rate * sum_{referrals r} bad(r))
    standing'      = standing * (1 - penalty)          (positive standings only)

``rate`` 0.1 and ``cap`` 0.3 by default (:class:`~.policy.TrustPolicy`): a fully bad referral
costs a tenth of the referrer's standing, and no number of them more than three tenths.
Good referrals cost nothing and earn nothing (so referring cannot be farmed). The penalty
applies only at the audience and only in the referral's context.

``bad(r)`` in [0, 1] (:func:`judge_referral`) is the one-step distrust figure of
``negative.py``, read by the audience, with three differences that make it a judgement of
the referral rather than a general opinion of the referred party:

- only negative statements made while the referral vouched count: from its ``validFrom``
  to when it stopped, if it did (positive opinions count whatever their time);
- no Referral counts as an opinion of the referred party: a vouch is a promise made before
  the facts, not evidence of conduct. Counted, the referrer's own vouch diluted the
  evidence against its referral (a fully bad referral judged two thirds bad, or 0.7), and
  two referrers of one party would dilute each other's;
- the positive statements of those who referred that party to the audience in that
  context (the referrer, and any co-referrer) are left out: their own referral is judged
  on the same figure, so they are interested parties. Their negative statements count:
  an admission against interest.

Only the audience's own claim or its trusted circle's count, so strangers' smears cannot
trigger a penalty. A referral that stops vouching (revoked, expired, replaced, rejected by
its subject, erased) keeps costing what its referred party's conduct *while it vouched*
warrants, for ``withdrawn_referral_days`` (365) after it stopped (``withdrawn.py``):
withdrawing a vouch after a betrayal does not buy the penalty back, and a referral
withdrawn before anything was held against its referred party costs nothing. Of an erased
referral only the node's own judgement, made at the erasure, is kept.

Examples
--------
The seed story (``examples/two_sites/``): E1 trusts Alice, Carol and Dave (its own marks,
read at 1.0); Alice refers Bob to E1; then Carol and Dave rate Bob -1. Alice's own vouch
is left out, so the referral is fully bad and costs Alice a tenth of her standing at E1:

>>> import hashlib
>>> from datetime import UTC, datetime
>>> from confiance.protocol.ids import id_from_digest
>>> from confiance.protocol.model import Rating, Referral, Revocation, Scale, TrustMark
>>> from confiance.protocol.trust import TrustEngine, referral_penalty
>>> e1, alice, bob = "did:web:e1.example", "did:key:alice", "did:key:bob"
>>> day = lambda d: datetime(2026, 1, d, tzinfo=UTC)
>>> cid = lambda name: id_from_digest(hashlib.sha256(name.encode()).digest())
>>> engine = TrustEngine()
>>> for name in ("alice", "carol", "dave"):
...     _ = engine.add(cid(f"mark-{name}"), TrustMark(
...         issuer=e1, subject=f"did:key:{name}", mark="https://e1.example/marks/pos",
...         status="member", context="seller", valid_from=day(1)))
>>> _ = engine.add(cid("ref"), Referral(issuer=alice, subject=bob, audience=e1,
...                                     context="seller", valid_from=day(2)))
>>> for name in ("carol", "dave"):
...     _ = engine.add(cid(f"bad-{name}"), Rating(
...         issuer=f"did:key:{name}", subject=bob, score=-1,
...         scale=Scale(minimum=-1, maximum=1), context="seller", valid_from=day(3)))
>>> penalty = referral_penalty(engine.graph.view(e1, "seller"), alice)
>>> [(o.referred, o.bad, o.state) for o in penalty.referrals], penalty.value
([('did:key:bob', 1.0, 'standing')], 0.1)
>>> engine.trust(e1, alice, "seller").value
0.9

Alice revokes her referral: it stopped vouching on day 4, after the betrayal, so it still
costs her, until a year after that day:

>>> _ = engine.add(cid("rev"), Revocation(issuer=alice, target=cid("ref"), context=None,
...                                       valid_from=day(4)))
>>> [(o.bad, o.state) for o in referral_penalty(engine.graph.view(e1, "seller"),
...                                            alice).referrals]
[(1.0, 'revoked')]
>>> engine.trust(e1, alice, "seller").value
0.9

References
----------
R. Guha, R. Kumar, P. Raghavan, A. Tomkins, Propagation of trust and distrust, WWW 2004
(distrust propagated one step). ``specs/trust.md`` section 5 is the normative rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..model import format_datetime
from .conversion import Resolution, resolve_claims
from .graph import EvaluatorView
from .negative import trusted_acquaintances

__all__ = ["Penalty", "ReferralOutcome", "judge_referral", "referral_penalty"]


@dataclass(frozen=True)
class ReferralOutcome:
    """One referral by the referrer to the audience and how its referred party fared.

    ``state`` is ``standing`` while the referral vouches, else how it stopped (``revoked``,
    ``expired``, ``replaced``, ``rejected-by-subject``, ``erased``); ``ended`` and
    ``expires`` (seconds) are when it stopped and when it stops costing. ``referred`` is
    ``None`` for an erased referral: the node keeps only its judgement.
    """

    referral: str
    referred: str | None
    bad: float
    state: str = "standing"
    ended: float | None = None
    expires: float | None = None

    def to_json(self) -> dict[str, object]:
        return {"referral": self.referral, "referred": self.referred,
                "bad": float(f"{self.bad:.12g}"), "state": self.state,
                "ended": _time(self.ended), "expires": _time(self.expires)}


@dataclass(frozen=True)
class Penalty:
    """The fraction of standing the referrer loses at the audience, and why."""

    value: float
    referrals: tuple[ReferralOutcome, ...]

    def apply(self, standing: float) -> float:
        """The standing after the penalty (negative standings are left as they are)."""
        return standing * (1.0 - self.value) if standing > 0 else standing


_NONE = Penalty(value=0.0, referrals=())


def referral_penalty(view: EvaluatorView, referrer: str) -> Penalty:
    """The penalty ``view.evaluator`` (the audience) applies to ``referrer`` in its context.

    Parameters
    ----------
    view:
        The audience's view of the context (``TrustGraph.view(audience, context)``).
    referrer:
        The party whose referrals to the audience are judged.

    Returns
    -------
    Penalty
        ``value`` = ``min(cap, rate * sum(bad))`` over the referrals that vouch or stopped
        within the policy's term, standing ones first, then by time; kept judgements of
        erased referrals last.
    """
    graph = view.trust_graph
    windows = graph.referral_windows(view.context, view.evaluator, referrer)
    kept = graph.kept(view.context, view.evaluator, referrer)
    if not windows and not kept:
        return _NONE
    outcomes = []
    for w in sorted(windows, key=lambda w: (w.ended is not None, w.since, w.referral)):
        bad = judge_referral(view, referrer, w.referred, since=w.since, until=w.ended)
        outcomes.append(ReferralOutcome(referral=w.referral, referred=w.referred, bad=bad,
                                        state=w.state, ended=w.ended, expires=w.expires))
    for j in sorted(kept, key=lambda j: (j.ended, j.referral)):
        outcomes.append(ReferralOutcome(referral=j.referral, referred=None, bad=j.bad,
                                        state="erased", ended=j.ended.timestamp(),
                                        expires=j.expires.timestamp()))
    policy = view.policy
    total = sum(o.bad for o in outcomes) * policy.referral_penalty
    return Penalty(value=min(policy.referral_penalty_cap, total), referrals=tuple(outcomes))


def judge_referral(view: EvaluatorView, referrer: str, referred: str, *, since: float,
                   until: float | None = None) -> float:
    """``bad(r)``: how much the audience (``view.evaluator``) holds against the party
    ``referrer`` referred to it, over the time the referral vouched (module docstring).

    Parameters
    ----------
    view:
        The audience's view of the referral's context.
    referrer, referred:
        The referral's issuer and subject.
    since, until:
        The referral's ``validFrom`` and when it stopped vouching (``None``: it stands),
        seconds since the epoch. Negative statements count only when made in between.

    Returns
    -------
    float
        In [0, 1]: the audience's own negative claim about ``referred`` if it has one (a
        positive own claim gives 0), else the weighted share of its trusted acquaintances'
        opinions of ``referred`` that are negative, weighted by the audience's trust in
        each; Referrals are not opinions, and referrers of ``referred`` count only when
        negative.
    """
    audience = view.evaluator
    if audience == referred or referred not in view.graph:
        return 0.0

    def negative(res: Resolution) -> bool:
        t = res.claim.time
        return res.weight < 0 and t >= since and (until is None or t <= until)

    own = _opinion(view, audience, referred)
    if own is not None:
        return min(1.0, -own.weight) if negative(own) else 0.0
    graph = view.trust_graph
    num = den = 0.0
    for j, trust_j in trusted_acquaintances(view, audience, referred):
        res = _opinion(view, j, referred)
        if res is None:
            continue
        against = negative(res)
        if not against and (j == referrer or graph.has_referred(
                view.context, audience, j, referred)):
            continue  # an interested party's word in its own favour
        den += trust_j
        if against:
            num += trust_j * -res.weight
    return min(1.0, num / den) if den > 0 and num > 0 else 0.0


def _opinion(view: EvaluatorView, u: str, v: str) -> Resolution | None:
    """``u``'s opinion of ``v`` as the evaluator reads it, Referrals left out."""
    claims = [c for c in view.claims(u, v) if c.kind != "Referral"]
    if not claims:
        return None
    return resolve_claims(claims, view.context, evaluator=view.evaluator,
                          readers=view.readers, policy=view.policy)


def _time(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return format_datetime(datetime.fromtimestamp(seconds, UTC))

