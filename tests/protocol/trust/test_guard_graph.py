"""The trust graph's bookkeeping, seen through the engine (issue 14): what a removal,
a newer assertion in the same slot, the clock and statuses do to the scores."""

from __future__ import annotations

from datetime import timedelta

from trusthelpers import aid, at, did, mark, rating, recognition, referral

from confiance.protocol.model import Rating
from confiance.protocol.rules import LinearRule
from confiance.protocol.trust import TrustEngine

E1, E2, ALICE, BOB = (did(n) for n in ("E1", "E2", "Alice", "Bob"))


def _value(engine: TrustEngine, source: str = E1, target: str = ALICE) -> float | None:
    return engine.trust(source, target, "seller").value


def test_removing_the_newest_of_a_slot_brings_back_the_one_before() -> None:
    engine = TrustEngine()
    assert engine.add(aid("old"), rating("E1", "Alice", 10, day=1)) is True
    assert engine.add(aid("new"), rating("E1", "Alice", -10, day=2)) is True
    assert _value(engine) is not None and _value(engine) < 0  # type: ignore[operator]
    assert engine.remove(aid("new")) is True
    assert _value(engine) == 1.0
    assert engine.remove(aid("new")) is False
    assert engine.remove(aid("old")) is True
    assert _value(engine) is None


def test_adding_again_or_to_the_same_status_changes_nothing() -> None:
    engine = TrustEngine()
    assert engine.add(aid("r"), rating("E1", "Alice", 10)) is True
    assert engine.add(aid("r"), rating("E1", "Alice", 10)) is False
    assert engine.set_status(aid("r"), "valid") is False
    assert engine.set_status(aid("unknown"), "revoked") is False
    assert engine.set_status(aid("r"), "revoked") is True
    assert _value(engine) is None


def _expiring(day_from: float, days: float) -> Rating:
    return Rating(issuer=E1, subject=ALICE, score=10, scale=rating("E1", "Alice", 1).scale,
                  context="seller", valid_from=at(day_from),
                  valid_until=at(day_from + days))


def test_the_clock_expires_at_valid_until_and_starts_at_valid_from() -> None:
    engine = TrustEngine()
    engine.add(aid("e"), _expiring(0, 2))
    assert engine.refresh(at(2) - timedelta(seconds=1)) == []
    assert _value(engine) == 1.0
    assert engine.refresh(at(2)) == [aid("e")]
    assert _value(engine) is None
    later = TrustEngine()
    later.add(aid("l"), rating("E1", "Alice", 10, day=5), status="not-yet-valid")
    assert _value(later) is None
    assert later.refresh(at(5) - timedelta(seconds=1)) == []
    assert later.refresh(at(5)) == [aid("l")]
    assert _value(later) == 1.0


def test_a_status_set_to_not_yet_valid_starts_with_the_clock() -> None:
    engine = TrustEngine()
    engine.add(aid("l"), rating("E1", "Alice", 10, day=5))
    assert engine.set_status(aid("l"), "not-yet-valid") is True
    assert _value(engine) is None
    assert engine.refresh(at(5)) == [aid("l")]
    assert _value(engine) == 1.0
    engine.set_status(aid("l"), "revoked")
    assert engine.refresh(at(50)) == []  # a revoked one does not start or expire again


def test_removing_a_recognition_or_a_referral_undoes_it() -> None:
    engine = TrustEngine()
    engine.add(aid("mark"), mark("E1", "Alice", 96))
    rule = LinearRule(source_min=0, source_max=100, target_min=1, target_max=5)
    engine.add(aid("rule"), recognition("E2", "E1", rule))
    assert _value(engine, E2, ALICE) is not None
    assert engine.remove(aid("rule")) is True
    assert _value(engine, E2, ALICE) is None
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1))
    engine.add(aid("bad"), rating("E1", "Bob", -10, day=2))
    assert engine.trust(E1, ALICE, "seller").penalty.value > 0
    assert engine.remove(aid("ref")) is True
    assert engine.trust(E1, ALICE, "seller").penalty.value == 0.0
