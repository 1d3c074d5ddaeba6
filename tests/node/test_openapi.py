"""The OpenAPI document matches the routes, in both directions."""

from __future__ import annotations

import re
from pathlib import Path

from confiance.node.app import create_app
from confiance.node.config import NodeConfig
from confiance.node.openapi import openapi_document, registered_paths


def test_openapi_matches_the_router(tmp_path: Path) -> None:
    app = create_app(NodeConfig(data_dir=tmp_path))
    served = registered_paths(app.router)
    doc = openapi_document("0", served)
    documented = {(method, path) for path, item in doc["paths"].items() for method in item}
    assert served - documented == set(), "routes missing from node/openapi.py"
    assert documented - served == set(), "documented paths with no route"


def test_openapi_document_is_well_formed() -> None:
    doc = openapi_document("1.2.3")
    assert doc["openapi"] == "3.1.0" and doc["info"]["version"] == "1.2.3"
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    for path, item in doc["paths"].items():
        for op in item.values():
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == set(re.findall(r"\{(\w+)\}", path)), path
            assert op["responses"]
