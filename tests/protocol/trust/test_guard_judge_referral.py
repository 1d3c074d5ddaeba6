"""How the audience judges a referred party (issue 14, from surviving mutants of main's
referral accountability): statements count from the referral's ``validFrom`` to when it
stopped vouching, both ends included; the acquaintances' share is weighted by trust; a
Referral is no opinion."""

from __future__ import annotations

from trusthelpers import aid, at, did, rating, referral

from confiance.protocol.model import Revocation
from confiance.protocol.trust import TrustGraph
from confiance.protocol.trust.accountability import judge_referral, referral_penalty

E1, ALICE, BOB = did("E1"), did("Alice"), did("Bob")


def test_statements_count_within_the_window_ends_included() -> None:
    g = TrustGraph()
    g.add(aid("own"), rating("E1", "Bob", -5, day=2))  # the audience's own word, day 2
    view = g.view(E1, "seller")
    t = at(2).timestamp()
    assert judge_referral(view, ALICE, BOB, since=t) == 0.5
    assert judge_referral(view, ALICE, BOB, since=t + 1) == 0.0
    assert judge_referral(view, ALICE, BOB, since=t - 10, until=t) == 0.5
    assert judge_referral(view, ALICE, BOB, since=t - 10, until=t - 1) == 0.0
    assert judge_referral(view, ALICE, E1, since=0) == 0.0  # the audience itself
    assert judge_referral(view, ALICE, did("Nobody"), since=0) == 0.0  # unknown here


def test_acquaintances_count_by_trust_and_a_referral_is_no_opinion() -> None:
    g = TrustGraph()
    g.add(aid("e1-j"), rating("E1", "J", 5))
    g.add(aid("j-bob"), rating("J", "Bob", -5, day=1))
    view = g.view(E1, "seller")
    assert judge_referral(view, ALICE, BOB, since=0) == 0.5  # J's -0.5, J alone
    g.add(aid("e1-l"), rating("E1", "L", 5))
    g.add(aid("l-bob"), referral("L", "Bob", "X", day=1))  # vouches to someone else
    assert judge_referral(g.view(E1, "seller"), ALICE, BOB, since=0) == 0.5
    g.add(aid("j-e1"), rating("J", "E1", -5, day=1))  # said of the audience: not judged
    assert judge_referral(g.view(E1, "seller"), ALICE, E1, since=0) == 0.0


def test_standing_referrals_are_listed_before_those_that_stopped() -> None:
    g = TrustGraph()
    g.add(aid("early"), referral("Alice", "Carol", "E1", day=1))
    g.add(aid("late"), referral("Alice", "Bob", "E1", day=3))
    g.add(aid("stop"), Revocation(issuer=ALICE, target=aid("early"), context=None,
                                  valid_from=at(4)))
    outcomes = referral_penalty(g.view(E1, "seller"), ALICE).referrals
    assert [o.referred for o in outcomes] == [BOB, did("Carol")], outcomes
    assert outcomes[0].ended is None and outcomes[1].ended is not None


def test_who_referred_whom_to_whom_standing_or_stopped_or_erased() -> None:
    g = TrustGraph()
    g.add(aid("bob"), referral("Alice", "Bob", "E1", day=1))
    g.add(aid("carol"), referral("Alice", "Carol", "E1", day=1))
    g.add(aid("stop"), Revocation(issuer=ALICE, target=aid("carol"), context=None,
                                  valid_from=at(2)))
    assert g.has_referred("seller", E1, ALICE, BOB)  # standing
    assert g.has_referred("seller", E1, ALICE, did("Carol"))  # stopped, still held
    assert not g.has_referred("seller", E1, ALICE, did("Dan"))
    assert not g.has_referred("seller", did("E2"), ALICE, BOB)  # to another audience
    g.add(aid("stop-bob"), Revocation(issuer=ALICE, target=aid("bob"), context=None,
                                      valid_from=at(3)))
    g.remove(aid("stop"))  # a revocation record forgotten: nothing else changes
    g.remove(aid("carol"))  # erased: no longer held
    assert not g.has_referred("seller", E1, ALICE, did("Carol"))
    assert g.has_referred("seller", E1, ALICE, BOB)  # stopped, still held
    g.remove(aid("bob"))
    assert not g.has_referred("seller", E1, ALICE, BOB)
