"""Operator endpoints: issue, revoke (status list bit), rotate the key; did:web identity."""

from __future__ import annotations

import base64
import copy
import gzip
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from nodehelpers import NODE_DID, PUBLIC_URL, Party, admin_headers, node_of, now, quote

from confiance.node.statuslist import decode_bits
from confiance.protocol.assertions import verify_assertion
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import Rating, Scale, to_credential
from confiance.protocol.signing import verify

Client = TestClient[Any, Any]
MARK = {"kind": "TrustMark", "credentialSubject": {
    "id": "did:key:zShop", "trustContext": "seller",
    "mark": {"id": "https://marks.test/top"}, "status": "Top seller"}}


async def issue(client: Client, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post("/admin/issue", json=body or MARK, headers=admin_headers(client))
    assert response.status == 201, await response.text()
    return await response.json()  # type: ignore[no-any-return]


async def test_admin_endpoints_need_the_token(client: Client) -> None:
    for path in ("/admin/issue", "/admin/rotate-key", "/admin/revoke/" + "A" * 43):
        response = await client.post(path, json=MARK)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json(content_type=None))["type"].endswith(
            "/admin-token-required")
    wrong = await client.post("/admin/issue", json=MARK,
                              headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status == 401


async def test_issue_signs_as_the_node_did_web(client: Client) -> None:
    body = await issue(client)
    doc = body["document"]
    assert doc["issuer"] == NODE_DID
    assert doc["proof"]["verificationMethod"] == NODE_DID + "#key-1"
    node = node_of(client)
    signed = verify_assertion(doc, now=now(), loader=node.loader,
                              key_resolver=node.keyring.resolve)
    assert signed.id == body["id"]
    assert body["credentialStatus"]["statusListCredential"].endswith("/status/1")
    fetched = await client.get(f"/assertions/{quote(body['id'])}")
    assert await fetched.json(content_type=None) == doc
    rdfc = await issue(client, {**MARK, "suite": "eddsa-rdfc-2022", "validUntil":
                                "2999-01-01T00:00:00Z", "name": "Top seller 2026"})
    assert rdfc["document"]["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert verify_assertion(rdfc["document"], now=now(), loader=node.loader,
                            key_resolver=node.keyring.resolve).id == rdfc["id"]


async def test_issue_refuses_bad_fields(client: Client) -> None:
    headers = admin_headers(client)
    for body, status in ((({"kind": "Revocation", "credentialSubject": {}}), 400),
                         ({"kind": "TrustMark", "credentialSubject": {"id": "x"}}, 422),
                         ({**MARK, "colour": "red"}, 400),
                         ({**MARK, "suite": "rsa"}, 400)):
        response = await client.post("/admin/issue", json=body, headers=headers)
        assert response.status == status, (body, await response.text())


async def test_revoke_sets_the_status_list_bit(client: Client) -> None:
    first = await issue(client)
    second = await issue(client, {**MARK, "credentialSubject": {
        **MARK["credentialSubject"], "id": "did:key:zOther"}})
    headers = admin_headers(client)
    response = await client.post(f"/admin/revoke/{quote(second['id'])}",
                                 json={"reason": "no longer trading"}, headers=headers)
    assert response.status == 201, await response.text()
    again = await client.post(f"/admin/revoke/{quote(second['id'])}", headers=headers)
    assert again.status == 200
    status = await client.get("/status/1")
    assert status.status == 200
    credential = await status.json(content_type=None)
    node = node_of(client)
    assert verify(credential, now=now(), loader=node.loader,
                  key_resolver=node.keyring.resolve, require_issuer_binding=True).ok
    bits = decode_bits(credential["credentialSubject"]["encodedList"])
    index_1 = int(first["credentialStatus"]["statusListIndex"])
    index_2 = int(second["credentialStatus"]["statusListIndex"])
    assert len(bits) * 8 == node.config.status_list_size
    assert not bits[index_1 // 8] & (0x80 >> index_1 % 8)
    assert bits[index_2 // 8] & (0x80 >> index_2 % 8)
    revoked = await client.get(f"/assertions/{quote(second['id'])}")
    assert revoked.headers["Confiance-Status"] == "revoked"
    listed = await (await client.get("/assertions", params={"subject": "did:key:zOther"})).json()
    assert [item["status"] for item in listed["items"]] == ["revoked"]
    report = await (await client.get("/subjects/did:key:zOther/status")).json(
        content_type=None)
    assert "verifiableCredential" not in report  # request mode no longer asserts it
    assert (await client.get("/status/2")).status == 404


async def test_node_refuses_to_revoke_what_it_did_not_issue(client: Client, alice: Party,
                                                           bob: Party) -> None:
    doc = alice.rating(bob.did)
    held = await (await client.post("/assertions", json=doc)).json()
    response = await client.post(f"/admin/revoke/{quote(held['id'])}",
                                 headers=admin_headers(client))
    assert response.status == 403
    missing = await client.post("/admin/revoke/" + "A" * 43, headers=admin_headers(client))
    assert missing.status == 404


async def test_key_rotation(client: Client, config: Any) -> None:
    node = node_of(client)
    before = await issue(client)
    old_secret = json.loads((Path(config.keys_dir) / "key-1.secret.json").read_text())
    old_key = KeyPair.from_json(old_secret)
    response = await client.post("/admin/rotate-key", headers=admin_headers(client))
    assert response.status == 201
    rotated = await response.json()
    assert rotated["previous"].endswith("#key-1") and rotated["current"].endswith("#key-2")
    statement = rotated["statement"]
    assert verify(statement, now=now(), loader=node.loader, proof_purpose="capabilityInvocation",
                  key_resolver=lambda vm: node.keyring.resolve(vm, rotation=True)).ok
    assert statement["proof"]["verificationMethod"].endswith("#rotation-1")
    assert not (Path(config.keys_dir) / "key-1.secret.json").exists()
    # the descriptor and DID document list both keys with their periods
    desc = await (await client.get("/.well-known/confiance")).json()
    keys = {k["id"].split("#")[1]: k for k in desc["verificationMethods"]}
    assert keys["key-1"]["status"] == "retired" and "validUntil" in keys["key-1"]
    assert keys["key-2"]["status"] == "current"
    assert desc["keyRotations"] == [statement]
    did = await (await client.get("/.well-known/did.json")).json(content_type=None)
    assert NODE_DID + "#key-1" in did["assertionMethod"]
    assert did["capabilityInvocation"] == [NODE_DID + "#rotation-1"]
    # signed before the rotation: still verifies; new issues use key-2
    assert verify_assertion(before["document"], now=now(), loader=node.loader,
                            key_resolver=node.keyring.resolve).id == before["id"]
    after = await issue(client)
    assert after["document"]["proof"]["verificationMethod"] == NODE_DID + "#key-2"
    # signed with the retired key after its retirement: refused
    from confiance.node.keyring import NodeKey
    from confiance.protocol.signing import sign

    late = Rating(issuer=NODE_DID, context="seller", valid_from=now() - timedelta(minutes=1),
                  subject="did:key:zLate", score=1, scale=Scale(minimum=1, maximum=5))
    stolen = NodeKey(old_key, NODE_DID + "#key-1")
    forged = sign(to_credential(late), stolen, created=now(), loader=node.loader)
    refused = await client.post("/assertions", json=forged)
    assert refused.status == 422
    assert (await refused.json(content_type=None))["type"].endswith(
        ("/unresolvable-key", "/outside-validity-period"))
    # a proof dated inside the key's period verifies (the limit of time-based validity,
    # documented in specs/node-api.md: rotation stops new use, not backdating)
    first_key = node.keyring.signing_records[0]
    assert first_key.valid_until is not None
    inside = first_key.valid_from + (first_key.valid_until - first_key.valid_from) / 2
    backdated = sign(to_credential(late), stolen, created=inside, loader=node.loader)
    assert (await client.post("/assertions", json=backdated)).status == 201


async def test_wellknown_context_and_openapi(client: Client) -> None:
    desc = await (await client.get("/.well-known/confiance")).json()
    assert desc["did"] == NODE_DID and desc["software"]["name"] == "confiance"
    assert desc["url"] == "http://node.test:8080"
    ctx = await client.get("/contexts/v1")
    assert ctx.content_type == "application/ld+json"
    assert "trustContext" in (await ctx.json(content_type=None))["@context"]
    node_ctx = await (await client.get("/contexts/node-v1")).json(content_type=None)
    assert "KeyRotation" in node_ctx["@context"]
    api = await (await client.get("/openapi.json")).json()
    assert api["openapi"].startswith("3.1")


def _bit(encoded_list: str, index: int) -> int:
    """Read one bit as a verifier would, from the spec alone (not the node's helper):
    multibase base64url (prefix ``u``, no padding), GZIP, index 0 = left-most bit."""
    assert encoded_list.startswith("u")
    data = encoded_list[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    return (bits[index // 8] >> (7 - index % 8)) & 1


async def _status_bit(client: Client, document: dict[str, Any]) -> int:
    """Follow the signed document's own ``credentialStatus``; verify the list; read the bit."""
    entry = document["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    url = entry["statusListCredential"]
    assert url.startswith(PUBLIC_URL + "/status/")
    response = await client.get(url.removeprefix(PUBLIC_URL))
    assert response.status == 200
    assert response.content_type == "application/vc+ld+json"
    credential = await response.json(content_type=None)
    node = node_of(client)
    report = verify(credential, now=now(), loader=node.loader,
                    key_resolver=node.keyring.resolve, require_issuer_binding=True)
    assert report.ok, report
    assert credential["id"] == url
    assert credential["issuer"] == document["issuer"]  # the list is the issuer's word
    assert "BitstringStatusListCredential" in credential["type"]
    subject = credential["credentialSubject"]
    assert subject["statusPurpose"] == entry["statusPurpose"]
    return _bit(subject["encodedList"], int(entry["statusListIndex"]))


async def test_signed_assertion_carries_its_status_list_entry(client: Client) -> None:
    """A verifier holding only the signed document can check revocation: the entry is
    signed with the assertion, the list is signed by the same issuer."""
    node = node_of(client)
    issued = [await issue(client),
              await issue(client, {**MARK, "suite": "eddsa-rdfc-2022", "credentialSubject": {
                  **MARK["credentialSubject"], "id": "did:key:zRdfc"}})]
    for body in issued:
        fetched = await client.get(f"/assertions/{quote(body['id'])}")
        document = await fetched.json(content_type=None)
        assert document == body["document"]
        signed = verify_assertion(document, now=now(), loader=node.loader,
                                  key_resolver=node.keyring.resolve)
        assert signed.id == body["id"]
        status = signed.assertion.credential_status
        assert status is not None and status.status_purpose == "revocation"
        assert document["credentialStatus"] == body["credentialStatus"]  # envelope kept
        assert isinstance(document["credentialStatus"]["statusListIndex"], str)
        envelope = await (await client.get(f"/assertions/{quote(body['id'])}",
                                           headers={"Accept": "application/json"})).json()
        assert envelope["credentialStatus"] == document["credentialStatus"]
        assert await _status_bit(client, document) == 0
    first, second = issued
    assert first["credentialStatus"]["statusListIndex"] != \
        second["credentialStatus"]["statusListIndex"]
    # tampering with the entry breaks the signature: the issuer's bit cannot be swapped
    tampered = copy.deepcopy(second["document"])
    tampered["credentialStatus"]["statusListIndex"] = first["credentialStatus"][
        "statusListIndex"]
    refused = await client.post("/assertions", json=tampered)
    assert refused.status == 422
    # request mode embeds the same signed documents, entry included
    report = await (await client.get("/subjects/did:key:zRdfc/status")).json(content_type=None)
    assert [c["credentialStatus"] for c in report["verifiableCredential"]] == [
        second["credentialStatus"]]

    response = await client.post(f"/admin/revoke/{quote(second['id'])}",
                                 headers=admin_headers(client))
    assert response.status == 201, await response.text()
    assert await _status_bit(client, second["document"]) == 1
    assert await _status_bit(client, first["document"]) == 0
    revocation = (await response.json())["document"]
    assert "credentialStatus" not in revocation  # a revocation is not itself revocable


async def test_acceptances_issued_by_the_node_get_no_status_entry(client: Client,
                                                                   alice: Party) -> None:
    held = await (await client.post("/assertions", json=alice.rating(NODE_DID))).json()
    body = await issue(client, {"kind": "Acceptance", "credentialSubject": {
        "id": held["id"], "decision": "accept"}})
    assert "credentialStatus" not in body and "credentialStatus" not in body["document"]
