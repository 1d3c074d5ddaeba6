"""Every evaluator's scores of every node, by the engine, with the layers of the scenario.

:class:`Scorer` asks the :class:`~confiance.protocol.trust.TrustEngine` only: personalized
PageRank for all evaluators at once (:meth:`~confiance.protocol.trust.TrustEngine.ppr_many`,
one batch), then the layers (:meth:`~confiance.protocol.trust.TrustEngine.adjust`); the
other algorithms through :meth:`~confiance.protocol.trust.TrustEngine.scores`; Advogato's
admission with its capacities (for the Sybil bound). Missing figures (no path, not
reached) are absent from the dictionaries; :data:`FLOOR` says what they count as when
ranking (a probability of 0 for the random walks, below every value for the path metrics).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..trust import TrustEngine, advogato_admission
from ..trust.advogato import AdvogatoResult

__all__ = ["FLOOR", "Scorer"]

#: What a missing figure counts as when honest nodes and attackers are ranked together.
FLOOR = {"ppr": 0.0, "eigentrust": 0.0, "advogato": 0.0, "moletrust": -2.0,
         "moletrust-trustlet": -2.0, "fairness": -2.0}


class Scorer:
    """Scores by each algorithm for a list of evaluators, on one engine state."""

    def __init__(self, engine: TrustEngine, context: str, *, distrust: str = "one-hop",
                 penalty: bool = True, level: float = 0.0) -> None:
        self.engine = engine
        self.context = context
        self.distrust = distrust
        self.penalty = penalty
        self.level = level
        #: Advogato's admissions of the last :meth:`scores` call, by evaluator.
        self.admitted: dict[str, AdvogatoResult[Any]] = {}

    def scores(self, algorithm: str, evaluators: Sequence[str]
               ) -> Iterator[dict[str, float]]:
        """Per evaluator, in order, ``{node: score}`` after the layers (one at a time: on a
        large graph a dictionary per evaluator is large)."""
        e = self.engine
        if algorithm == "ppr":
            batch = e.ppr_many(evaluators, self.context)
            for j, source in enumerate(evaluators):
                if batch.column[j] < 0:
                    yield {v: s for v, (s, _) in e.scores(
                        source, self.context, "ppr", distrust=self.distrust,
                        penalty=self.penalty).items()}
                    continue
                raws = batch.vector(j)
                raws.pop(source, None)
                yield e.adjust(source, raws, self.context, "ppr", distrust=self.distrust,
                               penalty=self.penalty)
            return
        if algorithm == "advogato":  # the layers leave admission alone
            self.admitted = {}
            for source in evaluators:
                self.admitted[source] = got = self.admission(source)
                yield {v: 1.0 for v in got.accepted if v != source}
            return
        for source in evaluators:
            yield {v: s for v, (s, _) in e.scores(
                source, self.context, algorithm, level=self.level, distrust=self.distrust,
                penalty=self.penalty).items()}

    def admission(self, evaluator: str) -> AdvogatoResult[Any]:
        """Advogato's admission from ``evaluator`` (accepted set and capacities)."""
        view = self.engine.graph.view(evaluator, self.context)
        return advogato_admission(view.successors, [evaluator], level=self.level,
                                  capacities=self.engine.policy.advogato_capacities)
