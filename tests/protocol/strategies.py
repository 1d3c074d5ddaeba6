"""Hypothesis strategies for Confiance assertions of every kind (built from the model)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from confiance.protocol.ids import id_from_digest
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import (
    Acceptance,
    Assertion,
    Rating,
    Recognition,
    Referral,
    Revocation,
    Scale,
    TrustMark,
)
from confiance.protocol.rules import CategoricalRule, LinearRule, ThresholdRule

#: issuers with their keys (seeds fixed so failures reproduce)
KEYS = [KeyPair.generate(bytes([n]) * 32) for n in (1, 2, 3)]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

_name_chars = st.characters(codec="utf-8", categories=("L", "N", "P", "Zs"),
                            exclude_characters="\u2028\u2029")
texts = st.text(_name_chars, min_size=1, max_size=40).filter(lambda t: t.strip() != "")
short_texts = st.text(_name_chars, min_size=1, max_size=20).filter(lambda t: t.strip() != "")
slugs = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,11}", fullmatch=True)
iris = st.one_of(
    st.builds(lambda s: f"did:example:{s}", slugs),
    st.builds(lambda h, p: f"https://{h}.example/{p}", slugs, slugs),
    st.builds(lambda s: f"did:key:z6Mk{s}", st.from_regex(r"[1-9A-HJ-NP-Za-km-z]{8}",
                                                          fullmatch=True)),
)
trust_contexts = st.one_of(slugs, st.builds(lambda s: f"https://contexts.example/{s}", slugs))
content_ids = st.binary(min_size=32, max_size=32).map(id_from_digest)
numbers = st.one_of(st.integers(-1000, 1000),
                    st.floats(-1000, 1000, allow_nan=False).map(lambda x: round(x, 3)))
timestamps = st.integers(0, 10**7).map(lambda s: EPOCH + timedelta(seconds=s))


@st.composite
def scales(draw: st.DrawFn) -> Scale:
    low = draw(st.integers(-10, 5))
    high = low + draw(st.integers(1, 10))
    values = draw(st.lists(st.integers(low, high), max_size=3, unique=True))
    return Scale(minimum=low, maximum=high,
                 labels=tuple((v, draw(short_texts)) for v in values))


@st.composite
def rules(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["linear", "threshold", "categorical"]))
    if kind == "linear":
        lo = draw(st.integers(0, 50))
        return LinearRule(source_min=lo, source_max=lo + draw(st.integers(1, 50)),
                          target_min=0, target_max=1, clamp=draw(st.booleans()))
    if kind == "threshold":
        steps = draw(st.lists(st.integers(0, 100), min_size=1, max_size=3, unique=True))
        return ThresholdRule(thresholds=tuple((s, draw(st.sampled_from([0, 0.5, 1])))
                                              for s in steps))
    words = draw(st.lists(slugs, min_size=1, max_size=3, unique=True))
    return CategoricalRule(mapping=tuple((w, draw(st.sampled_from([0, 0.25, 1])))
                                         for w in words))


@st.composite
def common(draw: st.DrawFn, context_required: bool = True) -> dict[str, Any]:
    key = draw(st.sampled_from(KEYS))
    start = draw(timestamps)
    out: dict[str, Any] = {
        "issuer": key.did,
        "context": draw(trust_contexts) if context_required else draw(
            st.none() | trust_contexts),
        "valid_from": start,
        "valid_until": draw(st.none() | st.integers(10, 10**7).map(
            lambda s: start + timedelta(seconds=s))),
        "name": draw(st.none() | short_texts),
        "description": draw(st.none() | texts),
    }
    return out


@st.composite
def ratings(draw: st.DrawFn) -> Rating:
    scale = draw(scales())
    score = draw(st.integers(int(scale.minimum), int(scale.maximum)))
    return Rating(**draw(common()), subject=draw(iris), score=score, scale=scale,
                  comment=draw(st.none() | texts))


@st.composite
def trust_marks(draw: st.DrawFn) -> TrustMark:
    return TrustMark(**draw(common()), subject=draw(iris), mark=draw(iris),
                     status=draw(short_texts), value=draw(st.none() | numbers),
                     mark_version=draw(st.none() | slugs),
                     evidence=tuple(draw(st.lists(iris, max_size=2, unique=True))))


@st.composite
def referrals(draw: st.DrawFn) -> Referral:
    base = draw(common())
    subject = draw(iris.filter(lambda s: s != base["issuer"]))
    return Referral(**base, subject=subject, audience=draw(iris),
                    consent=draw(st.none() | content_ids), comment=draw(st.none() | texts))


@st.composite
def recognitions(draw: st.DrawFn) -> Recognition:
    base = draw(common())
    return Recognition(**base, recognised=draw(iris.filter(lambda s: s != base["issuer"])),
                       rule=draw(rules()), mark=draw(st.none() | iris),
                       source_context=draw(st.none() | trust_contexts),
                       scale=Scale(minimum=0, maximum=1))


@st.composite
def revocations(draw: st.DrawFn) -> Revocation:
    return Revocation(**draw(common(context_required=False)), target=draw(content_ids),
                      reason=draw(st.none() | texts))


@st.composite
def acceptances(draw: st.DrawFn) -> Acceptance:
    return Acceptance(**draw(common(context_required=False)), target=draw(content_ids),
                      accepted=draw(st.booleans()))


KIND_STRATEGIES = {
    "Rating": ratings(),
    "TrustMark": trust_marks(),
    "Referral": referrals(),
    "Recognition": recognitions(),
    "Revocation": revocations(),
    "Acceptance": acceptances(),
}
assertions: st.SearchStrategy[Assertion] = st.one_of(*KIND_STRATEGIES.values())


def key_for(assertion: Assertion) -> KeyPair:
    """The key of the assertion's issuer (issuers are drawn from :data:`KEYS`)."""
    return next(k for k in KEYS if k.did == assertion.issuer)
