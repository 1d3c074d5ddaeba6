"""``confiance marks create`` and ``confiance badges export``, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from livenode import MARK_FILE, cli, live_node, load
from nodehelpers import Party


def test_export_from_a_running_node_verifies_offline(tmp_path: Path) -> None:
    with live_node(tmp_path) as node:
        out = tmp_path / "site"
        cli("badges", "export", "--subject", node.holder.did, "--out", str(out),
            "--node", node.base)
        badge = out / "badges" / node.short
        assert (out / "index.html").exists() and (out / "confiance.css").exists()
        index = (out / "index.html").read_text(encoding="utf-8")
        assert f"badges/{node.short}/badge.svg" in index and "Top seller" in index
        page = (badge / "index.html").read_text(encoding="utf-8")
        assert 'href="../../confiance.css"' in page and "At least 95%" in page
        assert 'id="status-word">valid<' in page
        assert f"{node.base}/badges/{node.short}.svg" in page  # the embed shows the live badge
        assert "This copy was checked when it was made" in page
        assert "top seller: valid" in (badge / "badge.svg").read_text(encoding="utf-8")
        [did_file] = (out / "keys").glob("*.did.json")
        result = cli("verify", "--require-issuer-binding", "--did-document", str(did_file),
                     str(badge / "assertion.jsonld"))
        assert result.returncode == 0 and "valid" in result.stderr
        # without the issuer's DID document a did:web proof cannot be checked offline
        refused = cli("verify", str(badge / "assertion.jsonld"), check=False)
        assert refused.returncode == 1
        [definition] = (out / "marks").glob("*.jsonld")
        assert load(definition)["credentialSubject"]["shortName"] == "top seller"
        # revoked at the node: a new export says so
        node.revoke()
        cli("badges", "export", "--subject", node.holder.did, "--out", str(out), "--node",
            node.base)
        assert 'id="status-word">revoked<' in (badge / "index.html").read_text(encoding="utf-8")


def test_export_from_signed_files_without_a_node(tmp_path: Path) -> None:
    me = Party(9)
    key = tmp_path / "me.json"
    key.write_text(json.dumps(me.key.to_json()), encoding="utf-8")
    definition = tmp_path / "def.json"
    made = cli("marks", "create", str(MARK_FILE), "--key", str(key), "--base-url",
               "https://me.example", "--created", "2026-01-01T00:00:00Z")
    definition.write_text(made.stdout, encoding="utf-8")
    mark = cli("assert", "mark", "--key", str(key), "--subject", "did:example:alice",
               "--definition", str(definition), "--value", "Top seller",
               "--created", "2026-01-02T00:00:00Z")
    signed = json.loads(mark.stdout)
    assert signed["credentialSubject"]["mark"] == {"id": "https://me.example/marks/top-seller",
                                                   "version": "1"}
    assert signed["credentialSubject"]["trustContext"] == "seller"
    files = tmp_path / "alice-mark.json"
    files.write_text(mark.stdout, encoding="utf-8")
    out = tmp_path / "site"
    cli("badges", "export", "--subject", "did:example:alice", "--out", str(out),
        "--definition", str(definition), str(files), "--lang", "fr")
    [page] = (out / "badges").glob("*/index.html")
    text = page.read_text(encoding="utf-8")
    assert 'lang="fr"' in text and "Au moins 95 %" in text and "révocation non vérifiée" in text
    assert cli("verify", str(page.parent / "assertion.jsonld")).returncode == 0
