"""Ingest guards seen from outside (issue 14): the problem names the unknown kind it
refused; an erasure notice taken from a peer reaches every part of the node that uses
assertions (the trust engine too), once, however often it is sent, and quietly."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from fakepeer import node_and_peer, subject_request
from gossipnet import wait_until
from nodehelpers import Party

from confiance.node.context import NODE
from confiance.node.erasures import ErasureNotice, make_notice
from confiance.node.storage import sqlite as sqlite_store
from confiance.protocol.gossip import Push
from confiance.protocol.ids import assertion_id
from confiance.protocol.model import Rating, Scale, format_datetime, to_credential

Client = TestClient[Any, Any]


@pytest.mark.parametrize(("types", "named"), [
    (["VerifiableCredential", "TrustAssertion", "Gossip"], "Gossip"),
    (["VerifiableCredential", "G" * 80], "G" * 60),
])
async def test_the_problem_names_the_unknown_kind(client: Client, alice: Party,
                                                  types: list[str], named: str) -> None:
    doc = alice.rating("did:key:zX")
    doc["type"] = types
    response = await client.post("/assertions", json=doc)
    body = await response.json(content_type=None)
    assert response.status == 422 and body["type"].endswith("/unknown-kind")
    assert body["kind"] == named


async def _trust(http: aiohttp.ClientSession, url: str, source: str, target: str
                 ) -> float | None:
    async with http.get(f"{url}/trust?" + urlencode({"from": source, "to": target})) as resp:
        assert resp.status == 200, await resp.text()
        value: float | None = (await resp.json())["value"]
        return value


async def test_a_notice_reaches_the_trust_engine_once_and_quietly(
        tmp_path: Path, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture) -> None:
    alice, bob, carol = Party(61), Party(62), Party(63)
    async with node_and_peer(tmp_path, http) as (node, peer):
        first, second = alice.rating(bob.did, 5), bob.rating(carol.did, 4)
        for doc in (first, second):
            async with http.post(node.url + "/assertions", json=doc) as resp:
                assert resp.status == 201
        assert await _trust(http, node.url, alice.did, carol.did) == 0.75
        body = json.dumps({"ids": [assertion_id(first)]}).encode()
        request = subject_request(alice.key, audience=node.node.did, method="POST",
                                  path=f"/subjects/{alice.did}/erasure", body=body)
        notice = make_notice(request, body, [assertion_id(first)])
        heard: list[list[str]] = []

        async def listener(_notice: ErasureNotice, changed: list[str]) -> None:
            heard.append(changed)

        node.node.ingestor.subscribe_notices(listener)
        before = (await peer.stats())["stats"]
        with caplog.at_level(logging.INFO, logger="confiance"):
            await peer.send(Push(assertions=(notice,)))
            await peer.send(Push(assertions=(notice,)))  # again: nothing new
        after = (await peer.stats())["stats"]
        assert after["first_deliveries"] == before["first_deliveries"] + 1
        assert after["duplicates"] == before["duplicates"] + 1
        assert after["invalid"] == before["invalid"]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
        await wait_until(lambda: _gone(http, node.url, alice.did, carol.did), 10.0,
                         "the trust engine to drop the erased rating")
        assert heard == [[assertion_id(first)]]  # an async listener is awaited, once


async def _gone(http: aiohttp.ClientSession, url: str, source: str, target: str) -> bool:
    return await _trust(http, url, source, target) is None


async def test_nobody_can_pre_empt_another_issuers_assertion_by_notice(
        tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """Mallory saw Alice's assertion elsewhere and, before it reaches this node, sends a
    notice of her own (validly signed by her) naming its id. The id is tombstoned for
    Mallory only: when Alice's assertion arrives it is taken, not refused as erased."""
    alice, mallory = Party(64), Party(65)
    async with node_and_peer(tmp_path, http) as (node, peer):
        doc = alice.rating("did:key:zVictim", 5)
        aid = assertion_id(doc)
        body = json.dumps({"ids": [aid]}).encode()
        request = subject_request(mallory.key, audience=node.node.did, method="POST",
                                  path=f"/subjects/{mallory.did}/erasure", body=body)
        before = (await peer.stats())["stats"]
        await peer.send(Push(assertions=(make_notice(request, body, [aid]),)))
        assert (await peer.stats())["stats"]["first_deliveries"] == \
            before["first_deliveries"] + 1  # a valid notice: it names an id not held here
        async with http.post(node.url + "/assertions", json=doc) as resp:
            assert resp.status == 201, await resp.text()
        async with http.get(f"{node.url}/assertions/{quote(aid, safe='')}") as resp:
            assert resp.status == 200
        # and Alice's own erasure still holds against a resubmission
        own = subject_request(alice.key, audience=node.node.did, method="POST",
                              path=f"/subjects/{alice.did}/erasure", body=body)
        await peer.send(Push(assertions=(make_notice(own, body, [aid]),)))
        async with http.post(node.url + "/assertions", json=doc) as resp:
            assert resp.status == 410


async def test_a_store_failure_is_an_error_not_a_silent_loss(
        client: Client, alice: Party, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # the disk fails under one write: the node answers 500 and logs it, rather than
    # reporting the assertion as taken (or saying nothing)
    def failing(*_args: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sqlite_store, "_put", failing)
    doc = alice.rating("did:key:zX")
    with caplog.at_level(logging.ERROR, logger="confiance"):
        response = await client.post("/assertions", json=doc)
    assert response.status == 500, await response.text()
    assert "disk I/O error" in caplog.text  # the store's own error, logged as it was
    monkeypatch.undo()
    assert (await client.get(f"/assertions/{quote(assertion_id(doc), safe='')}")).status == 404


async def test_a_store_failure_inside_a_gossiped_batch_is_the_stores_error(
        tmp_path: Path, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # two assertions in one push, stored in one transaction: the disk fails under the second
    # only. The first is kept; the second is not, and what is logged is the store's own
    # error (not a lost outcome further on)
    alice = Party(66)
    first, second = alice.rating("did:key:zFirst", 5), alice.rating("did:key:zSecond", 4)
    real_put = sqlite_store._put

    def failing_second(conn: Any, record: Any, *rest: Any) -> Any:
        if record.id == assertion_id(second):
            raise sqlite3.OperationalError("disk I/O error")
        return real_put(conn, record, *rest)

    async with node_and_peer(tmp_path, http) as (node, peer):
        monkeypatch.setattr(sqlite_store, "_put", failing_second)
        # the node may end the exchange on that error: what it kept is what counts
        with caplog.at_level(logging.ERROR, logger="confiance"), \
                contextlib.suppress(Exception):
            await peer.send(Push(assertions=(first, second)))
        monkeypatch.undo()
        assert "disk I/O error" in caplog.text, caplog.text
        assert "AssertionError" not in caplog.text
        for doc, status in ((first, 200), (second, 404)):
            url = f"{node.url}/assertions/{quote(assertion_id(doc), safe='')}"
            async with http.get(url) as resp:
                assert resp.status == status, (status, await resp.text())


async def test_ingest_judges_validity_by_the_nodes_clock(make_client: Any, config: Any,
                                                          alice: Party) -> None:
    # a node whose clock reads a year back: a rating signed today was signed in its future,
    # so it is refused by that clock, not the wall clock
    year_back = datetime.now(UTC) - timedelta(days=365)
    client = await make_client(config, clock=lambda: year_back,
                               init_time=year_back)
    response = await client.post("/assertions", json=alice.rating("did:key:zLater"))
    assert response.status == 422, await response.text()
    problem = await response.json()
    assert problem["type"].endswith("/invalid-proof")
    assert "created in the future" in problem["detail"], problem


async def test_a_proof_by_a_node_key_from_before_that_key_is_refused(client: Client) -> None:
    # the node's own key signs a rating dated before the key existed (a stolen key used to
    # back-date): verified, but refused for that key's validity period; and a proof by a
    # node key must say when it was made
    node = client.app[NODE]
    made = node.keyring.current.valid_from
    rating = Rating(issuer=node.did, context="seller", valid_from=made - timedelta(days=2),
                    subject="did:key:zBackdated", score=5, scale=Scale(minimum=1, maximum=5))
    early = node.keyring.sign(to_credential(rating), suite="eddsa-jcs-2022",
                              created=made - timedelta(days=1), loader=node.loader,
                              limits=node.limits)
    response = await client.post("/assertions", json=early)
    assert response.status == 422, await response.text()
    detail = (await response.json())["detail"]
    assert f"{node.keyring.current.id}" in detail and "was not valid when the proof was " \
        f"created ({format_datetime(made - timedelta(days=1))})" in detail, detail
    in_time = node.keyring.sign(to_credential(rating), suite="eddsa-jcs-2022", created=made,
                                loader=node.loader, limits=node.limits)
    assert (await client.post("/assertions", json=in_time)).status == 201


async def test_a_type_list_with_a_non_string_is_refused_as_malformed(client: Client,
                                                                      alice: Party) -> None:
    # not an unknown kind (its types are not all names): refused for what it is, never a 500
    doc = alice.rating("did:key:zOdd")
    doc["type"] = ["VerifiableCredential", 3]
    response = await client.post("/assertions", json=doc)
    assert 400 <= response.status < 500, await response.text()
    assert not (await response.json())["type"].endswith("/unknown-kind")
