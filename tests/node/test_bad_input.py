"""Hostile and broken input: each gets its specific 4xx problem, and the node carries on."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from nodehelpers import Factory, Party, admin_headers, node_of, quote, with_rates

from confiance.node.config import NodeConfig, RateLimit
from confiance.node.middlewares import PROBLEM_JSON

Client = TestClient[Any, Any]
PROBLEMS = "https://w3id.org/confiance/problems/"


async def problem(response: Any, status: int, slug: str | set[str]) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM_JSON
    body: dict[str, Any] = await response.json(content_type=None)
    slugs = {slug} if isinstance(slug, str) else slug
    assert body["type"].removeprefix(PROBLEMS) in slugs, body
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in json.dumps(body)
    return body


async def submit(client: Client, data: bytes | str, content_type: str = "application/json"
                 ) -> Any:
    return await client.post("/assertions", data=data, headers={"Content-Type": content_type})


async def test_malformed_json(client: Client) -> None:
    await problem(await submit(client, b'{"@context": ['), 400, "malformed-document")
    await problem(await submit(client, b'{"a": 1, "a": 2}'), 400, "malformed-document")
    await problem(await submit(client, b'[1, 2]'), 400, "malformed-document")
    await problem(await submit(client, b'{"x": NaN}'), 400, "malformed-document")
    await problem(await submit(client, b''), 400, "malformed-document")
    await problem(await submit(client, b'\xff\xfe'), 400, "malformed-document")


async def test_wrong_content_type(client: Client, alice: Party, bob: Party) -> None:
    body = json.dumps(alice.rating(bob.did))
    await problem(await submit(client, body, "text/plain"), 415, "unsupported-media-type")
    await problem(await submit(client, body, "application/x-www-form-urlencoded"), 415,
                  "unsupported-media-type")


async def test_oversized_bodies(client: Client) -> None:
    big = b'{"pad": "' + b"x" * (70 * 1024) + b'"}'
    await problem(await submit(client, big), 413, "document-too-large")

    async def chunks() -> Any:  # no Content-Length: the limit applies while streaming
        for _ in range(80):
            yield b"x" * 1024

    response = await client.post("/assertions", data=chunks(),
                                 headers={"Content-Type": "application/json"})
    await problem(response, 413, "document-too-large")


async def test_invalid_proofs(client: Client, alice: Party, bob: Party) -> None:
    doc = alice.rating(bob.did, 2)
    tampered = copy.deepcopy(doc)
    tampered["credentialSubject"]["score"] = 5
    await problem(await submit(client, json.dumps(tampered)), 422, "invalid-proof")
    unsigned = {k: v for k, v in doc.items() if k != "proof"}
    await problem(await submit(client, json.dumps(unsigned)), 422,
                  {"invalid-proof", "schema-violation"})
    # signed by someone else than the issuer
    forged = bob.rating("did:key:zSomeone")
    forged_doc = copy.deepcopy(forged)
    forged_doc["issuer"] = alice.did
    await problem(await submit(client, json.dumps(forged_doc)), 422,
                  {"invalid-proof", "issuer-not-bound"})


async def test_unknown_kind(client: Client, alice: Party, bob: Party) -> None:
    doc = alice.rating(bob.did)
    doc["type"] = ["VerifiableCredential", "TrustAssertion", "Gossip"]
    await problem(await submit(client, json.dumps(doc)), 422, "unknown-kind")
    doc["type"] = ["VerifiableCredential", "Gossip"]
    await problem(await submit(client, json.dumps(doc)), 422, "unknown-kind")
    doc["type"] = "Rating"
    await problem(await submit(client, json.dumps(doc)), 422,
                  {"schema-violation", "invalid-proof"})


async def test_unknown_did_web_issuer(client: Client, alice: Party, bob: Party) -> None:
    doc = alice.rating(bob.did)
    doc["issuer"] = "did:web:elsewhere.test"
    doc["proof"]["verificationMethod"] = "did:web:elsewhere.test#key-1"
    await problem(await submit(client, json.dumps(doc)), 422,
                  {"unknown-did-web-issuer", "invalid-proof"})


def _poisoned(issuer: str, nodes: int = 9) -> dict[str, Any]:
    """A blank-node clique: every node points at every other (the RDFC worst case)."""
    clique = [{"@id": f"_:b{i}", "knows": [{"@id": f"_:b{j}"} for j in range(nodes) if j != i]}
              for i in range(nodes)]
    return {"@context": ["https://www.w3.org/ns/credentials/v2",
                         "https://w3id.org/confiance/v1"],
            "type": ["VerifiableCredential", "TrustAssertion", "Rating"],
            "issuer": issuer, "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:key:zX", "trustContext": "seller", "score": 3,
                                  "scale": {"minimum": 1, "maximum": 5}, "comment": clique},
            "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                      "created": "2026-01-01T00:00:00Z", "proofPurpose": "assertionMethod",
                      "verificationMethod": f"{issuer}#{issuer[8:]}",
                      "proofValue": "z" + "1" * 86}}


async def test_poisoned_graph_is_refused_fast(client: Client, alice: Party) -> None:
    started = time.perf_counter()
    response = await submit(client, json.dumps(_poisoned(alice.did)))
    await problem(response, 422, {"schema-violation", "too-many-blank-nodes",
                                  "canonicalization-too-costly", "undefined-term"})
    assert time.perf_counter() - started < 2.0
    assert (await client.get("/health")).status == 200


@pytest.mark.parametrize("path", [
    "/assertions/..%2F..%2Fetc%2Fpasswd", "/assertions/%00", "/assertions/" + "A" * 300,
    "/assertions/ni%3A%2F%2F%2Fsha-256%3B..%2F..%2F", "/assertions/ni%3A%2F%2F%2Fmd5%3Babc",
])
async def test_path_traversal_in_ids(client: Client, path: str) -> None:
    await problem(await client.get(path), 400, "invalid-id")


async def test_path_traversal_elsewhere(client: Client) -> None:
    headers = admin_headers(client)
    await problem(await client.post("/admin/revoke/..%2F..%2Fkeys", headers=headers), 400,
                  "invalid-id")
    await problem(await client.get("/status/..%2F..%2Fadmin.token"), 404, "not-found")
    await problem(await client.get("/status/0"), 404, "not-found")
    await problem(await client.get("/../admin.token"), 404, "not-found")


async def test_unknown_routes_and_methods(client: Client) -> None:
    await problem(await client.get("/nothing-here"), 404, "not-found")
    response = await client.delete("/assertions")
    body = await problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["Allow"] and body["instance"] == "/assertions"


async def test_a_flood_from_one_client_gets_429_and_others_carry_on(
        make_client: Factory, config: NodeConfig, alice: Party) -> None:
    limited = with_rates(config, writes=RateLimit(per_second=1, burst=5),
                         reads=RateLimit(per_second=1, burst=5))
    from dataclasses import replace
    client = await make_client(replace(limited, trust_forwarded_for=True))
    flood = {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"}
    statuses = []
    for i in range(12):
        response = await client.post("/assertions", data=json.dumps(
            alice.rating(f"did:key:zFlood{i}")), headers=flood)
        statuses.append(response.status)
        if response.status == 429:
            assert int(response.headers["Retry-After"]) >= 1
            await problem(response, 429, "rate-limited")
    assert statuses[:5] == [201] * 5 and set(statuses[5:]) == {429}
    other = await client.post("/assertions", data=json.dumps(alice.rating("did:key:zCalm")),
                              headers={"Content-Type": "application/json",
                                       "X-Forwarded-For": "198.51.100.7"})
    assert other.status == 201
    assert (await client.get("/health", headers={"X-Forwarded-For": "203.0.113.9"})).status \
        == 200
    # the operator is never rate limited
    ok = await client.post("/admin/issue", headers={**admin_headers(client), **flood},
                           json={"kind": "Rating", "credentialSubject": {
                               "id": "did:key:zOp", "trustContext": "seller", "score": 4,
                               "scale": {"minimum": 1, "maximum": 5}}})
    assert ok.status == 201


async def test_nothing_stored_is_lost_after_abuse(client: Client, alice: Party,
                                                  bob: Party) -> None:
    doc = alice.rating(bob.did)
    created = await submit(client, json.dumps(doc))
    held = (await created.json())["id"]
    for bad in (b"{", b'{"a":1,"a":1}', json.dumps(_poisoned(alice.did)).encode()):
        assert (await submit(client, bad)).status in (400, 422)
    assert (await client.get(f"/assertions/{quote(held)}")).status == 200
    assert await node_of(client).store.integrity_check() == "ok"
