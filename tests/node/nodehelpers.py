"""Helpers for the node tests: signing parties, node access, small HTTP helpers."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from confiance.node.cli import main
from confiance.node.config import NodeConfig, RateLimit
from confiance.node.context import NODE, Node
from confiance.protocol.assertions import issue
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import (
    Acceptance,
    Rating,
    Referral,
    Revocation,
    Scale,
    TrustMark,
)

PUBLIC_URL = "http://node.test:8080"
NODE_DID = "did:web:node.test%3A8080"
GENEROUS = RateLimit(per_second=10_000, burst=10_000)


def now() -> datetime:
    return datetime.now(UTC)


def quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


class Party:
    """Someone with a did:key who signs assertions (a person, another site)."""

    def __init__(self, seed: int) -> None:
        self.key = KeyPair.generate(bytes([seed]) * 32)
        self.did = self.key.did

    def sign(self, assertion: Any, *, suite: str = "eddsa-jcs-2022",
             created: datetime | None = None) -> dict[str, Any]:
        signed = issue(assertion, self.key, suite=suite,
                       created=created or now() - timedelta(seconds=1))
        return signed.document

    def rating(self, subject: str, score: float = 4, *, context: str = "seller",
               suite: str = "eddsa-jcs-2022", valid_from: datetime | None = None,
               valid_until: datetime | None = None, comment: str | None = None
               ) -> dict[str, Any]:
        return self.sign(Rating(issuer=self.did, context=context,
                                valid_from=valid_from or now() - timedelta(minutes=1),
                                valid_until=valid_until, subject=subject, score=score,
                                scale=Scale(minimum=1, maximum=5), comment=comment),
                         suite=suite)

    def mark(self, subject: str, status: str = "Top seller", *, context: str = "seller",
             mark: str = "https://marks.test/top") -> dict[str, Any]:
        return self.sign(TrustMark(issuer=self.did, context=context,
                                   valid_from=now() - timedelta(minutes=1), subject=subject,
                                   mark=mark, status=status))

    def referral(self, subject: str, audience: str) -> dict[str, Any]:
        return self.sign(Referral(issuer=self.did, context="seller",
                                  valid_from=now() - timedelta(minutes=1), subject=subject,
                                  audience=audience))

    def revoke(self, target: str) -> dict[str, Any]:
        return self.sign(Revocation(issuer=self.did, context=None,
                                    valid_from=now() - timedelta(seconds=30), target=target))

    def decide(self, target: str, accepted: bool, *, at: datetime | None = None
               ) -> dict[str, Any]:
        return self.sign(Acceptance(issuer=self.did, context=None,
                                    valid_from=at or now() - timedelta(seconds=30),
                                    target=target, accepted=accepted))


Factory = Callable[..., Any]


def node_of(client: TestClient[Any, Any]) -> Node:
    return client.server.app[NODE]


def admin_headers(client: TestClient[Any, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {node_of(client).admin_token}"}


def with_rates(config: NodeConfig, *, writes: RateLimit | None = None,
               reads: RateLimit | None = None) -> NodeConfig:
    return replace(config, write_rate=writes or config.write_rate,
                   read_rate=reads or config.read_rate)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``confiance ARGV`` in this process: (exit status, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
