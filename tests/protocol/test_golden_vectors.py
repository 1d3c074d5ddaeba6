"""Our own golden vectors (specs/vectors/*.json) reproduce exactly, and verify."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from confiance.protocol.assertions import verify_assertion
from confiance.protocol.canonical import canonicalize_jcs, canonicalize_rdfc
from confiance.protocol.ids import assertion_id
from confiance.protocol.keys import KeyPair
from confiance.protocol.marks import verify_definition
from confiance.protocol.model import parse_datetime
from confiance.protocol.signing import sign

VECTORS = Path(__file__).resolve().parents[2] / "specs" / "vectors"
FILES = sorted(p.name for p in VECTORS.glob("*.json"))


def test_there_is_one_vector_per_kind_and_suite() -> None:
    # six kinds, a TrustMark with credentialStatus and a mark definition, two suites
    assert len(FILES) == 16
    assert "credentialStatus" in json.loads(
        (VECTORS / "trustmark-status-eddsa-rdfc-2022.json").read_text(encoding="utf-8")
    )["signed"]


@pytest.mark.parametrize("name", FILES)
def test_golden_vector(name: str) -> None:
    vector: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    key = KeyPair.from_json(vector["key"])
    suite = vector["suite"]
    canonical = (canonicalize_rdfc(vector["input"]) if suite == "eddsa-rdfc-2022"
                 else canonicalize_jcs(vector["input"]).decode("utf-8"))
    assert canonical == vector["canonicalDocument"]
    signed = sign(vector["input"], key, suite=suite, created=vector["created"])
    assert signed == vector["signed"]
    assert assertion_id(signed) == vector["id"]
    now = parse_datetime(vector["created"]) + timedelta(days=1)
    if name.startswith("markdefinition-"):
        definition = verify_definition(vector["signed"], now=now)
        assert definition.issuer == key.did and definition.id == vector["signed"]["id"]
        return
    checked = verify_assertion(vector["signed"], now=now)
    assert checked.id == vector["id"]
    assert checked.issuer == key.did


def test_the_generator_is_up_to_date() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", VECTORS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, vector in module.vectors().items():
        on_disk = json.loads((VECTORS / name).read_text(encoding="utf-8"))
        assert on_disk == json.loads(json.dumps(vector)), name
