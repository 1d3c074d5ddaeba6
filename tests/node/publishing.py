"""Helpers for the publication-mode tests: a mark definition, a mark issued by the node."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from nodehelpers import admin_headers

MARK_BODY: dict[str, Any] = {
    "mark": "top-seller", "version": "1", "name": "Top seller", "shortName": "top seller",
    "trustContext": "seller",
    "terms": {"en": "The issuer awards this mark to a seller whose last 100 sales received "
                    "at least 95% positive feedback.\n\nThe issuer reviews it every month.",
              "fr": "L'émetteur accorde cette marque à un vendeur dont les 100 dernières "
                    "ventes ont reçu au moins 95 % d'avis positifs."},
    "says": {"en": "At least 95% of the seller's last 100 sales were rated positively.",
             "fr": "Au moins 95 % des 100 dernières ventes ont reçu un avis positif."},
    "doesNotSay": {"en": "It says nothing about the goods' quality or the seller's identity.",
                   "fr": "Elle ne dit rien de la qualité des biens ni de l'identité du "
                         "vendeur."},
    "earnedBy": {"en": "100 sales with at least 95% positive feedback.",
                 "fr": "100 ventes avec au moins 95 % d'avis positifs."},
    "lostBy": {"en": "Falling below 95% at a monthly review, or fraud.",
               "fr": "Passer sous 95 % lors d'une revue mensuelle, ou une fraude."},
    "lasts": {"en": "One year, renewed while the rate holds.",
              "fr": "Un an, renouvelé tant que le taux se maintient."},
}


async def publish_mark(client: TestClient[Any, Any], body: dict[str, Any] | None = None
                       ) -> dict[str, Any]:
    resp = await client.post("/admin/marks", json=body or MARK_BODY,
                             headers=admin_headers(client))
    assert resp.status in (200, 201), await resp.text()
    out: dict[str, Any] = await resp.json()
    return out


async def issue_mark(client: TestClient[Any, Any], subject: str, mark: dict[str, Any], *,
                     status: str = "97% positive over 1,204 sales", value: float = 97,
                     extra: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "TrustMark", "credentialSubject": {
        "id": subject, "trustContext": "seller",
        "mark": {"id": mark["mark"], "version": mark["version"]},
        "status": status, "statusValue": value}}
    body.update(extra or {})
    resp = await client.post("/admin/issue", json=body, headers=admin_headers(client))
    assert resp.status == 201, await resp.text()
    out: dict[str, Any] = await resp.json()
    return out


def short(content_id: str) -> str:
    return content_id.rsplit(";", 1)[-1]
