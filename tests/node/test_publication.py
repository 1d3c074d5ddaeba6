"""The publication mode over HTTP: mark definitions, badges, verify pages, pages."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp.test_utils import TestClient
from nodehelpers import NODE_DID, PUBLIC_URL, Party, admin_headers, quote
from publishing import MARK_BODY, issue_mark, publish_mark, short

from confiance.protocol.marks import verify_definition
from confiance.protocol.model import from_credential
from confiance.protocol.sentences import short_id

Client = TestClient[Any, Any]


async def test_mark_definition_is_signed_immutable_and_negotiated(client: Client) -> None:
    created = await publish_mark(client)
    assert created["mark"] == f"{PUBLIC_URL}/marks/top-seller"
    assert created["id"] == f"{PUBLIC_URL}/marks/top-seller/1"
    again = await client.post("/admin/marks", json=MARK_BODY, headers=admin_headers(client))
    assert again.status == 200 and (await again.json())["document"] == created["document"]
    changed = await client.post("/admin/marks", json={**MARK_BODY, "name": "Other"},
                                headers=admin_headers(client))
    assert changed.status == 409
    assert (await changed.json())["type"].endswith("/mark-version-exists")
    resp = await client.get("/marks/top-seller/1", headers={"Accept": "application/ld+json"})
    assert resp.status == 200 and resp.content_type == "application/ld+json"
    doc = await resp.json()
    from nodehelpers import node_of

    node = node_of(client)
    definition = verify_definition(doc, now=node.now(), loader=node.loader,
                                   key_resolver=node.keyring.resolve)
    assert definition.issuer == NODE_DID and definition.short_name == "top seller"
    html = await (await client.get("/marks/top-seller/1", headers={"Accept": "text/html"})).text()
    assert "At least 95% of the seller" in html and 'lang="en"' in html
    fr = await client.get("/marks/top-seller", headers={"Accept": "text/html",
                                                        "Accept-Language": "fr-CA, en;q=0.5"})
    text = await fr.text()
    assert fr.headers["Content-Language"] == "fr" and "Au moins 95 %" in text
    assert "Ce résumé n&#39;est pas les conditions" in text


async def test_admin_marks_refuses_bad_input(client: Client) -> None:
    for body, field in (({**MARK_BODY, "mark": "Top Seller"}, "mark"),
                        ({**MARK_BODY, "says": {"fr": "seulement"}}, None),
                        ({**MARK_BODY, "extra": 1}, "extra")):
        resp = await client.post("/admin/marks", json=body, headers=admin_headers(client))
        assert resp.status in (400, 422), await resp.text()
        problem = await resp.json()
        if field:
            assert problem.get("parameter") == field
    assert (await client.post("/admin/marks", json=MARK_BODY)).status == 401


async def test_badge_svg_verify_page_and_revocation(client: Client, alice: Party) -> None:
    mark = await publish_mark(client)
    issued = await issue_mark(client, alice.did, mark)
    sid = short(issued["id"])
    svg = await client.get(f"/badges/{sid}.svg")
    assert svg.status == 200 and svg.content_type == "image/svg+xml"
    text = await svg.text()
    assert 'aria-label="top seller: valid"' in text and "<title>top seller: valid</title>" in text
    assert svg.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in svg.headers["Content-Security-Policy"]
    etag = svg.headers["ETag"]
    assert svg.headers["Cache-Control"] == "public, no-cache"
    assert (await client.get(f"/badges/{sid}.svg", headers={"If-None-Match": etag})).status == 304
    shields = await (await client.get(f"/badges/{sid}/shields.json")).json()
    assert shields == {"schemaVersion": 1, "label": "top seller", "message": "valid",
                       "color": "2b7a0b", "labelColor": "555", "cacheSeconds": 300}
    page = await client.get(f"/badges/{sid}", headers={"Accept": "text/html"})
    html = await page.text()
    assert page.status == 200 and "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert re.search(r'id="status-word">valid<', html)
    assert 'rel="alternate" type="application/ld+json"' in html
    assert "At least 95% of the seller" in html  # the deed of the definition it points to
    ld = await client.get(f"/badges/{sid}", headers={"Accept": "application/ld+json"})
    assert json.loads(await ld.read()) == issued["document"]
    await client.post(f"/admin/revoke/{sid}", headers=admin_headers(client))
    after = await client.get(f"/badges/{sid}.svg", headers={"If-None-Match": etag})
    assert after.status == 200 and "top seller: revoked" in await after.text()
    html = await (await client.get(f"/badges/{sid}")).text()
    assert re.search(r'id="status-word">revoked<', html)


async def test_baked_svg_carries_the_signed_assertion(client: Client, alice: Party) -> None:
    mark = await publish_mark(client)
    issued = await issue_mark(client, alice.did, mark)
    text = await (await client.get(f"/badges/{short(issued['id'])}/baked.svg")).text()
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in text
    found = re.findall(r"<openbadges:credential><!\[CDATA\[(.*?)\]\]></openbadges:credential>",
                       text, re.S)
    assert len(found) == 1 and json.loads(found[0]) == issued["document"]


async def test_personal_page_lists_only_what_the_subject_accepted(client: Client,
                                                                  alice: Party) -> None:
    mark = await publish_mark(client)
    kept = await issue_mark(client, alice.did, mark)
    await issue_mark(client, alice.did, mark, status="Unaccepted", extra={
        "credentialSubject": {"id": alice.did, "trustContext": "seller-2",
                              "mark": {"id": "https://other.example/marks/x"},
                              "status": "not accepted"}})
    resp = await client.post(f"/subjects/{quote(alice.did)}/acceptances",
                             json=alice.decide(kept["id"], True))
    assert resp.status == 201, await resp.text()
    page = await client.get(f"/subjects/{quote(alice.did)}", headers={"Accept": "text/html"})
    html = await page.text()
    assert f"/badges/{short(kept['id'])}.svg" in html and "not accepted" not in html
    data = await (await client.get(f"/subjects/{quote(alice.did)}",
                                   headers={"Accept": "application/json"})).json()
    assert [item["id"] for item in data["accepted"]] == [kept["id"]]
    assert from_credential(data["accepted"][0]["document"]).about == alice.did


async def test_home_page_shows_marks_and_links(client: Client) -> None:
    await publish_mark(client)
    html = await (await client.get("/", headers={"Accept": "text/html"})).text()
    assert "test node" in html and "/marks/top-seller/1" in html and "/openapi.json" in html
    css = await client.get("/static/confiance.css")
    assert css.content_type == "text/css" and css.headers["X-Content-Type-Options"] == "nosniff"


async def test_rules_others_publish_read_as_one_sentence(client: Client, alice: Party,
                                                         bob: Party) -> None:
    """Another site's Recognition of this node's mark shows on the verify page, once-scaled
    and with names; the node's own Recognitions show on its page."""
    from datetime import timedelta

    from nodehelpers import now

    from confiance.protocol.model import Recognition, Scale
    from confiance.protocol.rules import ThresholdRule

    mark = await publish_mark(client)
    issued = await issue_mark(client, alice.did, mark)
    rule = Recognition(issuer=bob.did, context="seller", valid_from=now() - timedelta(minutes=1),
                       recognised=NODE_DID, mark=mark["mark"],
                       rule=ThresholdRule(thresholds=((98, 5), (95, 4)), otherwise=1),
                       scale=Scale(minimum=1, maximum=5))
    assert (await client.post("/assertions", json=bob.sign(rule))).status == 201
    html = await (await client.get(f"/badges/{short(issued['id'])}")).text()
    sentence = (f"{short_id(bob.did)} reads test node’s “top seller” mark on its own 1..5 "
                "scale: 98 or more is 5, 95 or more is 4, otherwise 1.")
    assert sentence in html.replace("&#39;", "'")
    fr = await (await client.get(f"/badges/{short(issued['id'])}?lang=fr")).text()
    assert "sur sa propre échelle de 1 à 5 : 98 ou plus vaut 5" in fr
    # the node's own reading of someone else's mark, on its page
    resp = await client.post("/admin/issue", headers=admin_headers(client), json={
        "kind": "Recognition", "credentialSubject": {
            "id": bob.did, "trustContext": "seller", "mark": {"id": "https://b.example/m"},
            "conversionRule": {"type": "LinearRescale", "from": [0, 100], "to": [0, 1]},
            "scale": {"minimum": 0, "maximum": 1}}})
    assert resp.status == 201, await resp.text()
    home = await (await client.get("/")).text()
    assert f"test node reads {short_id(bob.did)}’s “b.example/m” mark on its own 0..1 scale" \
        in home
