"""Erasing a referral does not buy back its referrer's penalty (specs/trust.md section 5):
the audience's node keeps its own judgement (no copy of the referral, not even whom it
referred), applies it, shows it in the referrer's export, keeps it across restarts and
crashes; a referral erased before any betrayal leaves nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient
from nodehelpers import NODE_DID, Factory, Party, admin_headers, now, quote

from confiance.node.config import NodeConfig
from confiance.node.render.views import accountability_view
from confiance.node.storage import SqliteStore
from confiance.node.subjectauth import make_subject_request
from confiance.protocol.ids import assertion_id
from confiance.protocol.model import Rating, Referral, Scale
from confiance.protocol.trust import DEFAULT_POLICY

Client = TestClient[Any, Any]


async def post(client: Client, doc: dict[str, Any]) -> str:
    response = await client.post("/assertions", json=doc)
    assert response.status == 201, await response.text()
    return assertion_id(doc)


async def standing(client: Client, party: Party) -> dict[str, Any]:
    response = await client.get("/trust?" + urlencode({"from": NODE_DID, "to": party.did,
                                                       "context": "seller"}))
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def trusts(client: Client, *parties: Party) -> None:
    """The node vouches for each party with a mark of its own (read at 1.0)."""
    for party in parties:
        response = await client.post("/admin/issue", headers=admin_headers(client), json={
            "kind": "TrustMark", "credentialSubject": {
                "id": party.did, "trustContext": "seller", "mark": {"id": "https://marks.test/top"},
                "status": "Top seller"}})
        assert response.status == 201, await response.text()


def refers(referrer: Party, referred: Party, audience: str = NODE_DID) -> dict[str, Any]:
    return referrer.sign(Referral(issuer=referrer.did, context="seller", subject=referred.did,
                                  audience=audience, valid_from=now() - timedelta(minutes=5)))


def betrays(rater: Party, referred: Party) -> dict[str, Any]:
    return rater.sign(Rating(issuer=rater.did, context="seller", subject=referred.did,
                             score=-1, scale=Scale(minimum=-1, maximum=1),
                             valid_from=now() - timedelta(minutes=1)))


async def erase_all(client: Client, party: Party) -> list[str]:
    path = f"/subjects/{party.did}/erasure"
    body = json.dumps({"all": True}).encode()
    header = make_subject_request(party.key, audience=NODE_DID, method="POST", path=path,
                                  body=body, created=now())
    response = await client.post(f"/subjects/{quote(party.did)}/erasure", data=body, headers={
        "Content-Type": "application/json", "Authorization": header})
    assert response.status == 200, await response.text()
    return list((await response.json())["erased"])


async def export(client: Client, party: Party) -> dict[str, Any]:
    path = f"/subjects/{party.did}/export"
    header = make_subject_request(party.key, audience=NODE_DID, method="GET", path=path,
                                  created=now())
    response = await client.get(f"/subjects/{quote(party.did)}/export",
                                headers={"Authorization": header})
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def test_an_erased_referral_keeps_costing_its_referrer(
        make_client: Factory, config: NodeConfig, alice: Party, bob: Party,
        carol: Party) -> None:
    dave = Party(44)
    client = await make_client(config)
    await trusts(client, alice, carol, dave)
    referral = await post(client, refers(alice, bob))
    for rater in (carol, dave):
        await post(client, betrays(rater, bob))
    before = await standing(client, alice)
    # Carol and Dave say -1; Alice's own vouch is no evidence for her referral: bad = 1
    assert before["value"] == 0.9 and before["penalty"]["value"] == 0.1
    assert [(o["referred"], o["bad"], o["state"]) for o in before["penalty"]["referrals"]] == [
        (bob.did, 1.0, "standing")]

    assert referral in await erase_all(client, alice)
    assert (await client.get(f"/assertions/{quote(referral)}")).status == 410
    after = await standing(client, alice)
    assert after["value"] == 0.9  # the erasure did not buy the penalty back
    [outcome] = after["penalty"]["referrals"]
    assert outcome["referral"] == referral and outcome["state"] == "erased"
    assert outcome["referred"] is None and outcome["bad"] == 1.0
    # her export shows what the node keeps: its judgement, not the referral
    mine = await export(client, alice)
    assert mine["issued"] == [] and referral in {e["id"] for e in mine["erased"]}
    [kept] = mine["referralJudgements"]
    assert {k: kept[k] for k in ("referral", "referrer", "audience", "context", "bad",
                                 "share")} == {
        "referral": referral, "referrer": alice.did, "audience": NODE_DID,
        "context": "seller", "bad": 1.0, "share": 0.1}
    assert kept["expires"] > kept["ended"]
    assert bob.did not in json.dumps(mine)  # whom she referred is not kept
    assert "referralJudgements" in await export(client, bob)  # and nothing about Bob
    assert (await export(client, bob))["referralJudgements"] == []

    await client.close()  # the judgement survives a restart
    again = await make_client(config)
    assert (await standing(again, alice))["value"] == 0.9


async def test_a_referral_erased_before_any_betrayal_leaves_nothing(
        client: Client, alice: Party, bob: Party, carol: Party) -> None:
    await trusts(client, alice, carol)
    await post(client, refers(alice, bob))
    await erase_all(client, alice)
    await post(client, betrays(carol, bob))  # afterwards: not on Alice
    result = await standing(client, alice)
    assert result["value"] == 1.0 and result["penalty"]["referrals"] == []
    assert (await export(client, alice))["referralJudgements"] == []


async def test_only_the_audiences_node_keeps_a_judgement(
        client: Client, alice: Party, bob: Party, carol: Party) -> None:
    elsewhere = "did:web:other.test"
    await trusts(client, alice, carol)
    await post(client, refers(alice, bob, audience=elsewhere))
    await post(client, betrays(carol, bob))
    await erase_all(client, alice)
    assert (await export(client, alice))["referralJudgements"] == []


async def betrayed_referral(make_client: Factory, config: NodeConfig, alice: Party,
                            bob: Party, carol: Party) -> tuple[Client, str]:
    """A node where Alice referred Bob, then Carol (whom the node trusts) rated him -1."""
    client = await make_client(config)
    await trusts(client, alice, carol)
    referral = await post(client, refers(alice, bob))
    await post(client, betrays(carol, bob))
    return client, referral


async def test_an_erasure_the_node_could_not_judge_is_judged_at_the_next_start(
        make_client: Factory, config: NodeConfig, alice: Party, bob: Party,
        carol: Party) -> None:
    client, referral = await betrayed_referral(make_client, config, alice, bob, carol)
    await client.close()
    # the erasure commits, then the node stops before its engine hears of it (a crash)
    store = await SqliteStore.open(config.database_path)
    try:
        assert referral in await store.erase(alice.did, None, now=now())
    finally:
        await store.close()
    again = await make_client(config)
    result = await standing(again, alice)
    assert result["value"] == 0.9
    assert [o["state"] for o in result["penalty"]["referrals"]] == ["erased"]
    assert [k["referral"] for k in (await export(again, alice))["referralJudgements"]] == [
        referral]


async def test_a_referral_revoked_then_erased_is_judged_as_it_stood_when_revoked(
        make_client: Factory, config: NodeConfig, alice: Party, bob: Party,
        carol: Party) -> None:
    client, referral = await betrayed_referral(make_client, config, alice, bob, carol)
    revocation = alice.revoke(referral)  # validFrom: 30 s ago, after Carol's rating
    await post(client, revocation)
    revoked = await standing(client, alice)
    assert revoked["value"] == 0.9
    assert [o["state"] for o in revoked["penalty"]["referrals"]] == ["revoked"]
    await erase_all(client, alice)  # the referral, and its revocation with it
    [kept] = (await export(client, alice))["referralJudgements"]
    assert kept["ended"] == revocation["validFrom"]  # when it stopped vouching
    assert (await standing(client, alice))["value"] == 0.9
    await client.close()
    # a year and a day later the node deletes it
    store = await SqliteStore.open(config.database_path)
    try:
        later = now() + timedelta(days=366)
        assert await store.kept_judgements(now=now()) != []
        assert await store.purge_judgements(now=later) == 1
        assert await store.kept_judgements(now=now()) == []
    finally:
        await store.close()


async def test_the_nodes_page_states_the_rule_with_its_figures(client: Client) -> None:
    page = await (await client.get("/", headers={"Accept": "text/html"})).text()
    assert "When someone vouches for someone" in page
    assert "up to a tenth of their standing here per referral, never more than three " \
           "tenths in all" in page
    assert "for 365 days after it stopped" in page and "their export" in page
    french = await (await client.get("/?lang=fr", headers={"Accept": "text/html"})).text()
    assert "jusqu'à un dixième de sa réputation" in french.replace("&#39;", "'")
    summary = await (await client.get("/", headers={"Accept": "application/json"})).json()
    rule = summary["accountability"]
    assert (rule["referralPenalty"], rule["referralPenaltyCap"],
            rule["withdrawnReferralDays"]) == (0.1, 0.3, 365)
    assert len(rule["sentences"]) == 2


def test_figures_that_are_not_tenths_are_written_as_percentages() -> None:
    policy = replace(DEFAULT_POLICY, referral_penalty=0.15, referral_penalty_cap=0.5,
                     withdrawn_referral_days=30.5)
    english = accountability_view(policy, "en")["sentences"]
    assert "up to 15% of their standing here per referral, never more than half" in english[0]
    assert "for 30.5 days after it stopped" in english[1]
    french = accountability_view(policy, "fr")["sentences"]
    assert "jusqu'à 15\u00a0% de sa réputation ici par recommandation, jamais plus de la " \
           "moitié" in french[0]
    assert "pendant 30,5 jours" in french[1]
