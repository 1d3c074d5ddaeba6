"""Mark definitions: the versioned, signed terms of a trust mark (Creative Commons style).

A TrustMark says "Alice holds *top seller* at E1"; the **mark definition** says what *top
seller* means, in three layers, as a Creative Commons licence does:

- the **terms** (normative: what the issuer commits to when it awards the mark);
- the **deed** (plain language): what the mark says, what it does not say, how it is
  earned, how it is lost, how long it lasts;
- the **machine-readable** form: this signed JSON-LD document, which another node's
  conversion rules (a Recognition's ``mark``) point to.

Definitions are immutable: a change of terms is a new version. The document is a W3C VC 2.0
credential of type ``["VerifiableCredential", "MarkDefinition"]`` whose ``id`` is the
versioned terms (``<mark IRI>/<version>``) and whose ``credentialSubject.id`` is the mark
IRI that TrustMarks name (``mark.id``, with ``mark.version``). Prose members are JSON-LD
language maps (``{"en": ..., "fr": ...}``); English is required, so every reader finds one
language it can fall back to. See ``specs/protocol.md`` §A.7.

Like assertions, a definition has one canonical JSON form (:func:`definition_document`), is
checked against its JSON Schema (``specs/schemas/MarkDefinition.json``) and verified with
issuer binding required (:func:`verify_definition`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .contexts import DocumentLoader
from .errors import LocalProtocolError, MalformedDocument, SchemaError
from .keys import KeyPair
from .limits import Limits
from .model import (
    CONFIANCE_CONTEXT_URL,
    CREDENTIALS_V2_URL,
    format_datetime,
    parse_datetime,
)
from .signing import DEFAULT_SUITE, KeyResolver, sign, verify

__all__ = [
    "DEED_FIELDS",
    "MARK_DEFINITION_TYPE",
    "MarkDefinition",
    "Prose",
    "definition_document",
    "definition_from_document",
    "pick_language",
    "sign_definition",
    "verify_definition",
]

MARK_DEFINITION_TYPE = ["VerifiableCredential", "MarkDefinition"]
#: The deed's members, in the order a deed shows them (JSON name, Python name).
DEED_FIELDS: tuple[tuple[str, str], ...] = (
    ("says", "says"), ("doesNotSay", "does_not_say"), ("earnedBy", "earned_by"),
    ("lostBy", "lost_by"), ("lasts", "lasts"))
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,31}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}")

#: A language map as sorted ``(language, text)`` pairs; English is required.
Prose = tuple[tuple[str, str], ...]


def _prose(name: str, value: object) -> Prose:
    """Validate a language map (a Mapping or pairs) into sorted pairs."""
    items = list(value.items()) if isinstance(value, Mapping) else value
    if not isinstance(items, list | tuple) or not items:
        raise SchemaError(f"{name} must be a language map like {{\"en\": \"...\"}}")
    out: dict[str, str] = {}
    for pair in items:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise SchemaError(f"{name} must be a language map like {{\"en\": \"...\"}}")
        language, text = pair
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
            raise SchemaError(f"{name}: {language!r:.40} is not a BCP 47 language tag")
        if not isinstance(text, str) or not text.strip():
            raise SchemaError(f"{name}.{language} must be non-blank text")
        out[language] = text
    if "en" not in out:
        raise SchemaError(f"{name} needs an English text (\"en\"): the language every "
                          "reader can fall back to")
    return tuple(sorted(out.items()))


def pick_language(prose: Prose, preferred: tuple[str, ...]) -> tuple[str, str]:
    """The ``(language, text)`` of ``prose`` best matching ``preferred`` (then English).

    A preference ``fr-CA`` also accepts ``fr``; English is the fallback.
    """
    available = dict(prose)
    for wanted in (*preferred, "en"):
        wanted = wanted.lower()
        if wanted in available:
            return wanted, available[wanted]
        base = wanted.split("-")[0]
        if base in available:
            return base, available[base]
    return prose[0]


@dataclass(frozen=True, kw_only=True)
class MarkDefinition:
    """The versioned terms of the mark ``mark`` (an IRI), issued by ``issuer``."""

    issuer: str
    mark: str
    version: str
    context: str
    name: str
    short_name: str
    terms: Prose
    says: Prose
    does_not_say: Prose
    earned_by: Prose
    lost_by: Prose
    lasts: Prose
    valid_from: datetime
    description: str | None = None

    def __post_init__(self) -> None:
        # the same checks as the schema, so that an invalid definition cannot exist
        for name in ("terms", *(py for _, py in DEED_FIELDS)):
            object.__setattr__(self, name, _prose(name, getattr(self, name)))
        if not isinstance(self.version, str) or not _VERSION.fullmatch(self.version):
            raise SchemaError("version must be letters, digits, '.' and '-' (at most 32), "
                              f"starting with a letter or digit, got {self.version!r:.40}")
        if self.valid_from.tzinfo is None:
            raise SchemaError("validFrom must be timezone-aware")
        definition_from_document(definition_document(self, check=False))

    @property
    def id(self) -> str:
        """The versioned terms' IRI: ``<mark>/<version>``."""
        return f"{self.mark}/{self.version}"

    def deed(self, preferred: tuple[str, ...] = ()) -> dict[str, tuple[str, str]]:
        """The deed's five parts in the best language for ``preferred``."""
        return {json_name: pick_language(getattr(self, py), preferred)
                for json_name, py in DEED_FIELDS}

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages in which the whole deed is available."""
        sets = [{lang for lang, _ in getattr(self, py)} for _, py in DEED_FIELDS]
        return tuple(sorted(set.intersection(*sets)))


def definition_document(definition: MarkDefinition, *, check: bool = True) -> dict[str, Any]:
    """The unsigned, canonical JSON form of ``definition``."""
    subject: dict[str, Any] = {
        "id": definition.mark, "version": definition.version,
        "trustContext": definition.context, "shortName": definition.short_name,
        "terms": dict(definition.terms),
    }
    for json_name, py in DEED_FIELDS:
        subject[json_name] = dict(getattr(definition, py))
    doc: dict[str, Any] = {
        "@context": [CREDENTIALS_V2_URL, CONFIANCE_CONTEXT_URL],
        "id": definition.id,
        "type": list(MARK_DEFINITION_TYPE),
        "issuer": definition.issuer,
        "name": definition.name,
    }
    if definition.description is not None:
        doc["description"] = definition.description
    doc["validFrom"] = format_datetime(definition.valid_from)
    doc["credentialSubject"] = subject
    if check:
        from .schemas import validate_document

        validate_document(doc, "MarkDefinition")
    return doc


def definition_from_document(doc: Mapping[str, Any]) -> MarkDefinition:
    """Parse a (signed or unsigned) mark definition, checking its schema and its id."""
    from .schemas import validate_document  # local: schemas loads package data lazily

    if not isinstance(doc, Mapping):
        raise SchemaError("a mark definition is a JSON object")
    validate_document(doc, "MarkDefinition")
    subject = doc["credentialSubject"]
    if doc["id"] != f"{subject['id']}/{subject['version']}":
        raise SchemaError("/id: a mark definition's id is its mark IRI, '/', its version "
                          f"({subject['id']}/{subject['version']})", pointer="/id")
    parsed = object.__new__(MarkDefinition)
    fields = {
        "issuer": doc["issuer"], "mark": subject["id"], "version": subject["version"],
        "context": subject["trustContext"], "name": doc["name"],
        "short_name": subject["shortName"], "terms": tuple(sorted(subject["terms"].items())),
        "valid_from": parse_datetime(doc["validFrom"], "validFrom"),
        "description": doc.get("description"),
    }
    for json_name, py in DEED_FIELDS:
        fields[py] = tuple(sorted(subject[json_name].items()))
    for name, value in fields.items():
        object.__setattr__(parsed, name, value)
    return parsed


def sign_definition(definition: MarkDefinition, key: KeyPair, *, created: datetime | str,
                    suite: str = DEFAULT_SUITE, loader: DocumentLoader | None = None,
                    limits: Limits | None = None) -> dict[str, Any]:
    """Sign ``definition`` with ``key``, whose controller must be the issuer."""
    controller = key.verification_method.partition("#")[0]
    if definition.issuer != controller:
        raise LocalProtocolError(f"the definition's issuer ({definition.issuer}) must be "
                                 f"the signing key's controller ({controller})")
    return sign(definition_document(definition), key, suite=suite, created=created,
                loader=loader, limits=limits)


def verify_definition(doc: Mapping[str, Any], *, now: datetime,
                      loader: DocumentLoader | None = None, limits: Limits | None = None,
                      key_resolver: KeyResolver | None = None) -> MarkDefinition:
    """Verify a signed mark definition (proofs, issuer binding, schema, canonical form)."""
    if not isinstance(doc, Mapping):
        raise MalformedDocument("a mark definition is a JSON object")
    verify(doc, now=now, loader=loader, limits=limits, key_resolver=key_resolver,
           require_issuer_binding=True).raise_for_failure()
    definition = definition_from_document(doc)
    body = {k: v for k, v in doc.items() if k != "proof"}
    if body != definition_document(definition, check=False):
        raise SchemaError("the mark definition is not in its canonical form: re-sign it with "
                          "this software's model")
    return definition
