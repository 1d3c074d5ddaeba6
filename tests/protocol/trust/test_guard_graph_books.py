"""The trust graph's own books (issue 14, from surviving mutants): what each change reports,
the bound on statuses waiting for their target, the clock on records gone or changed,
the indexes of Recognitions, Referrals and cross-context imports after removals, the
version counter, and compiled matrices patched after a removal."""

from __future__ import annotations

import numpy as np
import pytest
from trusthelpers import aid, at, did, mark, rating, recognition, referral

from confiance.protocol.errors import LocalProtocolError
from confiance.protocol.model import Acceptance, Rating, Revocation
from confiance.protocol.rules import LinearRule
from confiance.protocol.trust import TrustEngine, TrustGraph
from confiance.protocol.trust.conversion import claim_from_assertion
from confiance.protocol.trust.edgearrays import load_edge_arrays
from confiance.protocol.trust.graph import MAX_WAITING
from confiance.protocol.trust.matrix import operator_for
from confiance.protocol.trust.policy import DEFAULT_POLICY

A, B, C, E1, E2, E3, ALICE = (did(n) for n in ("A", "B", "C", "E1", "E2", "E3", "Alice"))
RULE = LinearRule(source_min=0, source_max=100, target_min=1, target_max=5)


def _revocation(issuer: str, target: str) -> Revocation:
    return Revocation(issuer=issuer, target=target, context=None, valid_from=at(1))


def _acceptance(issuer: str, target: str, accepted: bool, day: float = 1) -> Acceptance:
    return Acceptance(issuer=issuer, target=target, accepted=accepted, context=None,
                      valid_from=at(day))


def test_a_revocation_or_decision_says_whether_it_changed_the_graph() -> None:
    g = TrustGraph()
    g.add(aid("r"), rating("A", "B", 5))
    assert g.add(aid("forged"), _revocation(C, aid("r"))) is False  # not the issuer's
    assert g.add(aid("other"), _acceptance(C, aid("r"), False)) is False  # not the subject's
    assert g.add(aid("early"), _revocation(A, aid("absent"))) is False  # waits for its target
    assert g.add(aid("stale"), _revocation(A, aid("r")), status="expired") is False
    assert g.status(aid("r")) == "valid"
    assert g.add(aid("rev"), _revocation(A, aid("r"))) is True
    assert g.status(aid("r")) == "revoked"


def test_statuses_waiting_for_their_target_are_bounded_oldest_dropped() -> None:
    g = TrustGraph()
    targets = [aid(f"t{i}") for i in range(MAX_WAITING + 1)]
    for i, target in enumerate(targets[:-1]):  # exactly the bound: every one kept
        g.add(f"rev{i}", _revocation(A, target))
    g.add("one-more", _revocation(A, targets[-1]))  # one past: the oldest (t0's) is dropped
    g.add(targets[0], rating("A", "B", 5))
    g.add(targets[1], rating("A", "C", 5))
    g.add(targets[-1], rating("A", "Alice", 5))
    assert [g.status(t) for t in (targets[0], targets[1], targets[-1])] == [
        "valid", "revoked", "revoked"]


def test_same_time_decisions_resolve_alike_whatever_the_order_of_arrival() -> None:
    # two decisions by the subject made at the same second: the acceptance id breaks the tie,
    # so a node that got them before the assertion agrees with one that got them after
    target = aid("r")
    decisions = [(aid("x"), _acceptance(B, target, True)),
                 (aid("y"), _acceptance(B, target, False))]
    outcomes = set()
    for order in (decisions, decisions[::-1]):
        for target_first in (True, False):
            g = TrustGraph()
            if target_first:
                g.add(target, rating("A", "B", 5))
            for decision_id, decision in order:
                g.add(decision_id, decision)
            if not target_first:
                g.add(target, rating("A", "B", 5))
            outcomes.add(g.status(target))
    later = max(decisions)[1]  # the greater id wins the tie
    assert outcomes == {"valid" if later.accepted else "rejected-by-subject"}


def test_removing_the_only_valid_one_of_a_slot_is_a_change() -> None:
    g = TrustGraph()
    g.add(aid("old"), rating("A", "B", 5, day=1))
    g.set_status(aid("old"), "revoked")
    g.add(aid("new"), rating("A", "B", 7, day=2))
    assert g.remove(aid("new")) is True
    assert g.view(A, "seller").edge_weight(A, B) is None


def _expiring(day_from: float, until: float) -> Rating:
    return Rating(issuer=A, subject=B, score=5, scale=rating("A", "B", 1).scale,
                  context="seller", valid_from=at(day_from), valid_until=at(until))


def test_the_clock_skips_records_removed_or_no_longer_waiting() -> None:
    g = TrustGraph()
    g.add(aid("gone"), _expiring(0, 2))
    g.remove(aid("gone"))
    g.add(aid("revoked"), _expiring(0, 3))
    g.set_status(aid("revoked"), "revoked")
    g.add(aid("later-gone"), rating("A", "C", 5, day=4), status="not-yet-valid")
    g.remove(aid("later-gone"))
    g.add(aid("later-revoked"), rating("B", "C", 5, day=5), status="not-yet-valid")
    g.set_status(aid("later-revoked"), "revoked")
    assert g.refresh(at(10)) == []
    assert g.status(aid("revoked")) == "revoked"
    assert g.status(aid("later-revoked")) == "revoked"
    assert g.status(aid("gone")) is None


def _claim(name: str, assertion: object) -> object:
    return claim_from_assertion(aid(name), assertion, DEFAULT_POLICY)  # type: ignore[arg-type]


def test_claims_added_in_bulk_keep_the_indexes_and_the_count() -> None:
    g = TrustGraph()
    rec = _claim("rec", recognition("E2", "E1", RULE, context="renter", source_context="seller"))
    ref = _claim("ref", referral("Alice", "B", "E1"))
    assert g.add_claims([rec, ref]) == 2  # type: ignore[list-item]
    assert g.recognitions("renter", E2) == (rec,)
    assert g.referrals("seller", E1, ALICE) == (ref,)
    # a rating E1 makes in "seller" is imported into "renter", where E2 reads it
    assert g.add_claims([_claim("m", mark("E1", "Alice", 75))]) == 1  # type: ignore[list-item]
    assert g.graph("renter").has_edge(E1, ALICE)
    assert g.stats()["bulk_edges"] == 3
    other = TrustGraph()
    load_edge_arrays(other, ["a b 1\n", "b c 1\n"], context="edges")
    assert other.stats()["bulk_edges"] == 2


def test_the_same_claim_added_twice_is_held_once() -> None:
    g = TrustGraph()
    first = _claim("one", rating("A", "B", 5, day=1))
    second = _claim("two", rating("A", "B", 7, day=2))
    g.add_claims([first, second, first])  # type: ignore[list-item]
    assert g.view(A, "seller").claims(A, B) == (first, second)


def test_a_recognition_of_the_same_context_imports_nothing() -> None:
    g = TrustGraph()
    g.add(aid("r"), rating("E1", "Alice", 5))
    g.add(aid("rec"), recognition("E2", "E1", RULE, mark_id=None))  # reads "seller" itself
    assert g.can_install_arrays("edges")  # no cross-context import to maintain
    assert g.remove(aid("rec")) is True
    assert g.graph("seller").has_edge(E1, ALICE)  # E1's own edge stays where it was


def test_removing_recognitions_and_referrals_updates_their_indexes() -> None:
    g = TrustGraph()
    g.add(aid("rec1"), recognition("E2", "E1", RULE))
    g.add(aid("rec3"), recognition("E2", "E3", RULE))
    g.add(aid("ref-b"), referral("Alice", "B", "E1"))
    g.add(aid("ref-c"), referral("Alice", "C", "E1"))
    g.remove(aid("rec1"))
    g.remove(aid("ref-b"))
    assert [c.subject for c in g.recognitions("seller", E2)] == [E3]
    assert [c.subject for c in g.referrals("seller", E1, ALICE)] == [C]
    g.remove(aid("rec3"))
    g.remove(aid("ref-c"))
    assert g.recognitions("seller", E2) == ()
    assert g.referrals("seller", E1, ALICE) == ()


def test_an_import_lasts_while_any_recognition_needs_it() -> None:
    g = TrustGraph()
    g.add(aid("m"), mark("E1", "Alice", 75))  # in "seller"
    g.add(aid("rec2"), recognition("E2", "E1", RULE, context="renter", source_context="seller"))
    g.add(aid("rec3"), recognition("E3", "E1", RULE, context="renter", source_context="seller"))
    assert not g.can_install_arrays("edges")
    g.remove(aid("rec2"))
    assert g.graph("renter").has_edge(E1, ALICE)  # E3 still reads E1's "seller" here
    g.remove(aid("rec3"))
    assert not g.graph("renter").has_edge(E1, ALICE)
    assert g.can_install_arrays("edges")
    g.add(aid("m2"), mark("E1", "B", 50))  # nobody reads E1's "seller" in "renter" any more
    assert not g.graph("renter").has_edge(E1, B)


def test_a_recognition_of_an_empty_or_unknown_source_imports_nothing() -> None:
    g = TrustGraph()
    g.add(aid("rec"), recognition("E2", "E1", RULE, context="renter", source_context="none"))
    g.add(aid("r"), rating("A", "B", 5, context="held"))
    g.add(aid("rec2"), recognition("E2", "E3", RULE, context="renter", source_context="held"))
    assert sorted(g.graph("renter").edges) == [(E2, E1), (E2, E3)]


def test_an_import_takes_the_source_contexts_own_claims_not_its_imports() -> None:
    g = TrustGraph()
    g.add(aid("x"), mark("E1", "Alice", 75, context="x"))
    g.add(aid("rec-x"), recognition("E2", "E1", RULE, context="seller", source_context="x"))
    assert g.graph("seller").has_edge(E1, ALICE)  # imported for E2
    g.add(aid("rec-s"), recognition("E3", "E1", RULE, context="renter", source_context="seller"))
    assert not g.graph("renter").has_edge(E1, ALICE)  # E1 said nothing in "seller" itself


def test_the_version_never_comes_back_to_a_value_it_had() -> None:
    g = TrustGraph()
    seen = [g.version("seller")]
    g.add(aid("1"), rating("A", "B", 5))
    seen.append(g.version("seller"))
    g.add(aid("2"), rating("A", "C", 5))
    seen.append(g.version("seller"))
    g.remove(aid("1"))
    seen.append(g.version("seller"))
    g.remove(aid("2"))
    seen.append(g.version("seller"))
    assert len(set(seen)) == len(seen), seen


def _operator_row(engine: TrustEngine, evaluator: str, node: str) -> dict[str, float]:
    """The transition probabilities out of ``node`` as ``evaluator`` reads the graph."""
    op = operator_for(engine.graph.view(evaluator, "seller"))
    x = np.zeros(op.n)
    i = op.index(node)
    assert i is not None
    x[i] = 1.0
    y = op.apply(x)
    return {n: round(float(y[j]), 12) for j, n in enumerate(op.nodes) if y[j]}


def test_a_compiled_matrix_is_patched_when_an_edge_goes() -> None:
    engine = TrustEngine()
    engine.add(aid("ab"), rating("A", "B", 5))
    engine.add(aid("ac"), rating("A", "C", 5))
    engine.add(aid("ca"), rating("C", "A", 5))
    assert _operator_row(engine, C, A) == {B: 0.5, C: 0.5}  # compiled now
    engine.set_status(aid("ab"), "revoked")  # the only claim on A -> B: the edge goes
    assert _operator_row(engine, C, A) == {C: 1.0}


def test_the_evaluators_own_marks_count_in_its_row() -> None:
    engine = TrustEngine()
    engine.add(aid("m"), mark("A", "B", 90))  # read only by A itself (own_mark_weight)
    engine.add(aid("r"), rating("A", "C", 10))
    engine.add(aid("cb"), rating("C", "B", 10))
    assert _operator_row(engine, C, A) == {C: 1.0}  # for C, A's mark is no edge
    assert _operator_row(engine, A, A) == {B: 0.5, C: 0.5}


def test_what_each_call_returns_for_the_cases_nothing_else_reaches() -> None:
    g = TrustGraph()
    assert g.add_all([(aid("1"), rating("A", "B", 5), "valid"),
                      (aid("2"), rating("A", "C", 5), "expired"),
                      (aid("3"), rating("B", "C", 5), "valid")]) == 2
    with pytest.raises(LocalProtocolError):
        g.set_status(aid("1"), "maybe")
    g.add(aid("no"), _acceptance(B, aid("1"), False, day=2))
    assert g.add(aid("yes-but-older"), _acceptance(B, aid("1"), True, day=1)) is False
    assert g.status(aid("1")) == "rejected-by-subject"
    g.add(aid("rev"), _revocation(B, aid("3")))
    assert g.set_status(aid("rev"), "expired") is False  # a revocation makes no edge itself
    with pytest.raises(LocalProtocolError):
        g.install_arrays("seller", None, None, 0)  # type: ignore[arg-type]
    view = g.view(A, "seller")
    assert A in view and did("Nobody") not in view
    assert view.claims(A, did("Nobody")) == ()


def test_a_claim_leaves_every_context_it_was_imported_into() -> None:
    g = TrustGraph()
    g.add(aid("rec"), recognition("E2", "E1", RULE, context="renter", source_context="seller"))
    g.add(aid("m"), mark("E1", "Alice", 75))
    assert g.graph("renter").has_edge(E1, ALICE)
    g.remove(aid("m"))
    assert not g.graph("renter").has_edge(E1, ALICE)
