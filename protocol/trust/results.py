"""What the engine answers: :class:`TrustResult` (one score, explained), :class:`RankResult`
(a ranking), their JSON forms, and the layers (specs/trust.md section 3.9) they record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import RemoteProtocolError
from ..model import Scale
from .accountability import Penalty
from .explain import TrustPath
from .negative import Distrust

__all__ = ["DISTRUST_LAYERS", "RankEntry", "RankResult", "TrustResult", "check_layers"]

#: The distrust layer: ``one-hop`` (specs/trust.md section 4) or ``none``.
DISTRUST_LAYERS = ("one-hop", "none")
_DEFAULT_LAYERS: dict[str, str] = {"distrust": "one-hop", "penalty": "on"}


def check_layers(distrust: str, penalty: bool) -> dict[str, str]:
    """The layers as recorded in results; an unknown value is refused."""
    if distrust not in DISTRUST_LAYERS:
        raise RemoteProtocolError(f"unknown distrust layer {distrust!r}: expected one of "
                                  f"{', '.join(DISTRUST_LAYERS)}")
    if not isinstance(penalty, bool):
        raise RemoteProtocolError("penalty must be true or false")
    return {"distrust": distrust, "penalty": "on" if penalty else "off"}


@dataclass(frozen=True)
class TrustResult:
    """The answer to ``trust(source, target, context, algorithm)``.

    ``value`` is on the unit scale ([-1, 1] for the path metrics and fairness; a
    probability for ``ppr``/``eigentrust``; 1 or 0 for ``advogato``), after distrust and
    referral penalty; ``score`` is the same on ``scale`` (the evaluator's own) when the
    algorithm has one, else equal to ``value``. ``raw`` is the algorithm's own figure,
    before the layers (``layers``: ``distrust`` and ``penalty`` as used). ``None``: no
    opinion (no path).
    """

    source: str
    target: str
    context: str
    algorithm: str
    score: float | None
    value: float | None
    scale: Scale | None
    confidence: float
    distrust: Distrust
    penalty: Penalty
    paths: tuple[TrustPath, ...]
    details: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    raw: float | None = None
    layers: Mapping[str, str] = field(default_factory=lambda: dict(_DEFAULT_LAYERS))

    def to_json(self) -> dict[str, Any]:
        """The JSON form served by ``GET /trust`` and printed by ``confiance trust --json``."""
        return {
            "source": self.source,
            "target": self.target,
            "context": self.context,
            "algorithm": self.algorithm,
            "score": num(self.score),
            "value": num(self.value),
            "raw": num(self.raw),
            "layers": dict(self.layers),
            "scale": self.scale.to_json() if self.scale is not None else None,
            "confidence": num(self.confidence),
            "distrust": {"value": num(self.distrust.value), "direct": self.distrust.direct,
                         "sources": [{"node": n, "weight": num(w)}
                                     for n, w in self.distrust.sources]},
            "penalty": {"value": num(self.penalty.value),
                        "referrals": [o.to_json() for o in self.penalty.referrals]},
            "paths": [p.to_json() for p in self.paths],
            "details": dict(self.details),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class RankEntry:
    """One ranked node: ``score`` after the layers, ``raw`` the algorithm's own figure."""

    node: str
    score: float
    raw: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "score": num(self.score),
                "raw": num(self.score if self.raw is None else self.raw)}


@dataclass(frozen=True)
class RankResult:
    """The ``top`` nodes ``source`` trusts most in ``context`` by ``algorithm``."""

    source: str
    context: str
    algorithm: str
    entries: tuple[RankEntry, ...]
    details: Mapping[str, Any] = field(default_factory=dict)
    layers: Mapping[str, str] = field(default_factory=lambda: dict(_DEFAULT_LAYERS))

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "context": self.context, "algorithm": self.algorithm,
                "layers": dict(self.layers), "entries": [e.to_json() for e in self.entries],
                "details": dict(self.details)}


def num(x: float | None) -> float | None:
    return None if x is None else float(f"{x:.12g}")
