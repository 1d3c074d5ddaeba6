"""Peer scoring in the gossipsub v1.1 spirit: reward useful work, punish floods and garbage.

Each recognised peer has decaying counters:

- **first deliveries**: payloads that were new to us (useful work), capped so that a peer
  cannot bank unlimited credit;
- **duplicates**: payloads we already held that the peer pushed although we had pruned it
  (a flood, or a peer ignoring prunes); honest races produce some, so only those beyond an
  allowance *and* beyond ``duplicate_first_ratio`` times the peer's first deliveries count
  (a replayer delivers nothing new; a busy honest peer delivers far more than it repeats);
- **invalid**: documents that failed verification (never stored, never forwarded);
- **violations**: messages that broke the protocol (:class:`GossipError`).

The score is ``w_first * min(first, cap) + w_dup * excess_dup**2 + w_invalid * invalid**2
+ w_violation * violations**2`` with ``excess_dup = max(0, duplicates - allowance -
ratio * first)`` (negative weights on the penalties; squares, as in
gossipsub's P4, make a burst cost more than a trickle). Counters decay with a half-life,
so an old mistake is forgiven. Below ``throttle_threshold`` a peer is **throttled** (we stop
pushing to it and accept only a small budget from it); crossing ``drop_threshold`` **drops**
it: sticky until an operator reinstates it, and shown in ``peers list``.

References
----------
.. [1] D. Vyzovitis et al., "GossipSub: Attack-Resilient Message Propagation in the
       Filecoin and ETH2.0 Networks", 2020, arXiv:2007.02754 (peer scoring, section 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from ..errors import LocalProtocolError

__all__ = ["PeerScore", "PeerStatus", "ScoreParams", "Scoreboard"]


class PeerStatus(Enum):
    """What the node does with a peer, from its score."""

    GOOD = "good"
    THROTTLED = "throttled"
    DROPPED = "dropped"


@dataclass(frozen=True, kw_only=True)
class ScoreParams:
    """Weights, decay and thresholds (seconds for times)."""

    first_weight: float = 1.0
    first_cap: float = 100.0
    duplicate_weight: float = -0.05
    duplicate_allowance: float = 50.0
    duplicate_first_ratio: float = 1.0
    invalid_weight: float = -10.0
    violation_weight: float = -20.0
    half_life: float = 600.0
    decay_to_zero: float = 0.01
    throttle_threshold: float = -20.0
    drop_threshold: float = -100.0

    def __post_init__(self) -> None:
        if (self.first_weight < 0 or self.duplicate_weight > 0 or self.invalid_weight > 0
                or self.violation_weight > 0):
            raise LocalProtocolError("rewards are >= 0 and penalties <= 0")
        if (self.half_life <= 0 or self.first_cap < 0 or self.duplicate_allowance < 0
                or self.duplicate_first_ratio < 0):
            raise LocalProtocolError("half_life > 0; first_cap, duplicate_allowance and "
                                     "duplicate_first_ratio >= 0")
        if not self.drop_threshold < self.throttle_threshold < 0:
            raise LocalProtocolError("need drop_threshold < throttle_threshold < 0")


DEFAULT_PARAMS: Final = ScoreParams()


class PeerScore:
    """Decaying counters of one peer; times are seconds on the caller's monotonic clock."""

    def __init__(self, params: ScoreParams = DEFAULT_PARAMS) -> None:
        self.params: Final = params
        self.first = 0.0
        self.duplicates = 0.0
        self.invalid = 0.0
        self.violations = 0.0
        self.updated_at: float | None = None
        self.dropped = False

    def _decay(self, now: float) -> None:
        if self.updated_at is not None and now > self.updated_at:
            factor = 0.5 ** ((now - self.updated_at) / self.params.half_life)
            for name in ("first", "duplicates", "invalid", "violations"):
                value = getattr(self, name) * factor
                setattr(self, name, 0.0 if value < self.params.decay_to_zero else value)
        if self.updated_at is None or now > self.updated_at:
            self.updated_at = now

    def _record(self, name: str, count: float, now: float) -> PeerStatus:
        if count < 0:
            raise LocalProtocolError("counts are non-negative")
        self._decay(now)
        setattr(self, name, getattr(self, name) + count)
        return self.status(now)

    def record_first(self, now: float, count: float = 1) -> PeerStatus:
        """Payloads from this peer that were new to us."""
        return self._record("first", count, now)

    def record_duplicate(self, now: float, count: float = 1) -> PeerStatus:
        """Payloads this peer pushed although we held them and had pruned it."""
        return self._record("duplicates", count, now)

    def record_invalid(self, now: float, count: float = 1) -> PeerStatus:
        """Documents from this peer that failed verification."""
        return self._record("invalid", count, now)

    def record_violation(self, now: float, count: float = 1) -> PeerStatus:
        """Messages from this peer that broke the protocol."""
        return self._record("violations", count, now)

    def score(self, now: float) -> float:
        self._decay(now)
        p = self.params
        excess = max(0.0, self.duplicates - p.duplicate_allowance
                     - p.duplicate_first_ratio * self.first)
        return (p.first_weight * min(self.first, p.first_cap)
                + p.duplicate_weight * excess**2
                + p.invalid_weight * self.invalid**2
                + p.violation_weight * self.violations**2)

    def status(self, now: float) -> PeerStatus:
        """GOOD, THROTTLED or DROPPED (sticky once reached)."""
        if self.dropped:
            return PeerStatus.DROPPED
        value = self.score(now)
        if value < self.params.drop_threshold:
            self.dropped = True
            return PeerStatus.DROPPED
        if value < self.params.throttle_threshold:
            return PeerStatus.THROTTLED
        return PeerStatus.GOOD

    def to_json(self, now: float) -> dict[str, object]:
        """A summary for ``peers list`` and the admin API."""
        return {"score": round(self.score(now), 3), "status": self.status(now).value,
                "first_deliveries": round(self.first, 3),
                "duplicates": round(self.duplicates, 3), "invalid": round(self.invalid, 3),
                "violations": round(self.violations, 3)}


class Scoreboard:
    """The scores of all peers of a node."""

    def __init__(self, params: ScoreParams = DEFAULT_PARAMS) -> None:
        self.params: Final = params
        self._scores: dict[str, PeerScore] = {}

    def __getitem__(self, peer: str) -> PeerScore:
        score = self._scores.get(peer)
        if score is None:
            score = self._scores[peer] = PeerScore(self.params)
        return score

    def __contains__(self, peer: object) -> bool:
        return peer in self._scores

    def status(self, peer: str, now: float) -> PeerStatus:
        return self[peer].status(now)

    def reinstate(self, peer: str) -> None:
        """Operator decision: forget a peer's history (and its dropped state)."""
        self._scores.pop(peer, None)

    def forget(self, peer: str) -> None:
        self._scores.pop(peer, None)

    def to_json(self, now: float) -> dict[str, dict[str, object]]:
        return {peer: score.to_json(now) for peer, score in sorted(self._scores.items())}
