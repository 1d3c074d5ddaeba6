"""Numbers in paths and query strings are ASCII digits: ``str.isdigit`` is also true for a
superscript (``³``, which ``int`` refuses: it was a 500, found by schemathesis) and for
another script's digit (``٣``, which ``int`` reads as 3). Both get the route's own problem."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient

Client = TestClient[Any, Any]
PROBLEMS = "https://w3id.org/confiance/problems/"
NOT_ASCII = ["\u00b3", "\u0663", "1\u00b3"]


async def _problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["type"] == PROBLEMS + kind, body
    return body


@pytest.mark.parametrize("number", NOT_ASCII)
async def test_a_status_list_number_in_another_script_is_not_found(client: Client,
                                                                    number: str) -> None:
    await _problem(await client.get(f"/status/{quote(number)}"), 404, "not-found")
    assert (await client.get("/status/1")).status == 200  # the list every node has


@pytest.mark.parametrize("number", NOT_ASCII)
async def test_a_page_limit_in_another_script_is_a_bad_request(client: Client,
                                                              number: str) -> None:
    body = await _problem(await client.get(f"/assertions?limit={quote(number)}"), 400,
                          "invalid-parameter")
    assert body["parameter"] == "limit"
    assert (await client.get("/assertions?limit=3")).status == 200


@pytest.mark.parametrize("number", [*NOT_ASCII, "9" * 30])
async def test_a_rank_length_in_another_script_is_a_bad_request(client: Client,
                                                                number: str) -> None:
    url = f"/trust/rank?from=did:key:zSomeone&top={quote(number)}"
    body = await _problem(await client.get(url), 400, "invalid-parameter")
    assert body["parameter"] == "top"
