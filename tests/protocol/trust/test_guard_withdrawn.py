"""Referrals after they stop vouching, at their exact boundaries (issue 14, from surviving
mutants of the graph's referral windows and kept judgements): when a window starts and ends
to the second, which end counts when there are several, statuses given from outside, and
judgements of erased referrals kept, re-kept, forgotten and expired."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from trusthelpers import aid, at, did, mark, rating, referral

from confiance.protocol.model import Revocation
from confiance.protocol.trust import KeptJudgement, TrustEngine

E1, ALICE, BOB = did("E1"), did("Alice"), did("Bob")
SECOND = timedelta(seconds=1)


def _engine(*circle: str) -> TrustEngine:
    """E1 trusts Alice and each of ``circle`` at 1.0 (its own marks)."""
    engine = TrustEngine()
    for name in ("Alice", *circle):
        engine.add(aid(f"mark-{name}"), mark("E1", name, 97))
    return engine


def _revoke(engine: TrustEngine, name: str, target: str, when: datetime) -> None:
    engine.add(aid(name), Revocation(issuer=ALICE, target=target, context=None,
                                     valid_from=when))


def _outcomes(engine: TrustEngine) -> list[tuple[str, float, str, float | None]]:
    return sorted((o.referral, o.bad, o.state, o.ended)
                  for o in engine.trust(E1, ALICE, "seller").penalty.referrals)


def test_a_referral_that_stopped_when_it_began_never_vouched_one_second_later_it_did() -> None:
    engine = _engine("Carol")
    start = at(1)
    engine.add(aid("instant"), referral("Alice", "Bob", "E1", day=1))
    _revoke(engine, "rev-instant", aid("instant"), start)  # revoked at its own validFrom
    engine.add(aid("second"), referral("Alice", "Zoe", "E1", day=1))
    _revoke(engine, "rev-second", aid("second"), start + SECOND)  # vouched for one second
    engine.add(aid("zoe-bad"), rating("Carol", "Zoe", -10, day=1))  # at that very second
    engine.add(aid("bob-bad"), rating("Carol", "Bob", -10, day=1))
    assert _outcomes(engine) == [
        (aid("second"), 1.0, "revoked", (start + SECOND).timestamp())]
    # a status given from outside cannot be dated: left out, and nothing breaks
    engine.add(aid("told"), referral("Alice", "Yan", "E1", day=1), status="revoked")
    engine.add(aid("yan-bad"), rating("Carol", "Yan", -10, day=2))
    assert [o[0] for o in _outcomes(engine)] == [aid("second")]
    assert engine.trust(E1, ALICE, "seller").value == 0.9


def test_a_withdrawn_referral_costs_until_the_second_its_term_ends() -> None:
    engine = _engine("Carol")
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1))
    engine.add(aid("bad"), rating("Carol", "Bob", -10, day=2))
    _revoke(engine, "rev", aid("ref"), at(3))
    engine.refresh(at(3 + 365) - SECOND)
    assert engine.trust(E1, ALICE, "seller").value == 0.9
    engine.refresh(at(3 + 365))
    assert engine.trust(E1, ALICE, "seller").value == 1.0


def test_the_earliest_revocation_ends_the_window_whatever_the_order_of_arrival() -> None:
    engine = _engine("Carol")
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1))
    later = at(3)
    _revoke(engine, "rev-later", aid("ref"), later)
    _revoke(engine, "rev-earlier", aid("ref"), later - SECOND)  # one second earlier, after
    engine.add(aid("bad"), rating("Carol", "Bob", -10, day=3))  # between the two: no longer
    assert _outcomes(engine) == [(aid("ref"), 0.0, "revoked", (later - SECOND).timestamp())]


def test_a_referral_replaced_one_second_later_vouched_for_that_second() -> None:
    engine = _engine()
    first = at(1)
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1))
    engine.add(aid("again"), replace(referral("Alice", "Bob", "E1"), valid_from=first + SECOND))
    assert _outcomes(engine) == sorted([
        (aid("ref"), 0.0, "replaced", (first + SECOND).timestamp()),
        (aid("again"), 0.0, "standing", None)])


def test_a_replaced_referral_ends_when_the_referral_counting_now_began() -> None:
    # Alice vouches again on day 2 but revokes that on day 2.5: her day-1 referral counts
    # again, until her day-3 one replaces it. Many parties, so that the set order of the
    # slot never decides which of the newer referrals is read.
    engine = _engine("Carol")
    names = [f"Bob{i}" for i in range(16)]
    for name in names:
        engine.add(aid(f"{name}-1"), referral("Alice", name, "E1", day=1))
        engine.add(aid(f"{name}-2"), referral("Alice", name, "E1", day=2))
        _revoke(engine, f"{name}-rev", aid(f"{name}-2"), at(2.5))
        engine.add(aid(f"{name}-3"), referral("Alice", name, "E1", day=3))
        engine.add(aid(f"{name}-bad"), rating("Carol", name, -10, day=2.75))
    outcomes = _outcomes(engine)
    expected = sorted(
        [(aid(f"{n}-1"), 1.0, "replaced", at(3).timestamp()) for n in names]
        + [(aid(f"{n}-2"), 0.0, "revoked", at(2.5).timestamp()) for n in names]
        + [(aid(f"{n}-3"), 0.0, "standing", None) for n in names])
    assert outcomes == expected


def test_superseded_from_outside_is_dated_like_the_graphs_own_not_yet_valid_never_vouched(
) -> None:
    told, fed = _engine("Carol"), _engine("Carol")
    for engine, status in ((told, "superseded"), (fed, "valid")):
        engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1), status=status)
        engine.add(aid("again"), referral("Alice", "Bob", "E1", day=5))
        engine.add(aid("bad"), rating("Carol", "Bob", -10, day=3))
    assert _outcomes(told) == _outcomes(fed) == sorted([
        (aid("ref"), 1.0, "replaced", at(5).timestamp()),
        (aid("again"), 0.0, "standing", None)])
    engine = _engine("Carol")
    engine.add(aid("ref"), referral("Alice", "Bob", "E1", day=1), status="not-yet-valid")
    engine.add(aid("again"), referral("Alice", "Bob", "E1", day=5))
    engine.add(aid("bad"), rating("Carol", "Bob", -10, day=3))
    assert _outcomes(engine) == [(aid("again"), 0.0, "standing", None)]


EXPIRES = at(369)  # erased on day 4, kept for a year


def _judgement(referral_name: str, *, ends: datetime = EXPIRES,
               referrer: str = ALICE) -> KeptJudgement:
    return KeptJudgement(referral=aid(referral_name), referrer=referrer, audience=E1,
                         context="seller", bad=1.0, ended=at(4), expires=ends)


def test_a_kept_judgement_counts_until_the_second_it_expires_then_is_gone() -> None:
    engine = _engine()
    engine.refresh(at(369) - SECOND)
    assert engine.keep(_judgement("ref"))  # one second before it expires: still applies
    assert engine.trust(E1, ALICE, "seller").value == 0.9
    engine.refresh(at(369))
    assert engine.trust(E1, ALICE, "seller").value == 1.0
    assert not engine.forget(aid("ref"))  # expired: nothing was applied any more
    assert not engine.keep(_judgement("ref"))


def test_a_kept_judgement_expiring_on_the_clock_is_gone_not_merely_hidden() -> None:
    engine = _engine()
    assert engine.keep(_judgement("ref"))
    engine.refresh(at(369))
    assert not engine.forget(aid("ref"))
    assert engine.trust(E1, ALICE, "seller").penalty.referrals == ()


def test_a_judgement_kept_again_later_is_not_dropped_by_the_first_ones_expiry() -> None:
    engine = _engine()
    assert engine.keep(_judgement("ref"))
    assert engine.forget(aid("ref"))
    assert engine.keep(_judgement("ref", ends=at(369) + SECOND))  # re-kept, a second longer
    engine.refresh(at(369))
    assert engine.trust(E1, ALICE, "seller").value == 0.9
    engine.refresh(at(369) + SECOND)
    assert engine.trust(E1, ALICE, "seller").value == 1.0
    assert not engine.forget(aid("ref"))


def test_forgetting_one_judgement_keeps_the_others() -> None:
    engine = _engine("Zed")
    zed = did("Zed")
    for name in ("ref1", "ref2"):
        assert engine.keep(_judgement(name))
    assert engine.keep(_judgement("zed-ref", referrer=zed))
    assert not engine.forget(aid("unknown"))  # none of the three
    assert engine.forget(aid("ref1"))
    assert [o.referral for o in engine.trust(E1, ALICE, "seller").penalty.referrals] == [
        aid("ref2")]
    assert engine.trust(E1, ALICE, "seller").value == 0.9
    assert engine.forget(aid("zed-ref"))  # held under another referrer
    assert engine.trust(E1, zed, "seller").value == 1.0
