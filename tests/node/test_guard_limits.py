"""Limits and identity guards reached over HTTP, each by the input it names (issue 14).

- nesting: a body exactly ``max_depth`` deep passes the parser (and is refused for what it
  is not), one level deeper is ``nesting-too-deep``;
- the RDF canonicalisation caps: a document whose every term is defined (so the term check
  passes) but whose blank nodes form a clique, costing more canonicalisation work than the
  budget allows, is ``canonicalization-too-costly``; ``max_blank_nodes`` blank nodes pass
  the blank-node cap, one more is ``too-many-blank-nodes``;
- issuer binding: a credential whose proof verifies, made by key K, naming as issuer a DID
  that K does not belong to, is ``issuer-not-bound`` (a forgery of the issuer, not a broken
  proof).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from nodehelpers import Party, now

from confiance.protocol.limits import DEFAULT_LIMITS
from confiance.protocol.model import Rating, Scale, to_credential
from confiance.protocol.signing import JCS_SUITE, RDFC_SUITE, sign

Client = TestClient[Any, Any]
PROBLEMS = "https://w3id.org/confiance/problems/"


async def _submit(client: Client, doc: Any) -> tuple[int, str]:
    response = await client.post("/assertions", data=json.dumps(doc),
                                 headers={"Content-Type": "application/json"})
    body = await response.json(content_type=None)
    slug = body.get("type", "").removeprefix(PROBLEMS) if isinstance(body, dict) else ""
    return response.status, slug


def _nested(depth: int) -> Any:
    """Objects nested ``depth`` deep (the top-level object is depth 1), ending in a number:
    no empty container, nothing else a parser could refuse."""
    doc: Any = 1
    for _ in range(depth):
        doc = {"a": doc}
    return doc


async def test_nesting_at_the_limit_passes_the_parser_and_one_deeper_does_not(
        client: Client) -> None:
    depth = DEFAULT_LIMITS.max_depth
    status, slug = await _submit(client, _nested(depth))
    assert slug != "nesting-too-deep" and 400 <= status < 500, slug
    assert await _submit(client, _nested(depth + 1)) == (422, "nesting-too-deep")


def _rdfc_rating(issuer: Party, comment: Any) -> dict[str, Any]:
    """An eddsa-rdfc-2022 Rating whose ``comment`` holds ``comment`` (a defined term); its
    proof is well formed but its signature is not checked before canonicalisation."""
    return {"@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/confiance/v1"],
            "type": ["VerifiableCredential", "TrustAssertion", "Rating"],
            "issuer": issuer.did, "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:key:zX", "trustContext": "seller", "score": 3,
                                  "scale": {"minimum": 1, "maximum": 5}, "comment": comment},
            "proof": {"type": "DataIntegrityProof", "cryptosuite": RDFC_SUITE,
                      "created": "2026-01-01T00:00:00Z", "proofPurpose": "assertionMethod",
                      "verificationMethod": issuer.key.verification_method,
                      "proofValue": "z" + "2" * 87}}


def _clique(nodes: int) -> list[dict[str, Any]]:
    """Blank nodes each linked to every other by ``comment``: the RDFC-1.0 worst case."""
    return [{"@id": f"_:b{i}", "comment": [{"@id": f"_:b{j}"} for j in range(nodes) if j != i]}
            for i in range(nodes)]


async def test_a_poisoned_graph_of_defined_terms_hits_the_canonicalisation_budget(
        client: Client, alice: Party) -> None:
    # 7 blank nodes, 42 links: within the blank-node and quad caps, every term defined,
    # and far beyond the canonicalisation work budget (uncapped it takes seconds)
    assert await _submit(client, _rdfc_rating(alice, _clique(7))) == (
        422, "canonicalization-too-costly")
    assert (await client.get("/health")).status == 200


def _objects(blank_nodes: int) -> list[dict[str, str]]:
    """``comment`` objects, one blank node each, all distinct (cheap to canonicalise)."""
    return [{"comment": f"note {i}"} for i in range(blank_nodes)]


async def test_blank_nodes_at_the_cap_pass_it_and_one_more_does_not(
        client: Client, alice: Party) -> None:
    cap = DEFAULT_LIMITS.max_blank_nodes
    # the Rating has two blank nodes of its own (the credential and its scale)
    at_cap = await _submit(client, _rdfc_rating(alice, _objects(cap - 2)))
    assert at_cap == (422, "invalid-proof")  # canonicalised, then its signature checked
    over = await _submit(client, _rdfc_rating(alice, _objects(cap - 1)))
    assert over == (422, "too-many-blank-nodes")


def _forged(issuer: Party, signer: Party, suite: str) -> dict[str, Any]:
    """A Rating naming ``issuer``, validly signed by ``signer``'s key."""
    rating = Rating(issuer=issuer.did, context="seller", valid_from=now() - timedelta(minutes=1),
                    subject="did:key:zSomeone", score=5, scale=Scale(minimum=1, maximum=5))
    return sign(to_credential(rating), signer.key, suite=suite,
                created=now() - timedelta(seconds=1))


@pytest.mark.parametrize("suite", [JCS_SUITE, RDFC_SUITE])
async def test_a_proof_that_verifies_but_is_not_the_issuers_is_refused(
        client: Client, alice: Party, bob: Party, suite: str) -> None:
    assert await _submit(client, _forged(alice, bob, suite)) == (422, "issuer-not-bound")
    # the control: the same credential signed by its issuer is taken
    assert (await _submit(client, _forged(alice, alice, suite)))[0] == 201
