"""The offline document loader: pinned allow-list, folders with index.json, never the network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from confiance.protocol.canonical import canonicalize_rdfc
from confiance.protocol.contexts import (
    CONFIANCE_V1_URL,
    CREDENTIALS_V2_URL,
    DocumentLoader,
    default_loader,
)
from confiance.protocol.errors import ContextError

EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def test_the_default_allow_list() -> None:
    loader = default_loader()
    assert loader.urls == {CREDENTIALS_V2_URL, CONFIANCE_V1_URL}
    remote = loader(CREDENTIALS_V2_URL, {})
    assert remote["tag"] == "static" and remote["contextUrl"] is None
    assert remote["documentUrl"] == CREDENTIALS_V2_URL
    assert "VerifiableCredential" in remote["document"]["@context"]
    assert "type" in loader.type_aliases and "issuer" in loader.terms
    # served copies are private: changing one does not change the loader
    remote["document"]["@context"]["VerifiableCredential"] = "x"
    assert loader.document(CREDENTIALS_V2_URL)["@context"]["VerifiableCredential"] != "x"


@pytest.mark.parametrize("url", [
    "https://www.w3.org/ns/credentials/v1",
    "https://www.w3.org/2018/credentials/v1",
    "https://evil.example/context",
    "http://www.w3.org/ns/credentials/v2",
    "file:///etc/passwd",
])
def test_anything_else_is_refused_by_name(url: str) -> None:
    with pytest.raises(ContextError) as caught:
        default_loader()(url, {})
    assert url in caught.value.message
    doc = {"@context": [CREDENTIALS_V2_URL, url], "type": "VerifiableCredential"}
    with pytest.raises(ContextError, match="allow-list"):
        canonicalize_rdfc(doc, default_loader())


def test_a_context_folder(shared: Path) -> None:
    loader = default_loader().with_directory(shared / "contexts")
    index = json.loads((shared / "contexts" / "index.json").read_text())
    assert loader.urls == {*index, CREDENTIALS_V2_URL, CONFIANCE_V1_URL}
    assert EXAMPLES in loader and EXAMPLES not in default_loader()


def _folder(tmp_path: Path, index: object, files: dict[str, str] | None = None) -> Path:
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    (tmp_path / "index.json").write_text(json.dumps(index))
    return tmp_path


CONTEXT = json.dumps({"@context": {"colour": "https://example.org/colour"}})


def test_folder_contexts_are_served(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"https://example.org/ctx": "ctx.jsonld"},
                     {"ctx.jsonld": CONTEXT})
    loader = default_loader().with_directory(folder)
    doc = {"@context": "https://example.org/ctx", "@id": "urn:x", "colour": "blue"}
    assert canonicalize_rdfc(doc, loader) == '<urn:x> <https://example.org/colour> "blue" .\n'
    # loaders do not share what they have seen: pyld's own cache would
    with pytest.raises(ContextError):
        canonicalize_rdfc(doc, default_loader())


@pytest.mark.parametrize("index, files", [
    ({"https://example.org/ctx": "../ctx.jsonld"}, {}),
    ({"https://example.org/ctx": "/etc/passwd"}, {}),
    ({"https://example.org/ctx": "missing.jsonld"}, {}),
    ({"https://example.org/ctx": ""}, {}),
    ({"https://example.org/ctx": "sub"}, {}),
    ({"not a url": "ctx.jsonld"}, {"ctx.jsonld": CONTEXT}),
    ({"https://example.org/ctx": "ctx.jsonld"}, {"ctx.jsonld": "{not json"}),
    ({"https://example.org/ctx": "ctx.jsonld"}, {"ctx.jsonld": '{"no": "context"}'}),
    ({"https://example.org/ctx": "ctx.jsonld"},
     {"ctx.jsonld": '{"@context": {}, "@context": {}}'}),
    (["ctx.jsonld"], {}),
    ({"https://example.org/ctx": 5}, {}),
])
def test_bad_folders_are_refused(tmp_path: Path, index: object, files: dict[str, str]) -> None:
    (tmp_path / "sub").mkdir()
    with pytest.raises(ContextError):
        default_loader().with_directory(_folder(tmp_path, index, files))


def test_symbolic_links_out_of_the_folder_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.jsonld"
    outside.write_text(CONTEXT)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "ctx.jsonld").symlink_to(outside)
    _folder(folder, {"https://example.org/ctx": "ctx.jsonld"})
    with pytest.raises(ContextError, match="outside"):
        default_loader().with_directory(folder)


def test_missing_folder_and_bad_documents(tmp_path: Path) -> None:
    with pytest.raises(ContextError):
        default_loader().with_directory(tmp_path / "nope")
    with pytest.raises(ContextError):
        default_loader().with_documents({"https://example.org/x": {"no": "context"}})
    with pytest.raises(ContextError):
        DocumentLoader({"ftp://example.org/x": {"@context": {}}})
