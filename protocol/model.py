"""Confiance assertions as frozen, validated dataclasses, and their VC 2.0 document form.

Every assertion is a W3C Verifiable Credential 2.0 whose ``type`` is
``["VerifiableCredential", "TrustAssertion", <Kind>]``, with an ``issuer``, a
``validFrom`` (optional ``validUntil``) and a ``credentialSubject`` carrying the
*context of trust* (``trustContext``): trust is contextual, a good seller is not a good
wiki editor.

The six kinds (``specs/protocol.md`` Part A gives one complete example of each and every term):

============  ==================================  ==========================================
Kind          credentialSubject.id                what it says
============  ==================================  ==========================================
Rating        the rated party                     a score on a declared scale
TrustMark     the holder of the mark              a status held at the issuer (a badge)
Referral      the referred party                  the issuer vouches for it to an audience
Recognition   the issuer whose marks are read     a unilateral conversion rule
Revocation    the revoked assertion's id          supersedes an earlier assertion
Acceptance    the accepted/rejected assertion id  the subject's consent decision
============  ==================================  ==========================================

Any kind may carry a ``credentialStatus`` (:class:`StatusEntry`, a W3C Bitstring Status
List entry): where a verifier reads, in a status list credential signed by the issuer,
whether the assertion was revoked (or suspended) since, without asking the issuer.

Constructors validate (an invalid assertion cannot exist); :func:`to_credential` gives the
unsigned document and :func:`from_credential` parses one, raising
:class:`~confiance.protocol.errors.SchemaError` with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeAlias

from .errors import LocalProtocolError, RuleError, SchemaError
from .rules import (
    MAX_ABS_NUMBER,
    CategoricalRule,
    ConversionRule,
    LinearRule,
    ThresholdRule,
    json_number,
    rule_from_json,
    rule_to_json,
)

__all__ = [
    "CONFIANCE_CONTEXT_URL",
    "CREDENTIALS_V2_URL",
    "KINDS",
    "STATUS_PURPOSES",
    "VOCAB",
    "Acceptance",
    "AnyAssertion",
    "Assertion",
    "Rating",
    "Recognition",
    "Referral",
    "Revocation",
    "Scale",
    "StatusEntry",
    "TrustMark",
    "format_datetime",
    "from_credential",
    "parse_datetime",
    "to_credential",
]

CREDENTIALS_V2_URL = "https://www.w3.org/ns/credentials/v2"
CONFIANCE_CONTEXT_URL = "https://w3id.org/confiance/v1"
VOCAB = "https://w3id.org/confiance#"

MAX_IRI_LENGTH = 2048
MAX_TEXT_LENGTH = 4096
MAX_SHORT_TEXT = 256
MAX_LABELS = 64
MAX_EVIDENCE = 32
#: Largest status list index (the schema's 15 decimal digits; far beyond any real list).
MAX_STATUS_INDEX = 10**15 - 1
#: The Bitstring Status List purposes an assertion may declare (one bit per entry).
STATUS_PURPOSES = ("revocation", "suspension")
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"

# The same patterns as specs/schemas/common.json; always used with fullmatch (a Python "$"
# also matches before a final newline).
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+")
_CONTEXT_NAME = re.compile(r"[a-z0-9][a-z0-9._\-]{0,63}")
_CONTENT_ID = re.compile(r"ni:///sha-256;[A-Za-z0-9_\-]{43}")
_STATUS_INDEX = re.compile(r"0|[1-9][0-9]{0,14}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
# C0 controls other than tab, LF, CR; DEL; lone surrogates. RDF canonicalisation escapes
# controls differently across implementations, so rdfc signatures would not interoperate.
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _check_iri(name: str, value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_IRI_LENGTH or not _IRI.fullmatch(value):
        raise SchemaError(f"{name} must be an absolute IRI (a DID or URL) of at most "
                          f"{MAX_IRI_LENGTH} characters, got {value!r:.80}")
    return value


def _check_content_id(name: str, value: object) -> str:
    if not isinstance(value, str) or not _CONTENT_ID.fullmatch(value):
        raise SchemaError(f"{name} must be an assertion id (ni:///sha-256;<43 base64url "
                          f"characters>), got {value!r:.80}")
    return value


def _check_text(name: str, value: object, limit: int = MAX_TEXT_LENGTH) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise SchemaError(f"{name} must be a non-empty string of at most {limit} characters")
    if _BAD_TEXT.search(value):
        raise SchemaError(f"{name} must not contain control characters other than tab and "
                          "line breaks")
    return value


def _check_context(value: object) -> str:
    """A context of trust is a short lower-case name ("seller") or an absolute IRI."""
    if isinstance(value, str) and len(value) <= MAX_IRI_LENGTH and (
        _CONTEXT_NAME.fullmatch(value) or _IRI.fullmatch(value)
    ):
        return value
    raise SchemaError(
        "trustContext must be a short lower-case name (letters, digits, '.', '_', '-', "
        f"at most 64) or an absolute IRI, got {value!r:.80}"
    )


def _check_number(name: str, value: object) -> float:
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or abs(value) > MAX_ABS_NUMBER):
        raise SchemaError(f"{name} must be a finite number within ±{MAX_ABS_NUMBER:g}, "
                          f"got {value!r:.40}")
    return float(value)


def parse_datetime(value: object, name: str = "date") -> datetime:
    """Parse an XML Schema dateTime with an explicit offset (``Z`` or ``+hh:mm``)."""
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        raise SchemaError(f"{name} must be a date-time with a time zone (at most microsecond "
                          "precision), like "
                          f"2026-01-31T12:00:00Z, got {value!r:.40}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SchemaError(f"{name} is not a valid date-time: {exc}") from None
    return parsed


def format_datetime(value: datetime) -> str:
    """The canonical text of a timestamp: UTC, seconds precision unless finer is needed, ``Z``."""
    if value.tzinfo is None:
        raise LocalProtocolError("timestamps must be timezone-aware")
    utc = value.astimezone(UTC)
    text = utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _aware(name: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise SchemaError(f"{name} must be a timezone-aware datetime")
    return value


@dataclass(frozen=True, kw_only=True)
class Scale:
    """A rating scale: ``minimum`` to ``maximum`` with optional labels on some values."""

    minimum: float
    maximum: float
    labels: tuple[tuple[float, str], ...] = ()

    def __post_init__(self) -> None:
        lo = _check_number("scale minimum", self.minimum)
        hi = _check_number("scale maximum", self.maximum)
        if not lo < hi:
            raise SchemaError(f"scale minimum ({lo:g}) must be below its maximum ({hi:g})")
        if len(self.labels) > MAX_LABELS:
            raise SchemaError(f"a scale has at most {MAX_LABELS} labels")
        labels = []
        for value, label in self.labels:
            v = _check_number("label value", value)
            if not lo <= v <= hi:
                raise SchemaError(f"label value {v:g} lies outside the scale {lo:g}..{hi:g}")
            labels.append((v, _check_text("label", label, MAX_SHORT_TEXT)))
        if len({v for v, _ in labels}) != len(labels):
            raise SchemaError("a scale labels each value at most once")
        object.__setattr__(self, "minimum", lo)
        object.__setattr__(self, "maximum", hi)
        object.__setattr__(self, "labels", tuple(sorted(labels)))

    def normalise(self, score: float) -> float:
        """Map ``score`` to [0, 1] (0 at the minimum, 1 at the maximum)."""
        return (score - self.minimum) / (self.maximum - self.minimum)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"minimum": json_number(self.minimum),
                               "maximum": json_number(self.maximum)}
        if self.labels:
            out["labels"] = [{"value": json_number(v), "label": t} for v, t in self.labels]
        return out

    @classmethod
    def from_json(cls, obj: object) -> Scale:
        if not isinstance(obj, Mapping):
            raise SchemaError("scale must be an object with minimum and maximum")
        raw_labels = obj.get("labels", [])
        if not isinstance(raw_labels, list) or not all(
            isinstance(x, Mapping) and "value" in x and "label" in x for x in raw_labels
        ):
            raise SchemaError("scale labels must be a list of {value, label} objects")
        return cls(
            minimum=obj.get("minimum"),  # type: ignore[arg-type]
            maximum=obj.get("maximum"),  # type: ignore[arg-type]
            labels=tuple((x["value"], x["label"]) for x in raw_labels[: MAX_LABELS + 1]),
        )


@dataclass(frozen=True, kw_only=True)
class StatusEntry:
    """Where to check an assertion's status: a W3C ``BitstringStatusListEntry``.

    Bit ``status_list_index`` of the list in the credential at ``status_list_credential``
    (a ``BitstringStatusListCredential`` the issuer signs) is set when the assertion is
    revoked (``status_purpose="revocation"``) or suspended (``"suspension"``). The entry
    sits inside the signed assertion, so the issuer cannot later point a verifier at another
    bit; the list itself is signed, so a verifier trusts neither the server nor its answer
    on the day, only the issuer's key. Only single-bit purposes are supported (no
    ``statusSize``, ``statusMessage``: the ``message`` purpose is not used).

    ``status_list_index`` is an int here and a decimal string in the document, as the
    specification requires (``"statusListIndex": "94567"``, no leading zeros). ``id`` is
    optional, as in the specification (conventionally ``<list URL>#<index>``).

    Reference: W3C, "Bitstring Status List v1.0", Recommendation, 2025,
    https://www.w3.org/TR/vc-bitstring-status-list/
    """

    status_list_credential: str
    status_list_index: int
    status_purpose: str = "revocation"
    id: str | None = None

    def __post_init__(self) -> None:
        if self.id is not None:
            _check_iri("credentialStatus.id", self.id)
        if self.status_purpose not in STATUS_PURPOSES:
            raise SchemaError(f"credentialStatus.statusPurpose must be one of "
                              f"{', '.join(STATUS_PURPOSES)}, got {self.status_purpose!r:.40}")
        index = self.status_list_index
        if isinstance(index, bool) or not isinstance(index, int) \
                or not 0 <= index <= MAX_STATUS_INDEX:
            raise SchemaError("credentialStatus.statusListIndex must be an integer from 0 to "
                              f"{MAX_STATUS_INDEX}, got {index!r:.40}")
        _check_iri("credentialStatus.statusListCredential", self.status_list_credential)

    def to_json(self) -> dict[str, Any]:
        """The ``credentialStatus`` member (the index as a decimal string)."""
        out: dict[str, Any] = {} if self.id is None else {"id": self.id}
        out.update({"type": STATUS_ENTRY_TYPE, "statusPurpose": self.status_purpose,
                    "statusListIndex": str(self.status_list_index),
                    "statusListCredential": self.status_list_credential})
        return out

    @classmethod
    def from_json(cls, obj: object) -> StatusEntry:
        """Parse a ``credentialStatus`` member (one entry, not a list of entries)."""
        if not isinstance(obj, Mapping) or obj.get("type") != STATUS_ENTRY_TYPE:
            raise SchemaError("credentialStatus must be one object of type "
                              f"{STATUS_ENTRY_TYPE}", pointer="/credentialStatus")
        index = obj.get("statusListIndex")
        if not isinstance(index, str) or not _STATUS_INDEX.fullmatch(index):
            raise SchemaError("credentialStatus.statusListIndex must be a decimal string "
                              "without leading zeros, of at most 15 digits",
                              pointer="/credentialStatus/statusListIndex")
        return cls(id=obj.get("id"),
                   status_purpose=obj.get("statusPurpose"),  # type: ignore[arg-type]
                   status_list_index=int(index),
                   status_list_credential=obj.get("statusListCredential"))  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class Assertion:
    """Fields every kind shares. Not instantiated itself: use one of the six kinds."""

    KIND: ClassVar[str] = ""
    CONTEXT_REQUIRED: ClassVar[bool] = True

    issuer: str
    context: str | None
    valid_from: datetime
    valid_until: datetime | None = None
    name: str | None = None
    description: str | None = None
    credential_status: StatusEntry | None = None

    def __post_init__(self) -> None:
        if not self.KIND:
            raise LocalProtocolError("Assertion is abstract: use Rating, TrustMark, ...")
        _check_iri("issuer", self.issuer)
        if self.context is None:
            if self.CONTEXT_REQUIRED:
                raise SchemaError(f"a {self.KIND} needs a context of trust (trustContext)")
        else:
            _check_context(self.context)
        _aware("validFrom", self.valid_from)
        if self.valid_until is not None:
            _aware("validUntil", self.valid_until)
            if self.valid_until <= self.valid_from:
                raise SchemaError("validUntil must come after validFrom")
        if self.name is not None:
            _check_text("name", self.name, MAX_SHORT_TEXT)
        if self.description is not None:
            _check_text("description", self.description)
        if self.credential_status is not None and not isinstance(self.credential_status,
                                                                 StatusEntry):
            raise SchemaError("credential_status must be a StatusEntry")

    @property
    def kind(self) -> str:
        return self.KIND

    @property
    def about(self) -> str:
        """The ``credentialSubject.id``: who or what this assertion is about."""
        raise NotImplementedError

    def _subject_fields(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Rating(Assertion):
    """A score on a declared scale (signed data sets use -10..10), with optional text."""

    KIND: ClassVar[str] = "Rating"
    subject: str
    score: float
    scale: Scale = field(default_factory=lambda: Scale(minimum=1, maximum=5))
    comment: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_iri("subject", self.subject)
        score = _check_number("score", self.score)
        if not self.scale.minimum <= score <= self.scale.maximum:
            raise SchemaError(f"score {score:g} lies outside the scale "
                              f"{self.scale.minimum:g}..{self.scale.maximum:g}")
        object.__setattr__(self, "score", score)
        if self.comment is not None:
            _check_text("comment", self.comment)

    @property
    def about(self) -> str:
        return self.subject

    def _subject_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"score": json_number(self.score), "scale": self.scale.to_json()}
        if self.comment is not None:
            out["comment"] = self.comment
        return out


@dataclass(frozen=True, kw_only=True)
class TrustMark(Assertion):
    """A status the subject holds at the issuer: a badge ("97% positive over 1,204 sales").

    ``mark`` is the IRI of the mark's definition (its terms, in the Creative Commons sense),
    ``status`` the status in words, ``value`` an optional number for the same status
    (97 for "97% positive") that linear and threshold rules read.
    """

    KIND: ClassVar[str] = "TrustMark"
    subject: str
    mark: str
    status: str
    value: float | None = None
    mark_version: str | None = None
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_iri("subject", self.subject)
        _check_iri("mark", self.mark)
        _check_text("status", self.status, MAX_SHORT_TEXT)
        if self.value is not None:
            object.__setattr__(self, "value", _check_number("statusValue", self.value))
        if self.mark_version is not None:
            _check_text("mark version", self.mark_version, 64)
        if isinstance(self.evidence, str) or not isinstance(self.evidence, tuple | list):
            raise SchemaError("evidence must be a sequence of IRIs")
        # sorted: evidence is a set in RDF (a plain JSON-LD array), so order carries nothing
        object.__setattr__(self, "evidence", tuple(sorted(self.evidence, key=str)))
        if len(self.evidence) > MAX_EVIDENCE:
            raise SchemaError(f"at most {MAX_EVIDENCE} evidence links")
        for item in self.evidence:
            _check_iri("evidence", item)
        if len(set(self.evidence)) != len(self.evidence):
            raise SchemaError("evidence lists the same link twice")

    @property
    def about(self) -> str:
        return self.subject

    def _subject_fields(self) -> dict[str, Any]:
        mark: dict[str, Any] = {"id": self.mark}
        if self.mark_version is not None:
            mark["version"] = self.mark_version
        out: dict[str, Any] = {"mark": mark, "status": self.status}
        if self.value is not None:
            out["statusValue"] = json_number(self.value)
        return out


@dataclass(frozen=True, kw_only=True)
class Referral(Assertion):
    """The issuer vouches for ``subject`` to ``audience`` (a site or a person) in a context.

    ``consent`` optionally points to evidence of the subject's consent (for instance the
    id of the subject's own Acceptance).
    """

    KIND: ClassVar[str] = "Referral"
    subject: str
    audience: str
    consent: str | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_iri("subject", self.subject)
        _check_iri("audience", self.audience)
        if self.consent is not None:
            _check_iri("consent", self.consent)
        if self.comment is not None:
            _check_text("comment", self.comment)
        if self.subject == self.issuer:
            raise SchemaError("an issuer cannot refer itself")

    @property
    def about(self) -> str:
        return self.subject

    def _subject_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"audience": self.audience}
        if self.consent is not None:
            out["consent"] = self.consent
        if self.comment is not None:
            out["comment"] = self.comment
        return out


def _rule_outputs(rule: ConversionRule) -> list[float]:
    """Every value ``rule`` can give (a linear rule's extremes suffice)."""
    if isinstance(rule, LinearRule):
        return [rule.target_min, rule.target_max]
    pairs = rule.thresholds if isinstance(rule, ThresholdRule) else rule.mapping
    outs = [value for _, value in pairs]
    return outs if rule.otherwise is None else [*outs, rule.otherwise]


@dataclass(frozen=True, kw_only=True)
class Recognition(Assertion):
    """A unilateral conversion rule: how the issuer reads ``recognised``'s marks or ratings.

    ``context`` is the issuer's own context; ``source_context`` the recognised issuer's
    (defaults to the same: "their seller" read as "our seller"); ``mark`` the mark
    definition the rule reads (``None``: their ratings); ``rule`` maps their value or
    status to ``scale`` here.
    """

    KIND: ClassVar[str] = "Recognition"
    recognised: str
    rule: ConversionRule
    mark: str | None = None
    source_context: str | None = None
    scale: Scale = field(default_factory=lambda: Scale(minimum=0, maximum=1))

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_iri("recognised issuer", self.recognised)
        if self.recognised == self.issuer:
            raise SchemaError("a Recognition reads another issuer, not the issuer itself")
        if self.mark is not None:
            _check_iri("mark", self.mark)
        if self.source_context is not None:
            _check_context(self.source_context)
        if not isinstance(self.rule, LinearRule | ThresholdRule | CategoricalRule):
            raise SchemaError("rule must be a LinearRule, ThresholdRule or CategoricalRule")
        if not isinstance(self.scale, Scale):
            raise SchemaError("scale must be a Scale")
        lo, hi = self.scale.minimum, self.scale.maximum
        for out in _rule_outputs(self.rule):
            if not lo <= out <= hi:
                raise SchemaError(f"the rule gives {out:g}, outside the declared scale "
                                  f"{lo:g}..{hi:g}: declare the scale the rule maps to")

    @property
    def about(self) -> str:
        return self.recognised

    @property
    def reads_context(self) -> str | None:
        """The recognised issuer's context this rule reads."""
        return self.source_context if self.source_context is not None else self.context

    def _subject_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"conversionRule": rule_to_json(self.rule),
                               "scale": self.scale.to_json()}
        if self.mark is not None:
            out["mark"] = {"id": self.mark}
        if self.source_context is not None:
            out["sourceContext"] = self.source_context
        return out


@dataclass(frozen=True, kw_only=True)
class Revocation(Assertion):
    """Supersedes the assertion ``target`` (by its content id); kept forever."""

    KIND: ClassVar[str] = "Revocation"
    CONTEXT_REQUIRED: ClassVar[bool] = False
    target: str
    reason: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_content_id("target", self.target)
        if self.reason is not None:
            _check_text("reason", self.reason)

    @property
    def about(self) -> str:
        return self.target

    def _subject_fields(self) -> dict[str, Any]:
        return {"reason": self.reason} if self.reason is not None else {}


@dataclass(frozen=True, kw_only=True)
class Acceptance(Assertion):
    """The subject of ``target`` accepts or rejects it (consent)."""

    KIND: ClassVar[str] = "Acceptance"
    CONTEXT_REQUIRED: ClassVar[bool] = False
    target: str
    accepted: bool

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_content_id("target", self.target)
        if not isinstance(self.accepted, bool):
            raise SchemaError("accepted must be true or false")

    @property
    def about(self) -> str:
        return self.target

    def _subject_fields(self) -> dict[str, Any]:
        return {"decision": "accept" if self.accepted else "reject"}


AnyAssertion: TypeAlias = Rating | TrustMark | Referral | Recognition | Revocation | Acceptance
KINDS: dict[str, type[Assertion]] = {
    cls.KIND: cls for cls in (Rating, TrustMark, Referral, Recognition, Revocation, Acceptance)
}


def to_credential(assertion: Assertion) -> dict[str, Any]:
    """The unsigned VC 2.0 document for ``assertion`` (ready for :func:`signing.sign`)."""
    subject: dict[str, Any] = {"id": assertion.about}
    if assertion.context is not None:
        subject["trustContext"] = assertion.context
    subject.update(assertion._subject_fields())
    doc: dict[str, Any] = {
        "@context": [CREDENTIALS_V2_URL, CONFIANCE_CONTEXT_URL],
        "type": ["VerifiableCredential", "TrustAssertion", assertion.KIND],
        "issuer": assertion.issuer,
    }
    if assertion.name is not None:
        doc["name"] = assertion.name
    if assertion.description is not None:
        doc["description"] = assertion.description
    doc["validFrom"] = format_datetime(assertion.valid_from)
    if assertion.valid_until is not None:
        doc["validUntil"] = format_datetime(assertion.valid_until)
    doc["credentialSubject"] = subject
    if assertion.credential_status is not None:
        doc["credentialStatus"] = assertion.credential_status.to_json()
    if isinstance(assertion, TrustMark) and assertion.evidence:
        doc["evidence"] = list(assertion.evidence)
    return doc


def _kind_of(doc: Mapping[str, Any]) -> type[Assertion]:
    types = doc.get("type")
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise SchemaError("/type: must be a list of strings", pointer="/type")
    if len(types) != 3 or types[:2] != ["VerifiableCredential", "TrustAssertion"]:
        raise SchemaError('/type: must be ["VerifiableCredential", "TrustAssertion", <Kind>]',
                          pointer="/type")
    cls = KINDS.get(types[2])
    if cls is None:
        raise SchemaError(f"/type/2: unknown assertion kind {types[2]!r:.80}; expected one of "
                          f"{', '.join(KINDS)}", pointer="/type/2", kind=types[2][:80])
    return cls


def from_credential(doc: Mapping[str, Any]) -> AnyAssertion:
    """Parse a (signed or unsigned) Confiance credential into its dataclass.

    The document is first checked against the JSON Schema of its kind
    (``specs/schemas/<kind>.json``), then the dataclass constructor checks the rest
    (score within scale, dates in order...).
    """
    from .schemas import validate_document  # local: schemas loads package data lazily

    if not isinstance(doc, Mapping):
        raise SchemaError("an assertion is a JSON object")
    cls = _kind_of(doc)
    validate_document(doc, cls.KIND)
    subject = doc["credentialSubject"]
    common: dict[str, Any] = {
        "issuer": doc["issuer"],
        "context": subject.get("trustContext"),
        "valid_from": parse_datetime(doc["validFrom"], "validFrom"),
        "valid_until": (parse_datetime(doc["validUntil"], "validUntil")
                        if "validUntil" in doc else None),
        "name": doc.get("name"),
        "description": doc.get("description"),
        "credential_status": (StatusEntry.from_json(doc["credentialStatus"])
                              if "credentialStatus" in doc else None),
    }
    sid = subject["id"]
    try:
        if cls is Rating:
            return Rating(**common, subject=sid, score=subject["score"],
                          scale=Scale.from_json(subject["scale"]), comment=subject.get("comment"))
        if cls is TrustMark:
            mark = subject["mark"]
            return TrustMark(**common, subject=sid, mark=mark["id"], status=subject["status"],
                             value=subject.get("statusValue"), mark_version=mark.get("version"),
                             evidence=tuple(doc.get("evidence", ())))
        if cls is Referral:
            return Referral(**common, subject=sid, audience=subject["audience"],
                            consent=subject.get("consent"), comment=subject.get("comment"))
        if cls is Recognition:
            mark = subject.get("mark")
            return Recognition(**common, recognised=sid,
                               rule=rule_from_json(subject["conversionRule"]),
                               mark=mark["id"] if mark is not None else None,
                               source_context=subject.get("sourceContext"),
                               scale=Scale.from_json(subject["scale"]))
        if cls is Revocation:
            return Revocation(**common, target=sid, reason=subject.get("reason"))
        return Acceptance(**common, target=sid, accepted=subject["decision"] == "accept")
    except RuleError as exc:
        raise SchemaError(f"conversionRule: {exc.message}") from None
