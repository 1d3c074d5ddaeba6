"""Exponential backoff with jitter for unreachable peers (randomness passed in).

After the n-th consecutive failure a peer is not contacted again before
``min(cap, base * factor**(n-1))`` seconds, of which the fraction ``jitter`` is drawn at
random, so that many nodes that lost the same peer do not all retry in step ("equal
jitter" when ``jitter`` is 0.5). A success resets the count. One tracker per peer: a slow
peer never delays the others.

>>> import random
>>> b = Backoff(BackoffPolicy(base=1.0, factor=2.0, cap=60.0, jitter=0.0))
>>> [b.failure(now=0.0, rng=random.Random(1)) for _ in range(8)]
[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
>>> b.ready(now=59.0), b.ready(now=60.0)
(False, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from ..errors import LocalProtocolError

__all__ = ["Backoff", "BackoffPolicy", "RandomSource"]


class RandomSource(Protocol):
    """What backoff needs from ``random.Random``: a float in [0, 1)."""

    def random(self) -> float: ...


@dataclass(frozen=True, kw_only=True)
class BackoffPolicy:
    """Parameters of exponential backoff (seconds)."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if not (0 < self.base <= self.cap and self.factor >= 1 and 0 <= self.jitter <= 1):
            raise LocalProtocolError("backoff needs 0 < base <= cap, factor >= 1, "
                                     "0 <= jitter <= 1")

    def delay(self, failures: int, rng: RandomSource) -> float:
        """The wait after ``failures`` consecutive failures (``failures >= 1``)."""
        if failures < 1:
            raise LocalProtocolError("delay() needs at least one failure")
        exponent = min(failures - 1, 1024)
        try:
            raw = min(self.cap, self.base * self.factor**exponent)
        except OverflowError:
            raw = self.cap
        return raw * (1.0 - self.jitter) + raw * self.jitter * rng.random()


DEFAULT_POLICY: Final = BackoffPolicy()


class Backoff:
    """Per-peer retry state: consecutive failures and the earliest next attempt."""

    def __init__(self, policy: BackoffPolicy = DEFAULT_POLICY) -> None:
        self.policy: Final = policy
        self.failures = 0
        self.next_attempt = 0.0

    def ready(self, now: float) -> bool:
        """May we contact the peer at ``now``?"""
        return now >= self.next_attempt

    def failure(self, now: float, rng: RandomSource) -> float:
        """Record a failed attempt at ``now``; returns the delay before the next one."""
        self.failures += 1
        wait = self.policy.delay(self.failures, rng)
        self.next_attempt = now + wait
        return wait

    def success(self) -> None:
        """Record a success: the next failure starts again from ``base``."""
        self.failures = 0
        self.next_attempt = 0.0
