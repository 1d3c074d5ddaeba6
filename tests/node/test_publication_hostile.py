"""Hostile assertions on the pages: markup, script, very long text, bidi overrides, NUL.

Each renders inert and readable (or is refused with a problem, never a crash); and the
page's machine layer, read by an independent parser (rdflib), says what the signed
assertion says.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import rdflib
from aiohttp.test_utils import TestClient
from nodehelpers import Party, admin_headers, node_of
from publishing import issue_mark, publish_mark, short

from confiance.protocol.model import from_credential

Client = TestClient[Any, Any]
SCRIPT_BLOCK = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


async def _page(client: Client, content_id: str) -> str:
    resp = await client.get(f"/badges/{short(content_id)}", headers={"Accept": "text/html"})
    assert resp.status == 200, await resp.text()
    return await resp.text()


async def _svg(client: Client, content_id: str) -> str:
    return await (await client.get(f"/badges/{short(content_id)}.svg")).text()


async def test_markup_renders_as_text(client: Client, alice: Party) -> None:
    mark = await publish_mark(client)
    evil = '<img src=x onerror="alert(1)"><b>bold</b> & "quotes"'
    issued = await issue_mark(client, alice.did, mark, status=evil,
                              extra={"name": "<i>name</i>"})
    html = await _page(client, issued["id"])
    assert "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&lt;b&gt;bold&lt;/b&gt; &amp;" in html
    assert "<i>name</i>" not in html


async def test_script_cannot_close_the_json_ld_block(client: Client, alice: Party) -> None:
    mark = await publish_mark(client)
    evil = "</script><script>alert(1)</script><!--"
    issued = await issue_mark(client, alice.did, mark, status=evil)
    html = await _page(client, issued["id"])
    assert html.count("<script") == 1  # only the JSON-LD data block
    [block] = SCRIPT_BLOCK.findall(html)
    assert "</script" not in block and "<!--" not in block
    assert json.loads(block)["credentialSubject"]["status"] == evil
    svg = await _svg(client, issued["id"])
    assert "<script" not in svg


async def test_very_long_text_stays_bounded(client: Client, alice: Party) -> None:
    mark = await publish_mark(client)
    issued = await issue_mark(client, alice.did, mark, status="W" * 256,
                              extra={"name": "N" * 256, "description": "D" * 4096})
    html = await _page(client, issued["id"])
    assert "W" * 256 in html  # all of it, wrapped by the stylesheet (overflow-wrap)
    unnamed = await issue_mark(client, alice.did, {"mark": "https://other.example/" + "m" * 300,
                                                   "version": "1"},
                               extra={"name": "L" * 256})
    svg = await _svg(client, unnamed["id"])
    width = int(re.search(r'<svg[^>]* width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    assert width < 400 and "…" in svg  # the label is cut at 40 characters


async def test_bidi_override_is_visible_not_active(client: Client, alice: Party) -> None:
    mark = await publish_mark(client)
    issued = await issue_mark(client, alice.did, mark, status="\u202etxet.exe\u202c ok")
    html = await _page(client, issued["id"])
    assert "\u202e" not in html.split("<script", 1)[0]  # none in the markup before the data
    assert "<bdi class=\"user\">⟦U+202E⟧txet.exe⟦U+202C⟧ ok</bdi>" in html
    svg = await _svg(client, issued["id"])
    assert "\u202e" not in svg


async def test_nul_is_refused_where_text_is_signed_and_in_paths(client: Client,
                                                                alice: Party) -> None:
    mark = await publish_mark(client)
    resp = await client.post("/admin/issue", headers=admin_headers(client), json={
        "kind": "TrustMark", "markDefinition": "top-seller",
        "credentialSubject": {"id": alice.did, "status": "a\u0000b"}})
    assert resp.status == 422 and "control characters" in (await resp.json())["detail"]
    assert (await client.get("/subjects/did%3Aexample%3Aa%00b")).status == 400
    assert (await client.get("/badges/%00.svg")).status == 400
    assert (await client.get("/marks/top%00seller/1")).status == 404
    # a NUL in a query parameter changes nothing (aiohttp refuses one in a header)
    issued = await issue_mark(client, alice.did, mark)
    resp = await client.get(f"/badges/{short(issued['id'])}?lang=%00")
    assert resp.status == 200 and resp.headers["Content-Language"] == "en"


# rdflib 7's JSON-LD parser builds a ConjunctiveGraph internally and warns about itself
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
async def test_an_independent_parser_reads_the_machine_layer(client: Client,
                                                             alice: Party) -> None:
    mark = await publish_mark(client)
    issued = await issue_mark(client, alice.did, mark)
    html = await _page(client, issued["id"])
    [block] = SCRIPT_BLOCK.findall(html)
    graph = rdflib.Graph().parse(data=block, format="json-ld")
    cred = rdflib.Namespace("https://www.w3.org/2018/credentials#")
    cf = rdflib.Namespace("https://w3id.org/confiance#")
    node = rdflib.URIRef(issued["id"])
    assertion = from_credential(issued["document"])
    assert graph.value(node, cred.issuer) == rdflib.URIRef(node_of(client).did)
    subject = graph.value(node, cred.credentialSubject)
    assert subject == rdflib.URIRef(assertion.about)
    assert graph.value(subject, cf.mark) == rdflib.URIRef(mark["mark"])
    assert str(graph.value(subject, cf.status)) == assertion.status
    assert str(graph.value(node, cf.liveStatus)) == "valid"
    assert (node, rdflib.RDF.type, cf.TrustMark) in graph
    assert '<link rel="alternate" type="application/ld+json"' in html


async def test_open_badge_of_a_node_mark(client: Client, alice: Party) -> None:
    mark = await publish_mark(client)
    issued = await issue_mark(client, alice.did, mark)
    resp = await client.get(f"/badges/{short(issued['id'])}/openbadge.json")
    assert resp.status == 200 and resp.content_type == "application/ld+json"
    ob = await resp.json()
    assert ob["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert ob["credentialSubject"]["achievement"]["id"] == mark["id"]
    assert ob["credentialStatus"] == issued["document"]["credentialStatus"]
    assert ob["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    again = await (await client.get(f"/badges/{short(issued['id'])}/openbadge.json")).json()
    assert again == ob  # deterministic: the same proof every time
    other = await client.post("/assertions", json=alice.mark("did:example:bob"))
    assert other.status == 201
    refused = await client.get(f"/badges/{short((await other.json())['id'])}/openbadge.json")
    assert refused.status == 404


async def test_admin_issue_links_the_definition(client: Client, alice: Party) -> None:
    mark = await publish_mark(client)
    resp = await client.post("/admin/issue", headers=admin_headers(client), json={
        "kind": "TrustMark", "markDefinition": "top-seller",
        "credentialSubject": {"id": alice.did, "status": "Top seller"}})
    doc = (await resp.json())["document"]
    assert doc["credentialSubject"]["mark"] == {"id": mark["mark"], "version": "1"}
    assert doc["credentialSubject"]["trustContext"] == "seller" and doc["name"] == "Top seller"
    for body in ({"markDefinition": "nope"},
                 {"credentialSubject": {"id": alice.did, "status": "x", "trustContext": "wiki",
                                        "mark": {"id": mark["mark"]}}}):
        full = {"kind": "TrustMark", "credentialSubject": {"id": alice.did, "status": "x"},
                **body}
        bad = await client.post("/admin/issue", headers=admin_headers(client), json=full)
        assert bad.status == 400, await bad.text()
