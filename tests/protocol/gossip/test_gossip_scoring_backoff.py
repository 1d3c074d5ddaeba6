"""Peer scoring (throttle, then drop) and exponential backoff with jitter."""

from __future__ import annotations

import random

import pytest

from confiance.protocol.errors import LocalProtocolError
from confiance.protocol.gossip import (
    Backoff,
    BackoffPolicy,
    PeerScore,
    PeerStatus,
    Scoreboard,
    ScoreParams,
)


def test_useful_peer_stays_good_and_credit_is_capped() -> None:
    score = PeerScore()
    assert score.record_first(0, 500) is PeerStatus.GOOD
    assert score.score(0) == pytest.approx(100.0)


def test_invalid_floods_throttle_then_drop_and_drop_is_sticky() -> None:
    score = PeerScore()
    assert score.record_invalid(0, 1) is PeerStatus.GOOD  # -10
    assert score.record_invalid(0, 1) is PeerStatus.THROTTLED  # -40
    assert score.record_invalid(0, 2) is PeerStatus.DROPPED  # -160
    assert score.status(10**9) is PeerStatus.DROPPED  # decayed to zero, still dropped
    assert score.to_json(0)["status"] == "dropped"


def test_earned_credit_delays_but_does_not_prevent_a_drop() -> None:
    score = PeerScore()
    score.record_first(0, 100)
    assert score.record_invalid(0, 3) is PeerStatus.GOOD  # 100 - 90
    assert score.record_invalid(0, 1) is PeerStatus.THROTTLED  # 100 - 160
    assert score.record_invalid(0, 1) is PeerStatus.DROPPED  # 100 - 250


def test_duplicates_beyond_the_allowance_and_violations_cost() -> None:
    score = PeerScore()
    assert score.record_duplicate(0, 50) is PeerStatus.GOOD
    assert score.record_duplicate(0, 25) is PeerStatus.THROTTLED  # -0.05 * 25**2 = -31
    busy = PeerScore()  # an honest busy peer: far more new payloads than repeats
    busy.record_first(0, 1000)
    assert busy.record_duplicate(0, 400) is PeerStatus.GOOD
    assert busy.score(0) == pytest.approx(100.0)
    assert busy.record_duplicate(0, 800) is PeerStatus.DROPPED  # 100 - 0.05 * 150**2
    other = PeerScore()
    assert other.record_violation(0) is PeerStatus.GOOD  # -20: at the threshold, not below
    assert other.record_violation(0) is PeerStatus.THROTTLED  # -80
    assert other.record_violation(0) is PeerStatus.DROPPED  # -180


def test_penalties_decay_with_the_half_life() -> None:
    params = ScoreParams(half_life=100.0)
    score = PeerScore(params)
    score.record_invalid(0, 2)  # -40: throttled
    assert score.status(0) is PeerStatus.THROTTLED
    assert score.invalid == pytest.approx(2.0)
    assert score.status(100) is PeerStatus.GOOD  # invalid = 1 -> -10
    assert score.invalid == pytest.approx(1.0)
    score.status(50)  # a clock going backwards does not un-decay
    assert score.invalid == pytest.approx(1.0)
    score.status(5000)
    assert score.invalid == 0.0


def test_scoreboard() -> None:
    board = Scoreboard()
    board["p"].record_invalid(0, 5)
    assert "p" in board and board.status("p", 0) is PeerStatus.DROPPED
    assert board.to_json(0)["p"]["status"] == "dropped"
    board.reinstate("p")
    assert board.status("p", 0) is PeerStatus.GOOD
    board.forget("p")
    assert "p" not in board


def test_score_params_and_counts_are_validated() -> None:
    for bad in ({"invalid_weight": 1.0}, {"half_life": 0}, {"throttle_threshold": -200.0},
                {"first_weight": -1.0}, {"duplicate_first_ratio": -1.0}):
        with pytest.raises(LocalProtocolError):
            ScoreParams(**bad)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        PeerScore().record_first(0, -1)


def test_backoff_grows_exponentially_up_to_the_cap_with_jitter() -> None:
    policy = BackoffPolicy(base=1.0, factor=2.0, cap=60.0, jitter=0.5)
    rng = random.Random(3)
    for failures, raw in [(1, 1.0), (2, 2.0), (5, 16.0), (7, 60.0), (10_000, 60.0)]:
        delays = [policy.delay(failures, rng) for _ in range(200)]
        assert raw / 2 <= min(delays) and max(delays) <= raw
        assert max(delays) - min(delays) > raw / 4  # actually jittered
    with pytest.raises(LocalProtocolError):
        policy.delay(0, rng)


def test_backoff_tracker_blocks_until_due_and_resets_on_success() -> None:
    b = Backoff(BackoffPolicy(base=2.0, jitter=0.0))
    rng = random.Random(0)
    assert b.ready(0)
    assert b.failure(10, rng) == 2.0 and not b.ready(11) and b.ready(12)
    assert b.failure(12, rng) == 4.0 and b.failures == 2
    b.success()
    assert b.ready(12) and b.failure(12, rng) == 2.0


def test_backoff_policy_is_validated() -> None:
    for bad in ({"base": 0}, {"base": 10, "cap": 5}, {"factor": 0.5}, {"jitter": 2}):
        with pytest.raises(LocalProtocolError):
            BackoffPolicy(**bad)  # type: ignore[arg-type]
    assert BackoffPolicy(factor=1e300).delay(5, random.Random(1)) <= 300
