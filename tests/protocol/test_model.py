"""The assertion model: construction rules, document form, and round trips (hypothesis)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confiance.protocol.errors import LocalProtocolError, SchemaError
from confiance.protocol.model import (
    CONFIANCE_CONTEXT_URL,
    CREDENTIALS_V2_URL,
    KINDS,
    STATUS_PURPOSES,
    Acceptance,
    Assertion,
    Rating,
    Recognition,
    Referral,
    Revocation,
    Scale,
    StatusEntry,
    TrustMark,
    format_datetime,
    from_credential,
    parse_datetime,
    to_credential,
)
from confiance.protocol.rules import (
    CategoricalRule,
    ConversionRule,
    LinearRule,
    ThresholdRule,
)
from confiance.protocol.schemas import validate_document

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ISSUER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
CID = "ni:///sha-256;" + "c" * 43
COMMON: dict[str, Any] = {"issuer": ISSUER, "context": "seller", "valid_from": T0}


# -- strategies -----------------------------------------------------------------------------

_iri_tail = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._~/%", min_size=1, max_size=24)
iris = st.builds(lambda head, tail: head + tail,
                 st.sampled_from(["did:key:z6Mk", "did:web:", "https://", "urn:x:"]), _iri_tail)
content_ids = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                      min_size=43, max_size=43).map(lambda s: "ni:///sha-256;" + s)
context_names = st.from_regex(r"[a-z0-9][a-z0-9._\-]{0,20}", fullmatch=True)
contexts = context_names | iris
texts = st.text(st.characters(exclude_categories=("Cc", "Cs"), max_codepoint=0x2FFF)
                | st.sampled_from("\n\t"), min_size=1, max_size=40).filter(lambda s: s.strip())
short_texts = texts.map(lambda s: s[:30]).filter(lambda s: s.strip())
numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.integers(-1000, 1000)
datetimes = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                         timezones=st.just(UTC))
status_entries = st.builds(StatusEntry, status_list_credential=iris,
                           status_list_index=st.integers(0, 10**15 - 1),
                           status_purpose=st.sampled_from(STATUS_PURPOSES),
                           id=st.none() | iris)


@st.composite
def scales(draw: st.DrawFn, lo: float | None = None, hi: float | None = None) -> Scale:
    a = draw(numbers) if lo is None else lo
    b = draw(numbers) if hi is None else hi
    a, b = min(a, b), max(a, b)
    if a == b:
        b = a + 1
    values = draw(st.lists(st.floats(min_value=a, max_value=b), max_size=4, unique=True))
    return Scale(minimum=a, maximum=b, labels=tuple((v, draw(short_texts)) for v in values))


@st.composite
def commons(draw: st.DrawFn, context_required: bool = True) -> dict[str, Any]:
    start = draw(datetimes)
    until = draw(st.none() | st.timedeltas(min_value=timedelta(seconds=1),
                                           max_value=timedelta(days=3650)))
    return {
        "issuer": draw(iris),
        "context": draw(contexts if context_required else st.none() | contexts),
        "valid_from": start,
        "valid_until": None if until is None else start + until,
        "name": draw(st.none() | short_texts),
        "description": draw(st.none() | texts),
        "credential_status": draw(st.none() | status_entries),
    }


@st.composite
def ratings(draw: st.DrawFn) -> Rating:
    scale = draw(scales())
    score = draw(st.floats(min_value=scale.minimum, max_value=scale.maximum))
    return Rating(**draw(commons()), subject=draw(iris), score=score, scale=scale,
                  comment=draw(st.none() | texts))


@st.composite
def marks(draw: st.DrawFn) -> TrustMark:
    return TrustMark(**draw(commons()), subject=draw(iris), mark=draw(iris),
                     status=draw(short_texts), value=draw(st.none() | numbers),
                     mark_version=draw(st.none() | short_texts),
                     evidence=tuple(draw(st.lists(iris, max_size=3, unique=True))))


@st.composite
def referrals(draw: st.DrawFn) -> Referral:
    common = draw(commons())
    subject = draw(iris.filter(lambda s: s != common["issuer"]))
    return Referral(**common, subject=subject, audience=draw(iris),
                    consent=draw(st.none() | content_ids | iris),
                    comment=draw(st.none() | texts))


@st.composite
def conversion_rules(draw: st.DrawFn) -> ConversionRule:
    form = draw(st.sampled_from(["linear", "threshold", "categorical"]))
    otherwise = draw(st.none() | numbers)
    if form == "linear":
        lo = draw(numbers)
        return LinearRule(source_min=lo, source_max=lo + draw(st.integers(1, 100)),
                          target_min=draw(numbers), target_max=draw(numbers),
                          clamp=draw(st.booleans()))
    if form == "threshold":
        keys = draw(st.lists(numbers, min_size=1, max_size=5, unique_by=float))
        return ThresholdRule(thresholds=tuple((k, draw(numbers)) for k in keys),
                             otherwise=otherwise)
    names = draw(st.lists(short_texts.map(str.strip), min_size=1, max_size=5,
                          unique_by=str.casefold))
    return CategoricalRule(mapping=tuple((n, draw(numbers)) for n in names), otherwise=otherwise)


def _outputs(rule: ConversionRule) -> list[float]:
    if isinstance(rule, LinearRule):
        return [rule.target_min, rule.target_max]
    pairs = rule.thresholds if isinstance(rule, ThresholdRule) else rule.mapping
    extra = [] if rule.otherwise is None else [rule.otherwise]
    return [v for _, v in pairs] + extra


@st.composite
def recognitions(draw: st.DrawFn) -> Recognition:
    common = draw(commons())
    rule = draw(conversion_rules())
    outs = _outputs(rule)
    scale = draw(scales(lo=min(outs) - draw(st.integers(0, 5)),
                        hi=max(outs) + draw(st.integers(0, 5))))
    return Recognition(**common, recognised=draw(iris.filter(lambda s: s != common["issuer"])),
                       rule=rule, mark=draw(st.none() | iris),
                       source_context=draw(st.none() | contexts), scale=scale)


@st.composite
def revocations(draw: st.DrawFn) -> Revocation:
    return Revocation(**draw(commons(context_required=False)), target=draw(content_ids),
                      reason=draw(st.none() | texts))


@st.composite
def acceptances(draw: st.DrawFn) -> Acceptance:
    return Acceptance(**draw(commons(context_required=False)), target=draw(content_ids),
                      accepted=draw(st.booleans()))


assertions = st.one_of(ratings(), marks(), referrals(), recognitions(), revocations(),
                       acceptances())


# -- round-trip properties ------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(assertions)
def test_round_trip_through_json(assertion: Assertion) -> None:
    doc = to_credential(assertion)
    text = json.dumps(doc, allow_nan=False, ensure_ascii=False)
    validate_document(json.loads(text), assertion.kind)
    back = from_credential(json.loads(text))
    assert back == assertion
    assert type(back) is type(assertion)
    assert to_credential(back) == doc  # the document form is a fixed point


@settings(max_examples=100, deadline=None)
@given(assertions)
def test_document_shape(assertion: Assertion) -> None:
    doc = to_credential(assertion)
    assert doc["@context"] == [CREDENTIALS_V2_URL, CONFIANCE_CONTEXT_URL]
    assert doc["type"] == ["VerifiableCredential", "TrustAssertion", assertion.kind]
    assert doc["credentialSubject"]["id"] == assertion.about
    assert doc["issuer"] == assertion.issuer
    assert doc["validFrom"].endswith("Z")
    assert ("trustContext" in doc["credentialSubject"]) == (assertion.context is not None)
    assert "proof" not in doc and "id" not in doc
    status = assertion.credential_status
    assert ("credentialStatus" in doc) == (status is not None)
    if status is not None:
        entry = doc["credentialStatus"]
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusListIndex"] == str(status.status_list_index)  # a string, base 10
        assert list(doc).index("credentialStatus") == list(doc).index("credentialSubject") + 1


@settings(max_examples=100, deadline=None)
@given(assertions)
def test_assertions_are_hashable_values(assertion: Assertion) -> None:
    again = from_credential(to_credential(assertion))
    assert {assertion, again} == {assertion}


# -- explicit behaviour ---------------------------------------------------------------------

def test_kinds_table() -> None:
    assert list(KINDS) == ["Rating", "TrustMark", "Referral", "Recognition", "Revocation",
                           "Acceptance"]
    for name, cls in KINDS.items():
        assert name == cls.KIND


def test_about_and_kind() -> None:
    rating = Rating(**COMMON, subject="did:example:bob", score=3)
    assert (rating.kind, rating.about, rating.scale) == ("Rating", "did:example:bob",
                                                         Scale(minimum=1, maximum=5))
    rec = Recognition(**COMMON, recognised="https://e1.example",
                      rule=CategoricalRule(mapping=(("gold", 1),)))
    assert rec.about == "https://e1.example" and rec.reads_context == "seller"
    assert Recognition(**COMMON, recognised="https://e1.example", source_context="vendor",
                       rule=CategoricalRule(mapping=(("gold", 1),))).reads_context == "vendor"
    assert Revocation(issuer=ISSUER, context=None, valid_from=T0, target=CID).about == CID


def test_documents_of_each_kind() -> None:
    mark = to_credential(TrustMark(**COMMON, subject="did:example:alice",
                                   mark="https://shop.example/marks/fb", status="gold",
                                   value=97.5, mark_version="2",
                                   evidence=("https://b.example", "https://a.example")))
    assert mark["credentialSubject"] == {
        "id": "did:example:alice", "trustContext": "seller",
        "mark": {"id": "https://shop.example/marks/fb", "version": "2"},
        "status": "gold", "statusValue": 97.5}
    assert mark["evidence"] == ["https://a.example", "https://b.example"]
    acc = to_credential(Acceptance(issuer=ISSUER, context=None, valid_from=T0, target=CID,
                                   accepted=True))
    assert acc["credentialSubject"] == {"id": CID, "decision": "accept"}
    rec = to_credential(Recognition(
        **COMMON, recognised="https://e1.example", mark="https://e1.example/m",
        rule=LinearRule(source_min=0, source_max=100, target_min=1, target_max=5),
        scale=Scale(minimum=1, maximum=5)))
    assert rec["credentialSubject"] == {
        "id": "https://e1.example", "trustContext": "seller",
        "conversionRule": {"type": "LinearRescale", "from": [0, 100], "to": [1, 5]},
        "scale": {"minimum": 1, "maximum": 5}, "mark": {"id": "https://e1.example/m"}}


def test_scale_normalise_and_labels() -> None:
    scale = Scale(minimum=-10, maximum=10, labels=((10, "best"), (-10, "worst")))
    assert scale.normalise(0) == 0.5 and scale.normalise(10) == 1
    assert scale.labels == ((-10.0, "worst"), (10.0, "best"))
    assert scale.to_json() == {"minimum": -10, "maximum": 10, "labels": [
        {"value": -10, "label": "worst"}, {"value": 10, "label": "best"}]}


@pytest.mark.parametrize(("build", "words"), [
    (lambda: Rating(**COMMON, subject="did:example:b", score=6), "outside the scale 1..5"),
    (lambda: Rating(**COMMON, subject="did:example:b", score=float("nan")), "finite"),
    (lambda: Rating(**COMMON, subject="did:example:b", score=True), "finite number"),
    (lambda: Rating(**COMMON, subject="did:example:b", score=1e16,
                    scale=Scale(minimum=0, maximum=1e15)), "within"),
    (lambda: Rating(**COMMON, subject="bob", score=3), "subject must be an absolute IRI"),
    (lambda: Rating(**COMMON, subject="did:example:b\n", score=3), "absolute IRI"),
    (lambda: Rating(**{**COMMON, "context": None}, subject="did:example:b", score=3),
     "needs a context of trust"),
    (lambda: Rating(**{**COMMON, "context": "Seller"}, subject="did:example:b", score=3),
     "trustContext must be"),
    (lambda: Rating(**{**COMMON, "context": "seller\n"}, subject="did:example:b", score=3),
     "trustContext must be"),
    (lambda: Rating(**{**COMMON, "valid_from": datetime(2026, 1, 1)},
                    subject="did:example:b", score=3), "timezone-aware"),
    (lambda: Rating(**COMMON, valid_until=T0, subject="did:example:b", score=3),
     "validUntil must come after validFrom"),
    (lambda: Rating(**COMMON, subject="did:example:b", score=3, comment=" "), "non-empty"),
    (lambda: Rating(**COMMON, subject="did:example:b", score=3, comment="a\x00"),
     "control characters"),
    (lambda: Rating(**COMMON, subject="did:example:b", score=3, name="n" * 257), "at most 256"),
    (lambda: Scale(minimum=5, maximum=5), "below its maximum"),
    (lambda: Scale(minimum=0, maximum=1, labels=((2, "x"),)), "outside the scale"),
    (lambda: Scale(minimum=0, maximum=1, labels=((1, "x"), (1.0, "y"))), "at most once"),
    (lambda: Scale(minimum=0, maximum=100, labels=tuple((i, "x") for i in range(65))),
     "at most 64"),
    (lambda: TrustMark(**COMMON, subject="did:example:b", mark="not an iri", status="x"),
     "mark must be"),
    (lambda: TrustMark(**COMMON, subject="did:example:b", mark="https://m.example",
                       status="x", evidence=("https://e.example", "https://e.example")),
     "same link twice"),
    (lambda: TrustMark(**COMMON, subject="did:example:b", mark="https://m.example",
                       status="x", evidence="https://e.example"), "sequence of IRIs"),
    (lambda: TrustMark(**COMMON, subject="did:example:b", mark="https://m.example",
                       status="x", evidence=tuple(f"https://e{i}.example" for i in range(33))),
     "at most 32"),
    (lambda: Referral(**COMMON, subject=ISSUER, audience="https://w.example"),
     "cannot refer itself"),
    (lambda: Recognition(**COMMON, recognised=ISSUER,
                         rule=CategoricalRule(mapping=(("a", 1),))), "another issuer"),
    (lambda: Recognition(**COMMON, recognised="https://e.example",
                         rule=LinearRule(source_min=0, source_max=100, target_min=1,
                                         target_max=5)), "outside the declared scale 0..1"),
    (lambda: Recognition(**COMMON, recognised="https://e.example",
                         rule=ThresholdRule(thresholds=((1, 1),), otherwise=-1)),
     "gives -1, outside"),
    (lambda: Recognition(**COMMON, recognised="https://e.example",
                         rule={"type": "LinearRescale"}), "rule must be"),
    (lambda: Revocation(**COMMON, target="https://x.example/1"), "assertion id"),
    (lambda: Revocation(**COMMON, target=CID + "A"), "assertion id"),
    (lambda: Acceptance(**COMMON, target=CID, accepted="yes"), "true or false"),
    (lambda: StatusEntry(status_list_credential="https://n.example/status/1",
                         status_list_index=-1), "from 0 to"),
    (lambda: StatusEntry(status_list_credential="https://n.example/status/1",
                         status_list_index=10**15), "from 0 to"),
    (lambda: StatusEntry(status_list_credential="https://n.example/status/1",
                         status_list_index=True), "integer"),
    (lambda: StatusEntry(status_list_credential="https://n.example/status/1",
                         status_list_index="7"), "integer"),  # type: ignore[arg-type]
    (lambda: StatusEntry(status_list_credential="https://n.example/status/1",
                         status_list_index=7, status_purpose="message"), "one of revocation"),
    (lambda: StatusEntry(status_list_credential="status/1", status_list_index=7),
     "statusListCredential must be"),
    (lambda: StatusEntry(status_list_credential="https://n.example/status/1",
                         status_list_index=7, id="#7"), "credentialStatus.id must be"),
    (lambda: Rating(**COMMON, subject="did:example:b", score=3,
                    credential_status={"statusListIndex": "7"}),  # type: ignore[arg-type]
     "must be a StatusEntry"),
])
def test_constructor_errors(build: Any, words: str) -> None:
    with pytest.raises(SchemaError, match=words):
        build()


def test_assertion_is_abstract() -> None:
    with pytest.raises(LocalProtocolError):
        Assertion(**COMMON)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12, tzinfo=UTC)),
    ("2026-01-31T12:00:00.5+02:00",
     datetime(2026, 1, 31, 12, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2)))),
])
def test_parse_datetime(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", [
    "2026-01-31", "2026-01-31T12:00:00", "2026-02-30T00:00:00Z", "2026-01-31T12:00:00Z\n",
    "2026-01-31T12:00:00.1234567Z", "٢٠٢٦-01-31T12:00:00Z", 20260131, None,
])
def test_parse_datetime_rejects(text: object) -> None:
    with pytest.raises(SchemaError, match="validFrom"):
        parse_datetime(text, "validFrom")


def test_format_datetime() -> None:
    assert format_datetime(datetime(2026, 1, 31, 14, tzinfo=timezone(timedelta(hours=2)))) == (
        "2026-01-31T12:00:00Z")
    assert format_datetime(datetime(2026, 1, 31, 12, 0, 0, 1500, tzinfo=UTC)) == (
        "2026-01-31T12:00:00.001500Z")
    with pytest.raises(LocalProtocolError):
        format_datetime(datetime(2026, 1, 31))


def test_from_credential_accepts_offsets_and_normalises() -> None:
    doc = to_credential(Rating(**COMMON, subject="did:example:b", score=3))
    doc["validFrom"] = "2026-01-01T01:00:00+01:00"
    assert from_credential(doc).valid_from == T0
    doc["credentialSubject"]["score"] = 3.0
    assert to_credential(from_credential(doc))["credentialSubject"]["score"] == 3


@pytest.mark.parametrize("doc", [
    [], "x", {"type": "VerifiableCredential"},
    {"type": ["VerifiableCredential", "Rating"]},
    {"type": ["VerifiableCredential", "TrustAssertion", "Rating", "Extra"]},
])
def test_from_credential_rejects_other_documents(doc: Any) -> None:
    with pytest.raises(SchemaError):
        from_credential(doc)


def test_from_credential_translates_rule_errors() -> None:
    doc = to_credential(Recognition(**COMMON, recognised="https://e.example",
                                    rule=CategoricalRule(mapping=(("a", 1),))))
    doc["credentialSubject"]["conversionRule"]["map"] = {"a": 1, "A": 0.5}
    with pytest.raises(SchemaError, match="conversionRule: category 'A' is mapped twice"):
        from_credential(doc)


def test_credential_status_round_trip_and_spec_shape() -> None:
    """The W3C Bitstring Status List entry, as the specification's example writes it."""
    entry = StatusEntry(id="https://example.com/credentials/status/3#94567",
                        status_purpose="revocation", status_list_index=94567,
                        status_list_credential="https://example.com/credentials/status/3")
    rating = Rating(**COMMON, subject="did:example:b", score=3, credential_status=entry)
    doc = to_credential(rating)
    assert doc["credentialStatus"] == {
        "id": "https://example.com/credentials/status/3#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://example.com/credentials/status/3",
    }
    assert from_credential(json.loads(json.dumps(doc))) == rating
    bare = StatusEntry(status_list_credential="https://n.example/s/1", status_list_index=0,
                       status_purpose="suspension")
    assert bare.to_json() == {"type": "BitstringStatusListEntry", "statusPurpose": "suspension",
                              "statusListIndex": "0",
                              "statusListCredential": "https://n.example/s/1"}
    assert StatusEntry.from_json(bare.to_json()) == bare
    # no status: no member (the golden vectors keep their bytes)
    assert "credentialStatus" not in to_credential(
        Rating(**COMMON, subject="did:example:b", score=3))


@pytest.mark.parametrize(("value", "words"), [
    ([{"type": "BitstringStatusListEntry"}], "is not of type 'object'"),
    ({"type": "StatusList2021Entry", "statusPurpose": "revocation", "statusListIndex": "1",
      "statusListCredential": "https://n.example/s/1"}, "must be"),
    ({"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
      "statusListIndex": "01", "statusListCredential": "https://n.example/s/1"},
     "not well-formed"),
])
def test_from_credential_refuses_bad_status_entries(value: Any, words: str) -> None:
    doc = to_credential(Rating(**COMMON, subject="did:example:b", score=3))
    doc["credentialStatus"] = value
    with pytest.raises(SchemaError, match=words) as info:
        from_credential(doc)
    assert str(info.value.detail["pointer"]).startswith("/credentialStatus")
