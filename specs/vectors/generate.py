"""Generate the Confiance golden vectors (specs/vectors/*.json) with the public API only.

Run from the repository root::

    python specs/vectors/generate.py          # (re)write the files
    python specs/vectors/generate.py --check  # exit 1 if a file would change

One file per assertion kind and cryptosuite, plus a TrustMark carrying a W3C Bitstring
Status List entry (``credentialStatus``) and a mark definition (``MarkDefinition``, the
signed terms a TrustMark points to) per cryptosuite. Each holds the unsigned credential
(``input``), the key file (a fixed test seed: never use it for anything else), the proof
time, the canonical form that is hashed (``canonicalDocument``: N-Quads for
``eddsa-rdfc-2022``, JCS text for ``eddsa-jcs-2022``), the expected signed document and its
content id. ``tests/protocol/test_golden_vectors.py`` reproduces every file.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from confiance.protocol.canonical import canonicalize_jcs, canonicalize_rdfc
from confiance.protocol.ids import assertion_id, id_from_digest
from confiance.protocol.keys import KeyPair
from confiance.protocol.marks import MarkDefinition, definition_document
from confiance.protocol.model import (
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
    to_credential,
)
from confiance.protocol.rules import ThresholdRule
from confiance.protocol.signing import SUITES, sign

HERE = Path(__file__).resolve().parent
#: the fixed test key: seed 0x01 0x02 ... 0x20 (public, for vectors only)
SEED = bytes(range(1, 33))
CREATED = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def assertions(issuer: str) -> dict[str, Assertion]:
    """One assertion of each kind, with every optional member used somewhere."""
    common: dict[str, Any] = {"issuer": issuer, "valid_from": CREATED}
    none: dict[str, Any] = {**common, "context": None}
    target = id_from_digest(bytes(range(32)))
    return {
        "rating": Rating(**common, context="seller", subject="https://shop.example/",
                         score=4.5, scale=Scale(minimum=1, maximum=5,
                                                labels=((1, "poor"), (5, "excellent"))),
                         comment="Fast delivery, well packed.",
                         valid_until=CREATED + timedelta(days=365)),
        "trustmark": TrustMark(**common, context="seller", subject="did:example:alice",
                               mark="https://market.example/marks/feedback",
                               mark_version="2", status="97% positive over 1,204 sales",
                               value=97, evidence=("https://market.example/u/alice",),
                               name="Positive feedback"),
        "referral": Referral(**common, context="wiki-editor", subject="did:example:bob",
                             audience="https://wiki.example/", comment="Careful editor."),
        "recognition": Recognition(**common, context="seller",
                                   recognised="did:example:market",
                                   mark="https://market.example/marks/feedback",
                                   rule=ThresholdRule(thresholds=((98, 1), (90, 0.75)),
                                                      otherwise=0)),
        "revocation": Revocation(**none, target=target, reason="Issued by mistake."),
        "acceptance": Acceptance(**none, target=target, accepted=True,
                                 description="I accept this rating."),
        "trustmark-status": TrustMark(
            **common, context="seller", subject="did:example:alice",
            mark="https://market.example/marks/top-seller", status="Top seller",
            credential_status=StatusEntry(
                id="https://market.example/status/3#94567", status_purpose="revocation",
                status_list_index=94567,
                status_list_credential="https://market.example/status/3")),
    }


def mark_definition(issuer: str) -> MarkDefinition:
    """The definition of the trustmark vector's mark, in English and French."""
    return MarkDefinition(
        issuer=issuer, mark="https://market.example/marks/feedback", version="2",
        context="seller", name="Positive feedback", short_name="feedback",
        terms={"en": "The issuer states the share of positive feedback over the last 12 "
                     "months of completed sales, and revokes the mark on proven fraud."},
        says={"en": "The share of positive feedback over the last 12 months.",
              "fr": "La part d'avis positifs sur les 12 derniers mois."},
        does_not_say={"en": "Anything about the goods themselves.",
                      "fr": "Rien sur les biens eux-mêmes."},
        earned_by={"en": "Completed sales with feedback.", "fr": "Des ventes avec avis."},
        lost_by={"en": "Proven fraud.", "fr": "Une fraude avérée."},
        lasts={"en": "Until the next monthly update.",
               "fr": "Jusqu'à la mise à jour mensuelle suivante."},
        valid_from=CREATED)


def vectors() -> dict[str, dict[str, Any]]:
    key = KeyPair.generate(SEED)
    out: dict[str, dict[str, Any]] = {}
    documents: dict[str, tuple[str, dict[str, Any]]] = {
        kind: (f"A Confiance {assertion.kind} signed with {{suite}}"
               + (" (with a Bitstring Status List entry)." if assertion.credential_status
                  else "."), to_credential(assertion))
        for kind, assertion in assertions(key.did).items()}
    documents["markdefinition"] = ("A Confiance mark definition (the signed terms and deed "
                                   "of a trust mark) signed with {suite}.",
                                   definition_document(mark_definition(key.did)))
    for kind, (description, unsigned) in documents.items():
        for suite in SUITES:
            signed = sign(unsigned, key, suite=suite, created=CREATED)
            canonical = (canonicalize_rdfc(unsigned) if suite == "eddsa-rdfc-2022"
                         else canonicalize_jcs(unsigned).decode("utf-8"))
            out[f"{kind}-{suite}.json"] = {
                "description": description.format(suite=suite),
                "suite": suite,
                "created": format_datetime(CREATED),
                "key": key.to_json(),
                "input": unsigned,
                "canonicalDocument": canonical,
                "signed": signed,
                "id": assertion_id(signed),
            }
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    changed = []
    for name, vector in vectors().items():
        path = HERE / name
        text = json.dumps(vector, indent=2, ensure_ascii=False) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            changed.append(name)
            if not check:
                path.write_text(text, encoding="utf-8")
    if check and changed:
        print("out of date: " + ", ".join(changed), file=sys.stderr)
        return 1
    print(("checked " if check else "wrote ") + f"{len(vectors())} vectors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
