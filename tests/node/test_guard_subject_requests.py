"""Every refusal of a signed subject request, over HTTP (issue 14).

A subject request speaks for a subject (export of everything about them, erasure). Each
request below is valid *but for one defect*, so that the node's refusal (401
``invalid-subject-request``) is owed to the guard that finds that defect: with the guard
removed the request succeeds (200) or crashes the handler (500), and the test fails. Limits
are tried at exactly the limit (accepted) and one past it (refused).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from fakepeer import REQUEST_LOADER, header, node_and_peer, quoted, subject_request
from nodehelpers import NODE_DID, Party, now

from confiance.node.subjectauth import MAX_HEADER, SCHEME
from confiance.protocol.signing import sign

Client = TestClient[Any, Any]
PROBLEMS = "https://w3id.org/confiance/problems/"
BOB = Party(2)
EXPORT = f"/subjects/{BOB.did}/export"
MAX_AGE = 300  # NodeConfig.subject_request_max_age, the default the fixture's node keeps


def _export(**kw: Any) -> dict[str, Any]:
    return subject_request(kw.pop("key", BOB.key), audience=NODE_DID, method="GET",
                           path=EXPORT, **kw)


def _raw(data: bytes) -> str:
    return f"{SCHEME} " + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def _get_export(client: Client, authorization: str) -> Any:
    return await client.get(f"/subjects/{quoted(BOB.did)}/export",
                            headers={"Authorization": authorization})


async def _refused(response: Any) -> dict[str, Any]:
    assert response.status == 401, await response.text()
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["type"] == PROBLEMS + "invalid-subject-request", body
    assert response.headers["WWW-Authenticate"].startswith(SCHEME)
    return body


def _forged_second_proof() -> str:
    signed = _export()
    both = sign(signed, Party(98).key, created=now() - timedelta(seconds=1),
                loader=REQUEST_LOADER, proof_purpose="authentication",
                expires=now() + timedelta(seconds=60))
    both["proof"][1]["proofValue"] = both["proof"][0]["proofValue"]
    return header(both)


def _tampered() -> str:
    """The same request with another signature (one base58 digit changed)."""
    signed = _export()
    value = signed["proof"]["proofValue"]
    signed["proof"]["proofValue"] = value[:-2] + ("1" if value[-2] != "1" else "2") + value[-1]
    return header(signed)


REFUSED: dict[str, Callable[[], str]] = {
    "another_scheme": lambda: header(_export()).replace(SCHEME, "Bearer", 1),
    "not_base64url": lambda: f"{SCHEME} A",
    "not_json": lambda: _raw(b'{"holder": '),
    "unknown_member": lambda: header(_export(edit={"name": "extra"})),
    "wrong_type": lambda: header(_export(edit={"type": ["VerifiablePresentation"]})),
    "signed_by_another_key": lambda: header(_export(key=Party(99).key, holder=BOB.did)),
    # the subject's own key, but the request names someone else as its holder
    "holder_not_the_subject": lambda: header(_export(holder=Party(1).did)),
    "one_proof_of_a_set_forged": _forged_second_proof,
    "signature_does_not_verify": _tampered,
    "no_expires": lambda: header(_export(expires=False)),
    "body_digest_without_body": lambda: header(_export(edit={"bodyDigest": "x" * 43})),
    "no_nonce": lambda: header(_export(drop=("id",))),
    "nonce_7_characters": lambda: header(_export(nonce="urn:abc")),
    "nonce_129_characters": lambda: header(_export(nonce="urn:" + "x" * 125)),
    "valid_for_one_second_too_long": lambda: header(_export(ttl=MAX_AGE + 1)),
    "one_character_too_large": lambda: _sized(MAX_HEADER) + "=",
}


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_a_defective_subject_request_is_refused(client: Client, case: str) -> None:
    await _refused(await _get_export(client, REFUSED[case]()))


def _sized(length: int) -> str:
    """A valid signed request whose base64url value is exactly ``length`` characters
    (``length`` a multiple of 4: JSON padded with spaces)."""
    raw = json.dumps(_export(), separators=(",", ":")).encode()
    assert length % 4 == 0 and len(raw) <= length // 4 * 3
    return _raw(raw + b" " * (length // 4 * 3 - len(raw)))


def _proof_in_a_list() -> str:
    signed = _export()
    signed["proof"] = [signed["proof"]]  # a proof set of one
    return header(signed)


ACCEPTED: dict[str, Callable[[], str]] = {
    "proof_set_of_one": _proof_in_a_list,
    "nonce_8_characters": lambda: header(_export(nonce="urn:abcd")),
    "nonce_128_characters": lambda: header(_export(nonce="urn:" + "x" * 124)),
    "valid_for_exactly_the_max_age": lambda: header(_export(ttl=MAX_AGE)),
    "exactly_the_largest_header": lambda: _sized(MAX_HEADER),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
async def test_a_request_at_a_limit_is_accepted(client: Client, case: str) -> None:
    authorization = ACCEPTED[case]()
    if case == "exactly_the_largest_header":
        assert len(authorization.partition(" ")[2]) == MAX_HEADER
    response = await _get_export(client, authorization)
    assert response.status == 200, await response.text()
    assert (await response.json())["subject"] == BOB.did


async def test_a_subject_that_is_not_a_did_key_cannot_sign_requests(
        tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Even a recognised peer's did:web, with a valid proof by a key the node holds for it:
    subject requests are for did:key subjects, whose keys need no lookup."""
    async with node_and_peer(tmp_path, http) as (node, peer):
        path = f"/subjects/{peer.did}/export"
        request = subject_request(peer.signing_key, holder=peer.did, audience=node.node.did,
                                  method="GET", path=path)
        async with http.get(f"{node.url}/subjects/{quoted(peer.did)}/export",
                            headers={"Authorization": header(request)}) as response:
            assert response.status == 401, await response.text()
            body = await response.json(content_type=None)
            assert body["type"] == PROBLEMS + "invalid-subject-request"


async def test_a_body_digest_must_match_the_body(client: Client, alice: Party) -> None:
    held = await (await client.post("/assertions", json=BOB.rating(alice.did))).json()
    path = f"/subjects/{BOB.did}/erasure"
    body = json.dumps({"ids": [held["id"]]}).encode()
    other = json.dumps({"ids": [held["id"]]}, indent=1).encode()  # same JSON, other bytes
    for authorization in (header(subject_request(BOB.key, audience=NODE_DID, method="POST",
                                                 path=path, body=other)),
                          header(subject_request(BOB.key, audience=NODE_DID, method="POST",
                                                 path=path, body=other, drop=("bodyDigest",)))):
        response = await client.post(f"/subjects/{quoted(BOB.did)}/erasure", data=body,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": authorization})
        await _refused(response)
    assert (await client.get(f"/assertions/{quoted(held['id'])}")).status == 200



@pytest.mark.parametrize(("age", "ttl", "refusal"), [
    (MAX_AGE - 1, MAX_AGE, None),  # made 299 s ago, valid 300 s: one second left
    (MAX_AGE, MAX_AGE, "expired"),  # expires at this very instant: too late
    (1, MAX_AGE + 1, f"at most {MAX_AGE} seconds"),  # valid a second too long
])
async def test_how_old_a_request_may_be_by_the_nodes_clock(
        make_client: Any, config: Any, age: int, ttl: int, refusal: str | None) -> None:
    """By the node's clock (held still here): a request is accepted until the instant it
    expires, and may be valid for at most ``max_age`` seconds after it is made; so a
    request made ``max_age`` seconds ago has always expired."""
    instant = now().replace(microsecond=0)
    client = await make_client(config, clock=lambda: instant, init_time=instant)
    request = _export(created=instant - timedelta(seconds=age), ttl=ttl)
    response = await _get_export(client, header(request))
    if refusal is None:
        assert response.status == 200, await response.text()
    else:
        body = await _refused(response)
        assert refusal in body["detail"], body
