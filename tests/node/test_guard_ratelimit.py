"""The rate limiter's guards, each where it bites (issue 14).

The limiter takes its clock as a parameter, so these tests drive time by hand: exact
figures, no sleeping. ``test_bad_input.py`` shows the same limiter refusing a flood over
HTTP (429 ``rate-limited``) while other clients carry on.
"""

from __future__ import annotations

import pytest

from confiance.node.config import RateLimit
from confiance.node.ratelimit import RateLimiter, client_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limiter(per_second: float = 2, burst: int = 3, max_clients: int = 10
             ) -> tuple[RateLimiter, Clock]:
    clock = Clock()
    return RateLimiter(RateLimit(per_second=per_second, burst=burst), max_clients=max_clients,
                       clock=clock), clock


def _allowed(limiter: RateLimiter, client: str, tries: int) -> int:
    return sum(limiter.acquire(client) == 0.0 for _ in range(tries))


def test_a_new_client_gets_exactly_its_burst() -> None:
    limiter, _ = _limiter(burst=3)
    assert _allowed(limiter, "a", 10) == 3


def test_an_idle_client_never_exceeds_its_burst() -> None:
    limiter, clock = _limiter(per_second=2, burst=3)
    assert _allowed(limiter, "a", 3) == 3
    clock.now += 3600  # an hour idle: 7,200 tokens' worth of time, capped at the burst
    assert _allowed(limiter, "a", 10) == 3


def test_tokens_refill_at_the_rate_and_the_wait_says_when() -> None:
    limiter, clock = _limiter(per_second=2, burst=3)
    assert _allowed(limiter, "a", 3) == 3
    assert limiter.acquire("a") == pytest.approx(0.5)  # one token needs half a second
    clock.now += 0.25  # half a token
    assert limiter.acquire("a") == pytest.approx(0.25)
    clock.now += 0.25  # exactly one token
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") == pytest.approx(0.5)
    clock.now += 1.0  # two tokens
    assert _allowed(limiter, "a", 5) == 2


def test_a_refused_request_takes_no_token() -> None:
    limiter, clock = _limiter(per_second=1, burst=1)
    assert limiter.acquire("a") == 0.0
    for _ in range(5):  # refusals do not push the next token further away
        assert limiter.acquire("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.acquire("a") == 0.0


def test_clients_have_separate_buckets() -> None:
    limiter, _ = _limiter(burst=2)
    assert _allowed(limiter, "a", 5) == 2
    assert _allowed(limiter, "b", 5) == 2


def test_the_least_recently_seen_client_is_evicted_first() -> None:
    limiter, _ = _limiter(burst=2, max_clients=2)
    assert _allowed(limiter, "a", 2) == 2  # a: empty
    assert _allowed(limiter, "b", 2) == 2  # b: empty
    assert limiter.acquire("a") > 0  # a seen again: b is now the least recent
    assert _allowed(limiter, "c", 1) == 1  # a third client: b goes, a stays
    assert len(limiter) == 2
    assert limiter.acquire("a") > 0  # a kept its (empty) bucket
    assert _allowed(limiter, "b", 2) == 2  # b comes back with a full one


def test_memory_holds_exactly_max_clients() -> None:
    limiter, _ = _limiter(max_clients=3)
    for client in "abc":
        limiter.acquire(client)
    assert len(limiter) == 3
    limiter.acquire("d")
    assert len(limiter) == 3


def test_a_disabled_limit_lets_everything_through() -> None:
    for limit in (RateLimit(per_second=0, burst=5), RateLimit(per_second=5, burst=0)):
        limiter = RateLimiter(limit, clock=Clock())
        assert _allowed(limiter, "a", 100) == 100
        assert len(limiter) == 0


@pytest.mark.parametrize(("address", "key"), [
    ("203.0.113.9", "203.0.113.9"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
    ("", "unknown"),
    (None, "unknown"),
    ("not an address " + "x" * 100, ("not an address " + "x" * 100)[:64]),
])
def test_client_keys(address: str | None, key: str) -> None:
    assert client_key(address) == key
