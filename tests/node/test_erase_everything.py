"""An erasure of everything (``{"all": true}``) travels as a notice that every node applies
by date: what the subject signed up to its request is erased wherever it is held, even
where the first node never saw it, and refused from then on; what it signs later is not."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from nodehelpers import NODE_DID, Party, node_of, now, quote

from confiance.node.erasures import make_notice, verify_notice
from confiance.node.routes import subjects as subjects_route
from confiance.node.subjectauth import decode_request, make_subject_request
from confiance.protocol.errors import SchemaError

Client = TestClient[Any, Any]
PATH = "/subjects/{}/erasure"


def everything_notice(client: Client, party: Party, erased: list[str],
                      *, audience: str = "did:web:elsewhere.example") -> dict[str, Any]:
    """The notice another node made after ``party`` asked it to erase everything."""
    body = json.dumps({"all": True}).encode()
    header = make_subject_request(party.key, audience=audience, method="POST",
                                  path=PATH.format(party.did), body=body, created=now())
    return make_notice(decode_request(header, node_of(client)), body, erased)


async def test_a_notice_of_everything_erases_what_its_sender_never_held(
        client: Client, alice: Party, bob: Party, carol: Party) -> None:
    node = node_of(client)
    held = [alice.rating(bob.did), alice.rating(carol.did, 2)]
    other = bob.rating(alice.did)
    for doc in [*held, other]:
        assert (await client.post("/assertions", json=doc)).status == 201
    ids = [(await node.ingestor.submit(doc)).stored.id for doc in held]
    # The node that received alice's request held none of these: its notice lists nothing.
    assert await node.ingestor.apply_notice(everything_notice(client, alice, []))
    for assertion_id in ids:
        assert await node.store.get(assertion_id) is None
        assert await node.store.tombstone(assertion_id) is not None
    assert (await client.get(f"/assertions/{quote(ids[0])}")).status == 410
    other_id = (await node.ingestor.submit(other)).stored.id
    assert await node.store.get(other_id) is not None  # bob's are bob's
    # What alice signed before her request stays out, whoever brings it ...
    comeback = await client.post("/assertions", json=held[0])
    assert comeback.status == 410
    older = alice.sign(_rating(alice, "did:key:zNeverSeen"), created=now() - timedelta(hours=1))
    refused = await client.post("/assertions", json=older)
    assert refused.status == 410
    assert "asked to erase everything" in (await refused.json(content_type=None))["detail"]
    # ... what she signs after it is taken.
    later = alice.sign(_rating(alice, bob.did), created=now() + timedelta(seconds=1))
    assert (await client.post("/assertions", json=later)).status == 201


def _rating(party: Party, subject: str) -> Any:
    from confiance.protocol.model import Rating, Scale

    return Rating(issuer=party.did, context="seller", valid_from=now() - timedelta(hours=2),
                  subject=subject, score=3, scale=Scale(minimum=1, maximum=5))


async def test_erasing_everything_where_nothing_or_too_much_is_held(
        client: Client, alice: Party, bob: Party, monkeypatch: pytest.MonkeyPatch) -> None:
    node = node_of(client)

    async def erase_all(party: Party) -> dict[str, Any]:
        body = json.dumps({"all": True}).encode()
        path = PATH.format(party.did)
        header = make_subject_request(party.key, audience=NODE_DID, method="POST", path=path,
                                      body=body, created=now())
        response = await client.post(PATH.format(quote(party.did)), data=body, headers={
            "Content-Type": "application/json", "Authorization": header})
        assert response.status == 200, await response.text()
        return dict(await response.json())

    # Nothing held here: the request still travels (a notice is kept, for gossip).
    assert (await erase_all(bob))["erased"] == []
    assert len(await node.store.erasures(0, 10)) == 1
    # More held than a notice lists: every one is erased here, the notice lists a sample.
    monkeypatch.setattr(subjects_route, "MAX_ERASED", 2)
    for score in (1, 2, 3):
        assert (await client.post("/assertions", json=alice.rating(bob.did, score))).status \
            == 201
    assert len((await erase_all(alice))["erased"]) == 3
    notices = await node.store.erasures(0, 10)
    (_, document), = await node.store.erasure_documents([notices[-1][1]])
    assert len(json.loads(document)["erased"]) == 2


def test_only_a_notice_of_everything_may_list_nothing(client: Client, alice: Party) -> None:
    node = node_of(client)
    notice = everything_notice(client, alice, [], audience=NODE_DID)
    assert verify_notice(notice, loader=node.loader, limits=node.limits,
                         key_resolver=node.keyring.resolve).everything
    body = json.dumps({"ids": ["ni:///sha-256;" + "A" * 43]}).encode()
    header = make_subject_request(alice.key, audience=NODE_DID, method="POST",
                                  path=PATH.format(alice.did), body=body, created=now())
    empty = make_notice(decode_request(header, node), body, [])
    with pytest.raises(SchemaError, match="1 to 1000"):
        verify_notice(empty, loader=node.loader, limits=node.limits,
                      key_resolver=node.keyring.resolve)
