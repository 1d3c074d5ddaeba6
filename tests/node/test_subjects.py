"""Subject rights: request mode, consent (acceptances, the cap), export and erasure."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from nodehelpers import NODE_DID, Factory, Party, admin_headers, node_of, now, quote

from confiance.node.config import NodeConfig
from confiance.node.subjectauth import make_subject_request
from confiance.protocol.signing import verify

Client = TestClient[Any, Any]


def mark_for(subject: str, context: str = "seller") -> dict[str, Any]:
    return {"kind": "TrustMark", "credentialSubject": {
        "id": subject, "trustContext": context, "mark": {"id": "https://marks.test/top"},
        "status": "Top seller"}}


async def issue(client: Client, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/admin/issue", json=body, headers=admin_headers(client))
    assert response.status == 201, await response.text()
    return await response.json()  # type: ignore[no-any-return]


def signed_request(party: Party, method: str, path: str, body: bytes = b"", **kw: Any) -> str:
    return make_subject_request(party.key, audience=kw.pop("audience", NODE_DID), method=method,
                                path=path, body=body, created=kw.pop("created", now()), **kw)


async def test_request_mode_status_is_signed_and_consent_filtered(client: Client,
                                                                  bob: Party) -> None:
    kept = await issue(client, mark_for(bob.did))
    rejected = await issue(client, mark_for(bob.did, "courier"))
    await issue(client, mark_for("did:key:zSomeoneElse"))
    decision = await client.post(f"/subjects/{quote(bob.did)}/acceptances",
                                 json=bob.decide(rejected["id"], False))
    assert decision.status == 201, await decision.text()
    response = await client.get(f"/subjects/{quote(bob.did)}/status")
    assert response.status == 200
    report = await response.json(content_type=None)
    node = node_of(client)
    assert verify(report, now=now(), loader=node.loader, key_resolver=node.keyring.resolve,
                  proof_purpose="assertionMethod").ok
    assert report["holder"] == NODE_DID and report["reportSubject"] == bob.did
    assert [vc["credentialSubject"]["trustContext"] for vc in report["verifiableCredential"]] \
        == ["seller"]
    assert report["verifiableCredential"][0] == kept["document"]
    only = await (await client.get(f"/subjects/{quote(bob.did)}/status",
                                   params={"context": "courier"})).json(content_type=None)
    assert "verifiableCredential" not in only
    hidden = await client.get(f"/assertions/{quote(rejected['id'])}")
    assert hidden.status == 410
    assert (await hidden.json(content_type=None))["type"].endswith("/rejected-by-subject")


async def test_only_the_subject_decides(client: Client, alice: Party, bob: Party,
                                        carol: Party) -> None:
    held = await (await client.post("/assertions", json=alice.rating(bob.did))).json()
    wrong_path = await client.post(f"/subjects/{quote(bob.did)}/acceptances",
                                   json=carol.decide(held["id"], False))
    assert wrong_path.status == 403
    direct = await client.post("/assertions", json=carol.decide(held["id"], False))
    assert direct.status == 403
    assert (await direct.json(content_type=None))["type"].endswith("/acceptance-not-by-subject")
    not_acceptance = await client.post(f"/subjects/{quote(bob.did)}/acceptances",
                                       json=bob.rating(alice.did))
    assert not_acceptance.status == 422
    unknown = await client.post("/assertions", json=bob.decide("ni:///sha-256;" + "A" * 43,
                                                               True))
    assert unknown.status == 409
    assert (await unknown.json(content_type=None))["type"].endswith("/target-not-held")


async def test_cap_on_unaccepted_assertions(make_client: Factory, config: NodeConfig,
                                            alice: Party, bob: Party) -> None:
    client = await make_client(replace(config, max_unaccepted_per_subject=2))
    ids = []
    for context in ("a", "b"):
        response = await client.post("/assertions", json=alice.rating(bob.did, context=context))
        assert response.status == 201
        ids.append((await response.json())["id"])
    capped = await client.post("/assertions", json=alice.rating(bob.did, context="c"))
    assert capped.status == 409
    assert (await capped.json(content_type=None))["type"].endswith("/subject-cap-reached")
    await client.post("/assertions", json=bob.decide(ids[0], True))
    assert (await client.post("/assertions",
                              json=alice.rating(bob.did, context="c"))).status == 201


async def test_export_needs_a_fresh_signed_request(client: Client, alice: Party,
                                                   bob: Party) -> None:
    about = await (await client.post("/assertions", json=alice.rating(bob.did))).json()
    issued = await (await client.post("/assertions", json=bob.rating(alice.did))).json()
    path = f"/subjects/{bob.did}/export"
    url = f"/subjects/{quote(bob.did)}/export"
    assert (await client.get(url)).status == 401
    header = signed_request(bob, "GET", path)
    response = await client.get(url, headers={"Authorization": header})
    assert response.status == 200, await response.text()
    export = await response.json()
    assert [a["id"] for a in export["about"]] == [about["id"]]
    assert [a["id"] for a in export["issued"]] == [issued["id"]]
    replay = await client.get(url, headers={"Authorization": header})
    assert replay.status == 409
    assert (await replay.json(content_type=None))["type"].endswith("/replayed-request")
    for bad in (signed_request(alice, "GET", path),                       # not the subject
                signed_request(bob, "GET", path, audience="did:web:other.test"),
                signed_request(bob, "POST", path),                        # other method
                signed_request(bob, "GET", f"/subjects/{bob.did}/status"),  # other path
                signed_request(bob, "GET", path, created=now() - timedelta(minutes=10)),
                signed_request(bob, "GET", path, ttl_seconds=3600),
                "Confiance-DI !!!", "Bearer xyz"):
        refused = await client.get(url, headers={"Authorization": bad})
        assert refused.status == 401, bad
        assert refused.headers["WWW-Authenticate"].startswith("Confiance-DI")


async def test_erasure_keeps_tombstones(client: Client, alice: Party, bob: Party) -> None:
    stored: list[str] = []
    erased_events: list[list[str]] = []

    async def on_erasure(ids: list[str]) -> None:
        erased_events.append(ids)

    node_of(client).ingestor.subscribe(lambda s: stored.append(s.id))
    node_of(client).ingestor.subscribe_erasure(on_erasure)
    mine = bob.rating(alice.did)
    held = await (await client.post("/assertions", json=mine)).json()
    theirs = await (await client.post("/assertions", json=alice.rating(bob.did))).json()
    path = f"/subjects/{bob.did}/erasure"
    body = json.dumps({"ids": [theirs["id"]]}).encode()
    refused = await client.post(f"/subjects/{quote(bob.did)}/erasure", data=body, headers={
        "Content-Type": "application/json",
        "Authorization": signed_request(bob, "POST", path, body)})
    assert refused.status == 403  # bob did not issue it: he can reject it, not erase it
    body = json.dumps({"ids": [held["id"]]}).encode()
    tampered = await client.post(f"/subjects/{quote(bob.did)}/erasure",
                                 data=json.dumps({"all": True}), headers={
        "Content-Type": "application/json",
        "Authorization": signed_request(bob, "POST", path, body)})
    assert tampered.status == 401  # the body digest binds the request to its body
    response = await client.post(f"/subjects/{quote(bob.did)}/erasure", data=body, headers={
        "Content-Type": "application/json",
        "Authorization": signed_request(bob, "POST", path, body)})
    assert response.status == 200, await response.text()
    assert (await response.json())["erased"] == [held["id"]]
    assert stored == [held["id"], theirs["id"]] and erased_events == [[held["id"]]]
    gone = await client.get(f"/assertions/{quote(held['id'])}")
    assert gone.status == 410 and (await gone.json(content_type=None))["type"].endswith(
        "/erased")
    comeback = await client.post("/assertions", json=mine)
    assert comeback.status == 410
    export = await (await client.get(f"/subjects/{quote(bob.did)}/export", headers={
        "Authorization": signed_request(bob, "GET", f"/subjects/{bob.did}/export")})).json()
    assert export["issued"] == [] and [e["id"] for e in export["erased"]] == [held["id"]]
