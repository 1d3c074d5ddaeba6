"""Issue 9's defects found by trying the node as a newcomer, each pinned by a test.

Ids as printed work everywhere (route, ``--target``, piping); ``/admin/issue`` refuses a
non-string kind with a 400; admin operations answer 401 before any rate limit; every
answer says ``nosniff``; ``confiance verify`` and the node give the same verdict; data
files are 0600; ``peers list`` and ``peers add`` say when a peer does not recognise us.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gossipnet import LiveNode, free_ports
from nodehelpers import Party, admin_headers, now, with_rates
from nodehelpers import run_cli as run

from confiance.node.config import NodeConfig, RateLimit
from confiance.node.datadir import initialise_data_dir
from confiance.node.storage.gossip_sqlite import open_sync
from confiance.protocol.model import Rating, Scale, to_credential
from confiance.protocol.signing import sign

Client = TestClient[Any, Any]
MARK = {"kind": "TrustMark", "credentialSubject": {
    "id": "did:key:zShop", "trustContext": "seller",
    "mark": {"id": "https://marks.test/top"}, "status": "Top seller"}}


# ----------------------------------------------------------------------------- 6: ids


async def test_the_id_as_printed_is_a_valid_path(client: Client) -> None:
    issued = await client.post("/admin/issue", json=MARK, headers=admin_headers(client))
    full = (await issued.json())["id"]
    assert full.startswith("ni:///sha-256;")
    answer = await client.get(f"/assertions/{full}")  # unencoded, as printed
    assert answer.status == 200, await answer.text()
    assert answer.headers["Confiance-Status"] == "valid"
    revoked = await client.post(f"/admin/revoke/{full}", headers=admin_headers(client))
    assert revoked.status == 201
    bad = await client.get("/assertions/ni:///sha-256;tooshort")
    assert bad.status == 400 and (await bad.json(content_type=None))["type"].endswith(
        "/invalid-id")


def test_ids_pipe_from_assert_to_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    key = tmp_path / "me.json"
    assert run(capsys, "keygen", "-o", str(key))[0] == 0
    code, out, err = run(capsys, "assert", "rating", "--key", str(key), "--subject",
                         "did:example:bob", "--context", "seller", "--score", "4")
    assert code == 0
    printed = err.strip()  # the id alone on stderr
    code, out, _ = run(capsys, "assert", "rating", "--key", str(key), "--subject",
                       "did:example:bob", "--context", "seller", "--score", "4", "--json")
    as_json = json.loads(out)
    assert set(as_json) == {"id", "document"} and as_json["id"].startswith("ni:///sha-256;")
    digest = printed.rsplit(";", 1)[1]
    for form in (printed, digest, f"https://node.example/assertions/{digest}"):
        code, out, err = run(capsys, "assert", "revocation", "--key", str(key),
                             "--target", form)
        assert code == 0, err
        assert json.loads(out)["credentialSubject"]["id"] == printed
    code, _, err = run(capsys, "assert", "revocation", "--key", str(key), "--target",
                       "id: " + printed)
    assert code == 2 and "--target must be an assertion id" in err


# ----------------------------------------------------------------------------- 7, 8


@pytest.mark.parametrize("kind", [["TrustMark"], {"TrustMark": 1}, 7])
async def test_issue_refuses_a_kind_that_is_not_a_string(client: Client, kind: object) -> None:
    answer = await client.post("/admin/issue", json={**MARK, "kind": kind},
                               headers=admin_headers(client))
    assert answer.status == 400
    assert (await answer.json(content_type=None))["parameter"] == "kind"


async def test_admin_operations_answer_401_not_429_without_the_token(
        make_client: Any, config: NodeConfig) -> None:
    client = await make_client(with_rates(config, writes=RateLimit(per_second=0.01, burst=2)))
    paths = [("POST", "/admin/issue"), ("POST", "/admin/rotate-key"),
             ("POST", "/admin/revoke/" + "A" * 43), ("GET", "/admin/peers"),
             ("POST", "/admin/peers"), ("DELETE", "/admin/peers/x"),
             ("POST", "/admin/peers/x/reinstate")]
    for _ in range(3):
        for method, path in paths:
            answer = await client.request(method, path, json={})
            assert answer.status == 401, (method, path, answer.status)
    spent = [(await client.post("/assertions", json={})).status for _ in range(3)]
    assert 429 in spent  # the limit still holds where it applies


# ----------------------------------------------------------------------------- 12


async def test_every_answer_says_nosniff(client: Client) -> None:
    for method, path in (("GET", "/health"), ("GET", "/nowhere"), ("POST", "/admin/issue"),
                         ("GET", "/assertions/nonsense"), ("GET", "/openapi.json"),
                         ("PUT", "/health")):
        answer = await client.request(method, path)
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", (method, path)


def test_every_data_file_is_0600(tmp_path: Path) -> None:
    config = NodeConfig(data_dir=tmp_path / "d")
    old = os.umask(0o022)  # a usual umask: the modes must not depend on it
    try:
        initialise_data_dir(config, now=now())
        open_sync(config.data_dir).close()
    finally:
        os.umask(old)
    for name in ("confiance.toml", "admin.token", "confiance.sqlite3", "gossip.sqlite3"):
        assert stat.S_IMODE(os.stat(config.data_dir / name).st_mode) == 0o600, name


# ----------------------------------------------------------------------------- 11


async def test_verify_gives_the_nodes_verdict(client: Client, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    party = Party(3)
    credential = to_credential(Rating(
        issuer=party.did, context="seller", valid_from=now() - timedelta(minutes=1),
        subject="did:example:bob", score=4, scale=Scale(minimum=1, maximum=5),
        comment="fine"))
    credential["credentialSubject"]["comment"] = "fine\x00"  # the model would refuse it
    doc = sign(credential, party.key, suite="eddsa-jcs-2022",
               created=now() - timedelta(seconds=5))
    path = tmp_path / "nul.json"
    path.write_text(json.dumps(doc))
    code, out, _ = await asyncio.to_thread(run, capsys, "verify", "--json", str(path))
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    check = next(c for c in report["checks"] if c["name"] == "confiance-assertion")
    assert check["status"] == "fail" and check["problem"] == "schema-violation"
    answer = await client.post("/assertions", json=doc)
    assert answer.status == 422
    assert (await answer.json(content_type=None))["type"].endswith("/schema-violation")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(party.rating("did:example:bob")))
    code, out, _ = await asyncio.to_thread(run, capsys, "verify", "--json", str(good))
    assert code == 0
    assert [c["status"] for c in json.loads(out)["checks"]
            if c["name"] == "confiance-assertion"] == ["pass"]


# ----------------------------------------------------------------------------- 5


async def test_peers_say_when_the_peer_does_not_recognise_us(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = (LiveNode(tmp_path / n, p) for n, p in zip("ab", free_ports(2), strict=True))
    await a.start()
    await b.start()
    try:
        data = str(a.config.data_dir)
        code, out, err = await asyncio.to_thread(run, capsys, "peers", "add", b.url,
                                                 "--name", "bee", "--data-dir", data)
        assert code == 0, err
        advice = f"on that node run: confiance peers add {a.url} [--data-dir ITS_DATA_DIR]"
        assert "first exchange: it does not recognise this node yet" in out and advice in out
        code, out, _ = await asyncio.to_thread(run, capsys, "peers", "list", "--data-dir",
                                               data)
        header, row, reason = out.splitlines()[:3]
        assert header.split()[:4] == ["NAME", "URL", "STATE", "SCORE"]
        assert row.split()[:3] == ["bee", b.url, "failing"]
        assert advice in reason
        code, out, _ = await asyncio.to_thread(run, capsys, "peers", "list", "--json",
                                               "--data-dir", data)
        assert json.loads(out)[0]["state"] == "failing"
        # once b recognises a, the exchange works and the state says so
        code, out, err = await asyncio.to_thread(run, capsys, "peers", "add", a.url,
                                                 "--data-dir", str(b.config.data_dir))
        assert code == 0 and "first exchange: exchanging with it now" in out, out + err
    finally:
        await a.stop()
        await b.stop()
