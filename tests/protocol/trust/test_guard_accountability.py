"""Referral accountability never improves a standing (issue 14): a penalty scales a
positive standing down and leaves a negative one (or zero) exactly as it was."""

from __future__ import annotations

import pytest
from trusthelpers import aid, did, rating, referral

from confiance.protocol.trust import Penalty, TrustEngine

E1, ALICE = did("E1"), did("Alice")


@pytest.mark.parametrize(("standing", "after"), [
    (0.8, 0.8 * 0.9), (1.0, 0.9), (0.0, 0.0), (-0.5, -0.5), (-1.0, -1.0)])
def test_a_penalty_applies_to_positive_standings_only(standing: float, after: float) -> None:
    assert Penalty(value=0.1, referrals=()).apply(standing) == pytest.approx(after)


def _standing(*, distrusted_referral: bool) -> float | None:
    engine = TrustEngine()
    engine.add(aid("distrust"), rating("E1", "Alice", -5))  # E1 already distrusts Alice
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1))
    if distrusted_referral:
        engine.add(aid("bad"), rating("E1", "Bob", -10, day=2))
    else:
        engine.add(aid("bob"), rating("E1", "Bob", 8, day=2))
    result = engine.trust(E1, ALICE, "seller")
    assert result.penalty.value == (0.1 if distrusted_referral else 0.0)
    return result.value


def test_a_bad_referral_does_not_lift_a_negative_standing() -> None:
    before = _standing(distrusted_referral=False)
    assert before is not None and before < 0
    assert _standing(distrusted_referral=True) == before
