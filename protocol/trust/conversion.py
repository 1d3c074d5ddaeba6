"""From assertions to edge weights: claims, scales, and Recognition rules as weight callables.

Every graph edge ``u -> v`` in a context carries the *claims* behind it (one per valid
assertion: a Rating, a TrustMark, a Referral or a Recognition issued by ``u`` about ``v``).
The edge's weight, a number in [-1, 1], depends on who looks:

- a Rating counts at its score mapped to the unit scale (:func:`to_unit`) for everyone;
- a Referral and a Recognition count at the policy's fixed weights for everyone;
- a TrustMark counts only for an evaluator that said how to read it: its issuer (at
  ``own_mark_weight``) or an evaluator holding a Recognition of the issuer for that mark,
  whose rule converts the mark's value or status (:class:`Reader`). Anyone else: hidden.

Recognitions are unilateral: E2's rule about E1 changes how *E2* reads E1's edges, and
nothing about how E1 (or anyone else) reads E2. A Recognition may map contexts ("their
seller read as our buyer"): the graph of context C then also holds the recognised issuer's
claims of the other context, hidden from everyone but the readers (see ``graph.py``).

When several claims share an edge, the most recent *evaluative* one (Rating, TrustMark as
read) wins; without any, the strongest *structural* one (Referral, Recognition).

The weight functions follow the networkx idiom: ``weight(u, v, data)`` returning ``None``
hides the edge (``networkx/algorithms/shortest_paths/weighted.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import LocalProtocolError
from ..model import Assertion, Rating, Recognition, Referral, Scale, TrustMark
from ..rules import ConversionRule
from ..sentences import rule_sentence
from .policy import TrustPolicy

__all__ = [
    "EVALUATIVE",
    "Claim",
    "Reader",
    "Resolution",
    "WeightFunction",
    "base_weight",
    "claim_from_assertion",
    "compile_readers",
    "from_unit",
    "make_weight",
    "resolve_claims",
    "to_unit",
]

EVALUATIVE = frozenset({"Rating", "TrustMark"})
WeightFunction = Callable[[str, str, Mapping[str, Any]], float | None]


def to_unit(scale: Scale, value: float) -> float:
    """Map ``value`` on ``scale`` to the unit scale, [-1, 1] or [0, 1].

    A *signed* scale (minimum below zero, maximum above) keeps zero neutral: positive values
    are divided by the maximum, negative ones by the minimum's magnitude (-10..10 gives
    value / 10). Any other scale (1..5 stars, 0..1) maps linearly onto [0, 1]: its minimum
    means "no trust", never distrust. Values outside the scale are clamped.
    """
    lo, hi = scale.minimum, scale.maximum
    x = min(max(value, lo), hi)
    if lo < 0 < hi:
        return x / hi if x >= 0 else x / -lo
    if hi <= 0:
        return (x - lo) / (hi - lo) - 1.0
    return (x - lo) / (hi - lo)


def from_unit(scale: Scale, unit: float) -> float:
    """The inverse of :func:`to_unit`: a unit value back on ``scale`` (clamped to it)."""
    lo, hi = scale.minimum, scale.maximum
    if lo < 0 < hi:
        u = min(max(unit, -1.0), 1.0)
        return u * hi if u >= 0 else u * -lo
    if hi <= 0:
        u = min(max(unit, -1.0), 0.0)
        return lo + (u + 1.0) * (hi - lo)
    u = min(max(unit, 0.0), 1.0)
    return lo + u * (hi - lo)


class Claim(NamedTuple):
    """One valid assertion as an edge of the trust graph.

    ``base`` is the weight anyone reads (``None``: only a reader can, as for marks);
    ``time`` orders claims on the same edge (seconds; later wins). Edge-list claims use
    ``kind="Rating"`` with the converted rating as ``base``. A named tuple: a million of
    them are built when an edge list is read.
    """

    id: str
    kind: str
    issuer: str
    subject: str
    context: str
    time: float
    base: float | None
    value: float | None = None
    status: str | None = None
    mark: str | None = None
    audience: str | None = None
    rule: ConversionRule | None = None
    scale: Scale | None = None
    reads_context: str | None = None
    label: str | None = None


def claim_from_assertion(assertion_id: str, assertion: Assertion,
                         policy: TrustPolicy) -> Claim | None:
    """The claim an assertion puts in the graph, or ``None`` for kinds that make no edge.

    Revocations and Acceptances change the status of other assertions instead; an assertion
    about its own issuer carries no trust and makes no edge either.
    """
    time = assertion.valid_from.timestamp()
    if isinstance(assertion, Rating):
        return Claim(id=assertion_id, kind="Rating", issuer=assertion.issuer,
                     subject=assertion.subject, context=_ctx(assertion), time=time,
                     base=to_unit(assertion.scale, assertion.score), value=assertion.score,
                     scale=assertion.scale)
    if isinstance(assertion, TrustMark):
        return Claim(id=assertion_id, kind="TrustMark", issuer=assertion.issuer,
                     subject=assertion.subject, context=_ctx(assertion), time=time, base=None,
                     value=assertion.value, status=assertion.status, mark=assertion.mark,
                     label=assertion.name)
    if isinstance(assertion, Referral):
        return Claim(id=assertion_id, kind="Referral", issuer=assertion.issuer,
                     subject=assertion.subject, context=_ctx(assertion), time=time,
                     base=policy.referral_weight, audience=assertion.audience)
    if isinstance(assertion, Recognition):
        return Claim(id=assertion_id, kind="Recognition", issuer=assertion.issuer,
                     subject=assertion.recognised, context=_ctx(assertion), time=time,
                     base=policy.recognition_weight, mark=assertion.mark,
                     rule=assertion.rule, scale=assertion.scale,
                     reads_context=assertion.reads_context, label=assertion.name)
    return None


def _ctx(assertion: Assertion) -> str:
    if assertion.context is None:  # the model requires one for these kinds
        raise LocalProtocolError(f"a {assertion.kind} without a context cannot be graphed")
    return assertion.context


@dataclass(frozen=True, slots=True)
class Reader:
    """An evaluator's compiled Recognition: how it reads one issuer's claims.

    ``mark`` set: reads that issuer's TrustMarks of that mark (value or status through the
    rule); ``mark`` None: reads its Ratings (their score through the rule). Only claims of
    ``reads_context`` are read. The rule's output, on the Recognition's scale, is mapped to
    the unit scale by :func:`to_unit`.
    """

    recognition: Claim
    sentence: str

    @property
    def issuer(self) -> str:
        return self.recognition.subject

    def applies(self, claim: Claim) -> bool:
        rec = self.recognition
        if claim.issuer != rec.subject or claim.context != rec.reads_context:
            return False
        if rec.mark is not None:
            return claim.kind == "TrustMark" and claim.mark == rec.mark
        return claim.kind == "Rating"

    def read(self, claim: Claim) -> float | None:
        """The unit weight this reader gives ``claim`` (``None``: the rule says nothing)."""
        rule, scale = self.recognition.rule, self.recognition.scale
        if rule is None or scale is None:  # pragma: no cover - built from a Recognition
            return None
        out = rule.apply(value=claim.value, status=claim.status)
        return None if out is None else to_unit(scale, out)


def _sentence(rec: Claim) -> str:
    """The rule in one sentence, the scale named once (:func:`~..sentences.rule_sentence`)."""
    rule, scale = rec.rule, rec.scale
    if rule is None or scale is None:  # pragma: no cover - built from a Recognition
        return ""
    return rule_sentence(reader=rec.issuer, read=rec.subject, rule=rule,
                         scale=(scale.minimum, scale.maximum), mark=rec.mark,
                         source_context=rec.reads_context, context=rec.context)


def compile_readers(recognitions: Iterable[Claim]) -> dict[str, tuple[Reader, ...]]:
    """Group an evaluator's Recognition claims by the issuer they read.

    Mark-specific readers come before rating readers, then the most recent first, so the
    first applicable reader is the most specific and the latest word.
    """
    out: dict[str, list[Reader]] = {}
    ordered = sorted(recognitions, key=lambda c: (c.mark is None, -c.time, c.id))
    for rec in ordered:
        if rec.kind != "Recognition":
            raise LocalProtocolError("compile_readers takes Recognition claims")
        out.setdefault(rec.subject, []).append(Reader(recognition=rec, sentence=_sentence(rec)))
    return {k: tuple(v) for k, v in out.items()}


@dataclass(frozen=True, slots=True)
class Resolution:
    """Which claim decided an edge's weight for an evaluator, and through which reader."""

    weight: float
    claim: Claim
    reader: Reader | None


def _read_claim(claim: Claim, context: str, evaluator: str | None,
                readers: Mapping[str, tuple[Reader, ...]],
                policy: TrustPolicy | None) -> tuple[float | None, Reader | None]:
    for reader in readers.get(claim.issuer, ()):
        if reader.applies(claim):
            return reader.read(claim), reader
    if claim.context != context:  # imported for a reader: nobody else sees it
        return None, None
    if claim.kind == "TrustMark":
        if evaluator is not None and claim.issuer == evaluator and policy is not None:
            return policy.own_mark_weight, None
        return None, None
    return claim.base, None


def resolve_claims(claims: Iterable[Claim], context: str, *, evaluator: str | None = None,
                   readers: Mapping[str, tuple[Reader, ...]] | None = None,
                   policy: TrustPolicy | None = None) -> Resolution | None:
    """The deciding claim of an edge: latest evaluative claim, else strongest structural one.

    With no evaluator and no readers this is the evaluator-independent *base* reading.
    """
    readers = readers or {}
    best_eval: tuple[tuple[float, str], Resolution] | None = None
    best_struct: tuple[tuple[float, str], Resolution] | None = None
    for claim in claims:
        weight, reader = _read_claim(claim, context, evaluator, readers, policy)
        if weight is None:
            continue
        res = Resolution(weight=weight, claim=claim, reader=reader)
        if claim.kind in EVALUATIVE:
            key = (claim.time, claim.id)
            if best_eval is None or key > best_eval[0]:
                best_eval = (key, res)
        else:
            key = (weight, claim.id)
            if best_struct is None or key > best_struct[0]:
                best_struct = (key, res)
    if best_eval is not None:
        return best_eval[1]
    return best_struct[1] if best_struct is not None else None


def base_weight(claims: Sequence[Claim], context: str) -> float | None:
    """The weight everyone reads on an edge (``None``: hidden unless an evaluator reads it)."""
    if len(claims) == 1:  # the common case, kept fast for bulk loads
        only = claims[0]
        if only.context == context and only.kind != "TrustMark":
            return only.base
    res = resolve_claims(claims, context)
    return None if res is None else res.weight


def make_weight(context: str, evaluator: str, readers: Mapping[str, tuple[Reader, ...]],
                policy: TrustPolicy) -> WeightFunction:
    """A networkx weight callable for ``evaluator`` in ``context``.

    Edges out of the evaluator and out of the issuers it reads are resolved with its own
    rules; every other edge uses the cached base weight ``data["w"]``. ``None`` hides an edge.
    """
    special = frozenset(readers) | {evaluator}

    def weight(u: str, v: str, data: Mapping[str, Any]) -> float | None:
        if u in special:
            res = resolve_claims(data["claims"], context, evaluator=evaluator,
                                 readers=readers, policy=policy)
            return None if res is None else res.weight
        w: float | None = data.get("w")
        return w

    return weight
