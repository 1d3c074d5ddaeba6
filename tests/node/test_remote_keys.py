"""Checking a peer's DID document and descriptor (node/remotekeys.py), on a real node's
documents: binding, rotation statements, pinning, and the cache's refresh rules."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from nodehelpers import NODE_DID, PUBLIC_URL, admin_headers, node_of, now

from confiance.node.problems import PeerKeysUnavailable
from confiance.node.remotekeys import RemoteKeys, RemoteKeysRefused, key_set_from_documents
from confiance.protocol.errors import KeyResolutionError
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import format_datetime

Client = TestClient[Any, Any]


async def documents(client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
    did_doc = await (await client.get("/.well-known/did.json")).json(content_type=None)
    descriptor = await (await client.get("/.well-known/confiance")).json()
    return did_doc, descriptor


def check(client: Client, did_doc: Any, descriptor: Any, **kwargs: Any) -> Any:
    node = node_of(client)
    return key_set_from_documents(did_doc, descriptor, did=NODE_DID, source=PUBLIC_URL,
                                  now=now(), loader=node.loader, limits=node.limits, **kwargs)


async def test_keys_with_periods_from_a_rotated_node(client: Client) -> None:
    first = check(client, *await documents(client))
    assert list(first.signing) == [NODE_DID + "#key-1"]
    assert first.signing[NODE_DID + "#key-1"].valid_until is None
    assert NODE_DID + "#rotation-1" not in first.signing  # never signs assertions
    response = await client.post("/admin/rotate-key", headers=admin_headers(client))
    rotated_at = (await response.json())["statement"]["credentialSubject"]["rotatedAt"]
    second = check(client, *await documents(client), previous=first)
    old, new = second.signing[NODE_DID + "#key-1"], second.signing[NODE_DID + "#key-2"]
    assert format_datetime(old.valid_until) == rotated_at == format_datetime(new.valid_from)
    assert not old.covers(new.valid_from) and new.covers(new.valid_from)


async def test_a_document_for_another_did_is_refused(client: Client) -> None:
    did_doc, descriptor = await documents(client)
    node = node_of(client)
    with pytest.raises(RemoteKeysRefused, match="binds a DID to the URL"):
        key_set_from_documents(did_doc, descriptor, did="did:web:other.test", source="x",
                               now=now(), loader=node.loader, limits=node.limits)
    with pytest.raises(RemoteKeysRefused, match="descriptor"):
        check(client, did_doc, {**descriptor, "did": "did:web:other.test"})
    with pytest.raises(RemoteKeysRefused):
        check(client, did_doc, "not an object")


async def test_rotation_statements_decide_retirement_and_new_keys(client: Client) -> None:
    await client.post("/admin/rotate-key", headers=admin_headers(client))
    did_doc, descriptor = await documents(client)
    # the DID document "forgets" key-1's retirement: the signed statement still retires it
    unretired = copy.deepcopy(did_doc)
    for method in unretired["verificationMethod"]:
        method.pop("validUntil", None)
    keys = check(client, unretired, descriptor)
    assert keys.signing[NODE_DID + "#key-1"].valid_until is not None
    # without the statement, key-2 is not usable (a server can publish keys, not sign them)
    keys = check(client, did_doc, {**descriptor, "keyRotations": []})
    assert list(keys.signing) == [NODE_DID + "#key-1"]
    assert keys.ignored == (NODE_DID + "#key-2",)
    cache = RemoteKeys()
    cache.store(keys, 0.0)
    with pytest.raises(KeyResolutionError, match="no rotation statement"):
        cache.resolve(NODE_DID + "#key-2")
    # a tampered statement, or a statement for a key the document does not list: refused
    tampered = copy.deepcopy(descriptor)
    tampered["keyRotations"][0]["credentialSubject"]["rotatedAt"] = format_datetime(
        now() + timedelta(days=1))
    with pytest.raises(RemoteKeysRefused, match="does not verify"):
        check(client, did_doc, tampered)
    swapped = copy.deepcopy(did_doc)
    for method in swapped["verificationMethod"]:
        if method["id"].endswith("#key-2"):
            method["publicKeyMultibase"] = KeyPair.generate().public_key_multibase
    with pytest.raises(RemoteKeysRefused, match="does not list with that public key"):
        check(client, swapped, descriptor)


async def test_pinned_keys_cannot_be_rewritten(client: Client) -> None:
    await client.post("/admin/rotate-key", headers=admin_headers(client))
    did_doc, descriptor = await documents(client)
    pinned = check(client, did_doc, descriptor)
    assert check(client, did_doc, descriptor, previous=pinned).signing == pinned.signing
    other_rotation = copy.deepcopy(did_doc)
    for method in other_rotation["verificationMethod"]:
        if method["id"].endswith("#rotation-1"):
            method["publicKeyMultibase"] = KeyPair.generate().public_key_multibase
    with pytest.raises(RemoteKeysRefused, match="rotation key"):
        check(client, other_rotation, descriptor, previous=pinned)
    fewer = copy.deepcopy(did_doc)
    fewer["assertionMethod"] = [NODE_DID + "#key-2"]
    with pytest.raises(RemoteKeysRefused, match="pinned"):
        check(client, fewer, {**descriptor, "keyRotations": []}, previous=pinned)


def test_cache_refresh_rules_and_bounds() -> None:
    cache = RemoteKeys(max_dids=2)
    vm = "did:web:a.test#key-1"
    rules = {"ttl": 100.0, "min_interval": 5.0}
    assert cache.needs_refresh("did:web:a.test", vm, now=0.0, **rules)  # never fetched
    assert cache.resolve(vm) is None  # not known: the keyring says unknown-did-web-issuer
    cache.failed("did:web:a.test", "connection refused", 0.0)
    assert not cache.needs_refresh("did:web:a.test", vm, now=1.0, **rules)
    assert cache.needs_refresh("did:web:a.test", vm, now=6.0, **rules)
    with pytest.raises(PeerKeysUnavailable, match="connection refused"):
        cache.resolve(vm)
    for name in ("b", "c"):
        cache.failed(f"did:web:{name}.test", "x", 0.0)
    assert len(cache) == 2 and "did:web:a.test" not in cache  # least recently used out
