"""Referral accountability (specs/trust.md section 5): how a referral is judged, and why
withdrawing it after a betrayal does not buy the penalty back."""

from __future__ import annotations

from dataclasses import replace

import pytest
from trusthelpers import aid, at, did, mark, rating, referral

from confiance.protocol.errors import LocalProtocolError
from confiance.protocol.model import Acceptance, Revocation
from confiance.protocol.trust import (
    ErasedReferral,
    KeptJudgement,
    TrustEngine,
    TrustPolicy,
)

E1, ALICE, BOB, ZED = did("E1"), did("Alice"), did("Bob"), did("Zed")


def _circle(engine: TrustEngine, *names: str) -> None:
    """E1 trusts each of ``names`` at 1.0 (its own marks)."""
    for name in names:
        engine.add(aid(f"mark-{name}"), mark("E1", name, 97))


def _betrayed(*, referral_day: float = 1, bad_day: float = 3) -> TrustEngine:
    """The story: E1 trusts Alice, Carol, Dave; Alice refers Bob; Carol and Dave rate him -10."""
    engine = TrustEngine()
    _circle(engine, "Alice", "Carol", "Dave")
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=referral_day))
    for name in ("Carol", "Dave"):
        engine.add(aid(f"bad-{name}"), rating(name, "Bob", -10, day=bad_day))
    return engine


def _outcomes(engine: TrustEngine) -> list[tuple[str | None, float, str]]:
    return [(o.referred, o.bad, o.state)
            for o in engine.trust(E1, ALICE, "seller").penalty.referrals]


def _revoke(engine: TrustEngine, day: float) -> None:
    engine.add(aid("rev"), Revocation(issuer=ALICE, target=aid("ref"), context=None,
                                      valid_from=at(day)))


def test_the_referrers_own_vouch_is_no_evidence_for_its_referral() -> None:
    engine = _betrayed()
    # Carol -1 and Dave -1, Alice's +0.5 vouch left out: 2/2, not 2/3
    assert _outcomes(engine) == [(BOB, 1.0, "standing")]
    result = engine.trust(E1, ALICE, "seller")
    assert result.penalty.value == 0.1 and result.value == 0.9
    # E1's general opinion of Bob (section 4) still hears Alice's word
    assert engine.trust(E1, BOB, "seller").distrust.value == pytest.approx(2 / 3)


def test_a_referrers_own_rating_in_its_favour_does_not_count_either() -> None:
    engine = _betrayed()
    engine.add(aid("alice-rates"), rating("Alice", "Bob", 10, day=4))  # "he is fine"
    assert _outcomes(engine) == [(BOB, 1.0, "standing")]
    # whereas a rating against her own referral counts: an admission against interest
    engine.add(aid("alice-rates-2"), rating("Alice", "Bob", -10, day=5))
    engine.add(aid("erin"), mark("E1", "Erin", 97))
    engine.add(aid("erin-rates"), rating("Erin", "Bob", 10, day=5))
    # Carol, Dave, Alice -1 against Erin's +1: 3/4
    assert _outcomes(engine) == [(BOB, 0.75, "standing")]


def test_co_referrers_are_interested_parties_others_are_not() -> None:
    engine = _betrayed()
    _circle(engine, "Zed", "Erin")
    engine.add(aid("zed-ref"), referral("Zed", "Bob", "E1", day=1))
    engine.add(aid("zed-rates"), rating("Zed", "Bob", 10, day=4))
    assert _outcomes(engine) == [(BOB, 1.0, "standing")]  # Zed's word for Bob: left out
    engine.add(aid("erin-rates"), rating("Erin", "Bob", 10, day=4))
    assert _outcomes(engine) == [(BOB, pytest.approx(2 / 3), "standing")]  # Erin's counts
    # Zed's own referral is judged the same way (Alice's positive word would not count)
    zed = engine.trust(E1, ZED, "seller").penalty
    assert [o.bad for o in zed.referrals] == [pytest.approx(2 / 3)]


def test_revoking_after_the_betrayal_keeps_the_penalty_for_the_term() -> None:
    engine = _betrayed()
    _revoke(engine, day=4)
    outcome = engine.trust(E1, ALICE, "seller").penalty.referrals[0]
    assert (outcome.bad, outcome.state) == (1.0, "revoked")
    assert outcome.ended == at(4).timestamp()
    assert outcome.expires == at(4 + 365).timestamp()
    assert engine.trust(E1, ALICE, "seller").value == 0.9
    engine.refresh(at(4 + 364))
    assert engine.trust(E1, ALICE, "seller").value == 0.9
    engine.refresh(at(4 + 365))  # a year after it stopped vouching: forgotten
    assert engine.trust(E1, ALICE, "seller").value == 1.0
    assert engine.trust(E1, ALICE, "seller").penalty.referrals == ()


def test_a_referral_withdrawn_before_any_betrayal_costs_nothing() -> None:
    engine = _betrayed(referral_day=1, bad_day=3)
    _revoke(engine, day=2)  # Carol's and Dave's ratings come after: not on Alice
    assert _outcomes(engine) == [(BOB, 0.0, "revoked")]
    assert engine.trust(E1, ALICE, "seller").value == 1.0


def test_an_expired_referral_answers_for_its_time_only() -> None:
    during, after = TrustEngine(), TrustEngine()
    for engine, bad_day in ((during, 3), (after, 12)):
        _circle(engine, "Alice", "Carol")
        engine.add(aid("ref"), replace(referral("Alice", "Bob", "E1", day=1),
                                       valid_until=at(10)))
        engine.add(aid("bad"), rating("Carol", "Bob", -10, day=bad_day))
        engine.refresh(at(20))
    assert _outcomes(during) == [(BOB, 1.0, "expired")]
    assert _outcomes(after) == [(BOB, 0.0, "expired")]


def test_a_new_referral_of_the_same_party_does_not_reset_the_clock() -> None:
    engine = _betrayed()
    engine.add(aid("ref-again"), referral("Alice", "Bob", "E1", day=5))  # re-vouching
    assert sorted(_outcomes(engine), key=lambda o: o[2]) == [
        (BOB, 1.0, "replaced"), (BOB, 0.0, "standing")]
    assert engine.trust(E1, ALICE, "seller").value == 0.9


def test_the_referred_partys_rejection_after_the_betrayal_does_not_clear_the_referrer() -> None:
    engine = _betrayed()
    engine.add(aid("reject"), Acceptance(issuer=BOB, target=aid("ref"), accepted=False,
                                         context=None, valid_from=at(4)))
    assert _outcomes(engine) == [(BOB, 1.0, "rejected-by-subject")]


def _erased(day: float = 4) -> ErasedReferral:
    return ErasedReferral(referral=aid("ref"), referrer=ALICE, referred=BOB, audience=E1,
                          context="seller", since=at(1), ended=at(day))


def test_an_erased_referral_leaves_the_judgement_made_at_its_erasure() -> None:
    engine = _betrayed()
    kept = engine.judge_erased(_erased())
    assert kept == KeptJudgement(referral=aid("ref"), referrer=ALICE, audience=E1,
                                 context="seller", bad=1.0, ended=at(4), expires=at(369))
    assert engine.graph.status(aid("ref")) is None  # the referral itself is gone
    result = engine.trust(E1, ALICE, "seller")
    assert result.value == 0.9
    [outcome] = result.penalty.referrals
    assert (outcome.referral, outcome.referred, outcome.bad, outcome.state) == (
        aid("ref"), None, 1.0, "erased")  # whom she referred is not kept
    assert result.to_json()["penalty"]["referrals"][0] == {
        "referral": aid("ref"), "referred": None, "bad": 1.0, "state": "erased",
        "ended": "2026-01-05T00:00:00Z", "expires": "2027-01-05T00:00:00Z"}
    # frozen: what happens to Bob afterwards no longer reaches Alice
    engine.remove(aid("bad-Carol"))
    assert engine.trust(E1, ALICE, "seller").value == 0.9
    # read back at a restart: applied once; forgotten on expiry
    fresh = TrustEngine()
    _circle(fresh, "Alice")
    assert fresh.keep(kept) and not fresh.keep(kept)
    assert fresh.trust(E1, ALICE, "seller").value == 0.9
    fresh.refresh(at(369))
    assert fresh.trust(E1, ALICE, "seller").value == 1.0
    assert not fresh.keep(kept)  # expired already
    assert engine.forget(aid("ref")) and not engine.forget(aid("ref"))
    assert engine.trust(E1, ALICE, "seller").value == 1.0


def test_a_referral_erased_before_any_betrayal_simply_disappears() -> None:
    engine = _betrayed(bad_day=3)
    assert engine.judge_erased(_erased(day=2)) is None  # erased on day 2, betrayal day 3
    assert engine.trust(E1, ALICE, "seller").penalty.referrals == ()
    assert engine.trust(E1, ALICE, "seller").value == 1.0


def test_erased_judgements_count_towards_the_cap_with_standing_ones() -> None:
    engine = TrustEngine()
    _circle(engine, "Alice")
    for i in range(4):
        engine.add(aid(f"ref{i}"), referral("Alice", f"Bob{i}", "E1", day=1))
        engine.add(aid(f"bad{i}"), rating("E1", f"Bob{i}", -5, day=2))
    assert engine.trust(E1, ALICE, "seller").penalty.value == pytest.approx(0.2)  # 4 x 0.05
    judged = [engine.judge_erased(ErasedReferral(
        referral=aid(f"ref{i}"), referrer=ALICE, referred=did(f"Bob{i}"), audience=E1,
        context="seller", since=at(1), ended=at(3))) for i in range(2)]
    assert [j.bad for j in judged if j is not None] == [0.5, 0.5]
    penalty = engine.trust(E1, ALICE, "seller").penalty
    assert [o.state for o in penalty.referrals] == ["standing"] * 2 + ["erased"] * 2
    assert penalty.value == pytest.approx(0.2)
    engine.add(aid("worse"), rating("E1", "Bob2", -10, day=4))
    assert engine.trust(E1, ALICE, "seller").penalty.value == pytest.approx(0.25)


def test_the_term_is_a_policy_figure() -> None:
    engine = TrustEngine(TrustPolicy(withdrawn_referral_days=30))
    _circle(engine, "Alice", "Carol")
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1))
    engine.add(aid("bad"), rating("Carol", "Bob", -10, day=3))
    kept = engine.judge_erased(_erased())
    assert kept is not None and kept.expires == at(34)
    with pytest.raises(LocalProtocolError, match="withdrawn_referral_days"):
        TrustPolicy(withdrawn_referral_days=0)
    with pytest.raises(LocalProtocolError, match="bad"):
        replace(kept, bad=0.0)
