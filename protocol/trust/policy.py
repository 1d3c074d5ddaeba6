"""The numbers a node chooses once: weights of the structural edges, the accountability figures,
and the algorithm defaults per use.

Everything here is normative text in ``specs/trust.md``; the defaults are what a node uses
unless its configuration says otherwise. A :class:`TrustPolicy` is a frozen value, so two
engines with equal policies give equal answers on equal assertions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import LocalProtocolError

__all__ = [
    "ADVOGATO_CAPACITIES",
    "DEFAULT_POLICY",
    "TrustPolicy",
]

#: Advogato's node capacities by distance from the seed (advogato.org/trust-metric.html):
#: the virtual seed node 800, then 200, 200, 50, 12, 4, 2, 1; anything farther 1.
ADVOGATO_CAPACITIES: tuple[int, ...] = (800, 200, 200, 50, 12, 4, 2, 1)


def _unit(name: str, value: float, *, low: float = 0.0) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value) or not low <= value <= 1:
        raise LocalProtocolError(f"{name} must lie in [{low:g}, 1], got {value!r}")
    return float(value)


@dataclass(frozen=True, kw_only=True)
class TrustPolicy:
    """Parameters of the trust engine (see ``specs/trust.md`` for each figure's meaning).

    Attributes
    ----------
    referral_weight:
        Weight of a Referral edge (the referrer vouches for the referred party): 0.5.
    recognition_weight:
        Weight of a Recognition edge (the recogniser reads the recognised issuer's marks,
        so trusts it as a source of marks in that context): 1.0.
    own_mark_weight:
        How an issuer reads its own TrustMark (issuing a mark is vouching): 1.0.
    damping:
        Personalized PageRank / EigenTrust damping factor: 0.85.
    tolerance:
        Guaranteed L1 distance to the exact PageRank vector: 1e-12.
    horizon:
        Path length limit of the path-based metrics: 3 hops.
    threshold:
        MoleTrust / TidalTrust propagation threshold on the unit scale: only nodes trusted
        at least this much pass trust on (Massa & Avesani used 0.6 on [0, 1]): 0.5.
    referral_penalty:
        Fraction of the referrer's standing lost per fully bad referral: 0.1.
    referral_penalty_cap:
        Most a referrer can lose at one audience in one context, whatever the number of bad
        referrals: 0.3.
    withdrawn_referral_days:
        How long a referral that stopped counting (revoked, expired, replaced, rejected by
        its subject, erased) keeps costing its referrer what it cost, from when it stopped:
        365 days.
    max_paths:
        Strongest paths listed in an explanation: 3.
    advogato_capacities:
        Capacities by distance from the seed for the Advogato metric.
    """

    referral_weight: float = 0.5
    recognition_weight: float = 1.0
    own_mark_weight: float = 1.0
    damping: float = 0.85
    tolerance: float = 1e-12
    horizon: int = 3
    threshold: float = 0.5
    referral_penalty: float = 0.1
    referral_penalty_cap: float = 0.3
    withdrawn_referral_days: float = 365.0
    max_paths: int = 3
    advogato_capacities: tuple[int, ...] = ADVOGATO_CAPACITIES

    def __post_init__(self) -> None:
        _unit("referral_weight", self.referral_weight)
        _unit("recognition_weight", self.recognition_weight)
        _unit("own_mark_weight", self.own_mark_weight)
        _unit("threshold", self.threshold)
        _unit("referral_penalty", self.referral_penalty)
        _unit("referral_penalty_cap", self.referral_penalty_cap)
        term = self.withdrawn_referral_days
        if not isinstance(term, int | float) or not 0 < term <= 36_500:
            raise LocalProtocolError("withdrawn_referral_days must lie in (0, 36500], "
                                     f"got {term!r}")
        if not 0 < self.damping < 1:
            raise LocalProtocolError(f"damping must lie in (0, 1), got {self.damping!r}")
        if not 0 < self.tolerance < 1:
            raise LocalProtocolError(f"tolerance must lie in (0, 1), got {self.tolerance!r}")
        if not 1 <= self.horizon <= 16:
            raise LocalProtocolError(f"horizon must lie in 1..16, got {self.horizon!r}")
        if not 0 <= self.max_paths <= 32:
            raise LocalProtocolError(f"max_paths must lie in 0..32, got {self.max_paths!r}")
        caps = self.advogato_capacities
        if not caps or any(not isinstance(c, int) or c < 1 for c in caps):
            raise LocalProtocolError("advogato_capacities must be positive integers")


DEFAULT_POLICY = TrustPolicy()
