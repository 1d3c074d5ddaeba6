"""Transitive trust over contextual graphs: feed assertions, ask ``trust(...)``, get reasons.

The public API of ``confiance.protocol.trust`` (sans-IO: no files, no clock):

- :class:`TrustEngine` (``engine.py``): ``add(id, assertion, status)``, ``set_status``,
  ``remove``, ``refresh(now)``; ``trust(source, target, context, algorithm)`` ->
  :class:`TrustResult` (score on the evaluator's scale, confidence, distrust, referral
  penalty, strongest paths with each hop's assertion id and rule); ``rank(...)``;
- :class:`TrustGraph` and :class:`EvaluatorView` (``graph.py``): the contextual digraphs;
- the algorithms on plain callables: :func:`moletrust`, :func:`tidaltrust`,
  :func:`pagerank_reference`, :func:`pagerank_sparse`, :func:`advogato_admission`,
  :func:`fairness_goodness`, :func:`distrust`, :func:`referral_penalty` (with
  :func:`judge_referral`, and :class:`KeptJudgement` for erased referrals),
  :func:`moletrust_trustlet` (Trustlet's variant of MoleTrust);
- many at once: :func:`pagerank_batch` (one sparse product for many sources),
  :func:`fairness_leave_one_out` (every edge refitted without itself), and the literature's
  baselines :func:`ebay_predictions` and :func:`reciprocal_predictions`;
- :func:`load_edge_list` and :class:`EdgeListParser` (``edgelist.py``) for SNAP-style
  signed edge lists, and :func:`load_edge_arrays` (``edgearrays.py``), the same read with
  numpy into an :class:`ArrayAdjacency` and compiled matrices (no object per edge).

``specs/trust.md`` is the normative description.
"""

from .accountability import Penalty, ReferralOutcome, judge_referral, referral_penalty
from .advogato import AdvogatoResult, advogato_admission, sybil_bound
from .arraygraph import ArrayAdjacency
from .baselines import ebay_predictions, reciprocal_predictions
from .batch import BatchResult, pagerank_batch
from .conversion import Claim, Reader, Resolution, from_unit, make_weight, to_unit
from .edgearrays import EdgeArrays, install_edge_arrays, load_edge_arrays, parse_edge_arrays
from .edgelist import (
    DEFAULT_EDGE_LIMITS,
    DEFAULT_RATING_RULE,
    DEFAULT_SIGN_RULE,
    Edge,
    EdgeListLimits,
    EdgeListParser,
    LoadReport,
    load_edge_list,
)
from .engine import ALGORITHMS, DEFAULT_ALGORITHMS, TrustEngine
from .explain import Hop, TrustPath
from .fairloo import LeaveOneOut, fairness_leave_one_out
from .fairness import FairnessResult, fairness_goodness
from .graph import STATUSES, EvaluatorView, TrustGraph
from .many import PprBatch
from .negative import Distrust, distrust
from .pagerank import PageRankResult, pagerank_reference, pagerank_sparse
from .pathtrust import moletrust, moletrust_trustlet, tidaltrust
from .policy import ADVOGATO_CAPACITIES, DEFAULT_POLICY, TrustPolicy
from .results import DISTRUST_LAYERS, RankEntry, RankResult, TrustResult
from .withdrawn import ENDINGS, ErasedReferral, KeptJudgement, ReferralWindow

__all__ = [
    "ADVOGATO_CAPACITIES",
    "ALGORITHMS",
    "DEFAULT_ALGORITHMS",
    "DEFAULT_EDGE_LIMITS",
    "DEFAULT_POLICY",
    "DEFAULT_RATING_RULE",
    "DEFAULT_SIGN_RULE",
    "DISTRUST_LAYERS",
    "ENDINGS",
    "STATUSES",
    "AdvogatoResult",
    "ArrayAdjacency",
    "BatchResult",
    "Claim",
    "Distrust",
    "Edge",
    "EdgeArrays",
    "EdgeListLimits",
    "EdgeListParser",
    "ErasedReferral",
    "EvaluatorView",
    "FairnessResult",
    "Hop",
    "KeptJudgement",
    "LeaveOneOut",
    "LoadReport",
    "PageRankResult",
    "Penalty",
    "PprBatch",
    "RankEntry",
    "RankResult",
    "Reader",
    "ReferralOutcome",
    "ReferralWindow",
    "Resolution",
    "TrustEngine",
    "TrustGraph",
    "TrustPath",
    "TrustPolicy",
    "TrustResult",
    "advogato_admission",
    "distrust",
    "ebay_predictions",
    "fairness_goodness",
    "fairness_leave_one_out",
    "from_unit",
    "install_edge_arrays",
    "judge_referral",
    "load_edge_arrays",
    "load_edge_list",
    "make_weight",
    "moletrust",
    "moletrust_trustlet",
    "pagerank_batch",
    "pagerank_reference",
    "pagerank_sparse",
    "parse_edge_arrays",
    "reciprocal_predictions",
    "referral_penalty",
    "sybil_bound",
    "tidaltrust",
    "to_unit",
]
