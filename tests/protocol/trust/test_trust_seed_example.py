"""The seed's example, end to end: a mark earned at E1 counts at E2 by E2's own rule, and a
referrer answers a little for whom it refers."""

from __future__ import annotations

from trusthelpers import aid, did, mark, rating, recognition, referral

from confiance.protocol.rules import ThresholdRule
from confiance.protocol.sentences import short_id
from confiance.protocol.trust import TrustEngine, TrustResult

E1, E2, ALICE, BOB, CAROL = (did(n) for n in ("E1", "E2", "Alice", "Bob", "Carol"))
# E2 reads E1's positive-feedback percentage as stars.
STARS_RULE = ThresholdRule(thresholds=((98, 5), (95, 4), (90, 3)), otherwise=1)


def test_the_seed_example() -> None:
    engine = TrustEngine()
    # 1. E1 gives Alice a mark: 96% positive.
    engine.add(aid("mark"), mark("E1", "Alice", 96, "96% positive"))
    before_e1_e2 = engine.trust(E1, E2, "seller")
    before_e1_alice = engine.trust(E1, ALICE, "seller")
    assert before_e1_alice.value == 1.0  # an issuer reads its own mark at full weight
    assert engine.trust(E2, ALICE, "seller").value is None  # E2 has not said how to read it

    # 2. E2 publishes a unilateral Recognition rule for E1's mark.
    engine.add(aid("rule"), recognition("E2", "E1", STARS_RULE))
    result = engine.trust(E2, ALICE, "seller")
    assert result.score == 4.0  # 96% -> 4 stars, on E2's own 1..5 scale
    assert result.value == 0.75
    hop = result.paths[0].hops[-1]
    assert (hop.source, hop.target, hop.assertion, hop.recognition) == (
        E1, ALICE, aid("mark"), aid("rule"))
    assert hop.rule is not None and hop.rule.startswith(
        f"{short_id(E2)} reads {short_id(E1)}’s “")
    assert "on its own 1..5 scale: " in hop.rule and hop.rule.count("scale") == 1
    assert "98 or more is 5" in hop.rule
    # Unilateral: E1's view of E2 (and of Alice) is unchanged.
    assert _opinion(engine.trust(E1, E2, "seller")) == _opinion(before_e1_e2) == (
        None, None, [])
    assert _opinion(engine.trust(E1, ALICE, "seller")) == _opinion(before_e1_alice)

    # 3. Alice refers Bob to E1; E1 trusts Carol; Carol later rates Bob very badly.
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1))
    engine.add(aid("carol"), rating("E1", "Carol", 9))
    assert engine.trust(E1, ALICE, "seller").value == 1.0  # nothing bad yet
    engine.add(aid("bad"), rating("Carol", "Bob", -10, day=2))
    standing = engine.trust(E1, ALICE, "seller")
    assert standing.value == 0.9  # a tenth lower: slightly
    assert standing.penalty.referrals[0].referral == aid("ref")
    # bad = 0.9 * 1 / 0.9: Carol (trusted 0.9) distrusts Bob; Alice's own vouch for him is
    # no evidence that her referral was good (it would have made it 0.9 / 1.9)
    assert standing.penalty.referrals[0].bad == 1.0 and standing.penalty.value == 0.1
    # Bob's general distrust figure at E1 still weighs Alice's word beside Carol's
    assert abs(engine.trust(E1, BOB, "seller").distrust.value - 0.9 / 1.9) < 1e-12
    # Only at the audience: E2's view of Alice is untouched.
    assert engine.trust(E2, ALICE, "seller").score == 4.0


def _opinion(result: TrustResult) -> tuple[object, ...]:
    doc = result.to_json()
    return doc["score"], doc["value"], doc["paths"]


def test_good_referrals_cost_nothing() -> None:
    engine = TrustEngine()
    engine.add(aid("mark"), mark("E1", "Alice", 96))
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1))
    engine.add(aid("carol"), rating("E1", "Carol", 9))
    engine.add(aid("good"), rating("Carol", "Bob", 8, day=2))
    result = engine.trust(E1, ALICE, "seller")
    assert result.value == 1.0 and result.penalty.value == 0.0
    assert result.penalty.referrals[0].bad == 0.0


def test_bad_ratings_before_the_referral_do_not_count() -> None:
    engine = TrustEngine()
    engine.add(aid("mark"), mark("E1", "Alice", 96))
    engine.add(aid("carol"), rating("E1", "Carol", 9))
    engine.add(aid("bad"), rating("Carol", "Bob", -10, day=0))
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1))
    assert engine.trust(E1, ALICE, "seller").value == 1.0


def test_strangers_cannot_smear_a_referrer() -> None:
    engine = TrustEngine()
    engine.add(aid("mark"), mark("E1", "Alice", 96))
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1))
    for i in range(20):  # Sybils E1 does not trust
        engine.add(aid(f"s{i}"), rating(f"Sybil{i}", "Bob", -10, day=2))
    assert engine.trust(E1, ALICE, "seller").value == 1.0


def test_penalty_is_capped() -> None:
    engine = TrustEngine()
    engine.add(aid("mark"), mark("E1", "Alice", 96))
    for i in range(10):
        engine.add(aid(f"ref{i}"), referral("Alice", f"Bob{i}", "E1", day=1))
        engine.add(aid(f"bad{i}"), rating("E1", f"Bob{i}", -10, day=2))
    result = engine.trust(E1, ALICE, "seller")
    assert result.penalty.value == 0.3
    assert result.value == 0.7
    assert engine.trust(CAROL, ALICE, "seller").penalty.value == 0.0
