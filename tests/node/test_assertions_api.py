"""POST/GET /assertions: verified ingest, idempotency, fetching, listing, statuses."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from nodehelpers import Party, now, quote

from confiance.protocol.ids import assertion_id

Client = TestClient[Any, Any]
LD = {"Content-Type": "application/ld+json"}


async def post(client: Client, doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await client.post("/assertions", data=json.dumps(doc), headers=LD)
    return response.status, await response.json(content_type=None)


async def test_health(client: Client) -> None:
    response = await client.get("/health")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok" and body["did"] == "did:web:node.test%3A8080"


async def test_submit_is_idempotent_201_then_200(client: Client, alice: Party,
                                                 bob: Party) -> None:
    doc = alice.rating(bob.did)
    status, body = await post(client, doc)
    assert status == 201, body
    assert body["id"] == assertion_id(doc) and body["status"] == "valid"
    status, again = await post(client, doc)
    assert status == 200 and again["id"] == body["id"]


async def test_rdfc_assertions_are_accepted_too(client: Client, alice: Party,
                                                bob: Party) -> None:
    status, body = await post(client, alice.rating(bob.did, suite="eddsa-rdfc-2022"))
    assert status == 201, body


async def test_get_serves_the_exact_signed_document_with_its_status(
        client: Client, alice: Party, bob: Party) -> None:
    doc = alice.mark(bob.did)
    _, body = await post(client, doc)
    short = body["id"].rsplit(";", 1)[1]
    for path in (f"/assertions/{short}", f"/assertions/{quote(body['id'])}"):
        response = await client.get(path)
        assert response.status == 200
        assert response.content_type == "application/ld+json"
        assert response.headers["Confiance-Status"] == "valid"
        assert await response.json(content_type=None) == doc
    vc = await client.get(f"/assertions/{short}", headers={"Accept": "application/vc+ld+json"})
    assert vc.content_type == "application/vc+ld+json"
    env = await client.get(f"/assertions/{short}", headers={"Accept": "application/json"})
    envelope = await env.json()
    assert envelope["status"] == "valid" and envelope["document"] == doc
    assert envelope["issuer"] == alice.did and envelope["subject"] == bob.did
    etag = env.headers["ETag"]
    cached = await client.get(f"/assertions/{short}", headers={"If-None-Match": etag,
                                                               "Accept": "application/json"})
    assert cached.status == 304
    bad = await client.get(f"/assertions/{short}", headers={"Accept": "text/html"})
    assert bad.status == 406


async def test_revocation_by_the_issuer_is_visible_everywhere(
        client: Client, alice: Party, bob: Party, carol: Party) -> None:
    doc = alice.rating(bob.did)
    _, body = await post(client, doc)
    status, refused = await post(client, carol.revoke(body["id"]))
    assert status == 403 and refused["type"].endswith("/revocation-not-by-issuer")
    status, _ = await post(client, alice.revoke(body["id"]))
    assert status == 201
    response = await client.get(f"/assertions/{quote(body['id'])}")
    assert response.headers["Confiance-Status"] == "revoked"
    listing = await (await client.get("/assertions", params={"subject": bob.did})).json()
    assert [i["status"] for i in listing["items"]] == ["revoked"]
    _, again = await post(client, doc)
    assert again["status"] == "revoked"


async def test_newer_rating_supersedes_and_expired_is_reported(
        client: Client, alice: Party, bob: Party) -> None:
    old = alice.rating(bob.did, 2, valid_from=now() - timedelta(hours=2))
    new = alice.rating(bob.did, 5, valid_from=now() - timedelta(hours=1))
    _, first = await post(client, old)
    _, second = await post(client, new)
    got = await client.get(f"/assertions/{quote(first['id'])}")
    assert got.headers["Confiance-Status"] == "superseded"
    assert second["status"] == "valid"
    brief = alice.rating(bob.did, 3, context="courier",
                         valid_until=now() + timedelta(seconds=2))
    _, third = await post(client, brief)
    assert third["status"] == "valid"


async def test_listing_pages_with_an_opaque_cursor(client: Client, alice: Party,
                                                   bob: Party) -> None:
    ids = []
    for i in range(5):
        _, body = await post(client, alice.rating(f"did:key:z{i}subject", 3))
        ids.append(body["id"])
    seen: list[str] = []
    params: dict[str, str] = {"issuer": alice.did, "limit": "2"}
    while True:
        response = await client.get("/assertions", params=params)
        page = await response.json()
        seen += [item["id"] for item in page["items"]]
        if page["next"] is None:
            break
        assert 'rel="next"' in response.headers["Link"]
        params["cursor"] = page["next"]
    assert seen == ids
    other = await client.get("/assertions", params={"issuer": bob.did,
                                                   "cursor": params["cursor"]})
    assert other.status == 400 and (await other.json())["type"].endswith("/invalid-cursor")
    forged = await client.get("/assertions", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert forged.status == 400
    bad_kind = await client.get("/assertions", params={"kind": "Gossip"})
    assert bad_kind.status == 400
    bad_limit = await client.get("/assertions", params={"limit": "100000"})
    assert bad_limit.status == 400
    bad_since = await client.get("/assertions", params={"since": "yesterday"})
    assert bad_since.status == 400
    kinds = await (await client.get("/assertions", params={"kind": "Rating",
                                                           "since": "2000-01-01T00:00:00Z"}
                                    )).json()
    assert len(kinds["items"]) == 5
    future = await (await client.get("/assertions", params={"since": "2999-01-01T00:00:00Z"}
                                     )).json()
    assert future == {"items": [], "next": None}
