"""What gossip brings in one message is ingested together, each document on its own merits."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import pytest
from nodehelpers import Factory, Party, node_of

from confiance.node.config import NodeConfig
from confiance.node.problems import Erased, TargetNotHeld
from confiance.node.storage import StoredAssertion
from confiance.protocol.errors import ConfianceError, ProofError, SchemaError
from confiance.protocol.ids import assertion_id


@pytest.mark.parametrize("verify_threads", [0, 2])
async def test_a_batch_gives_each_document_the_outcome_submit_gives_it(
        make_client: Factory, config: NodeConfig, alice: Party, bob: Party,
        verify_threads: int) -> None:
    client = await make_client(config, verify_threads=verify_threads)
    node = node_of(client)
    first = alice.rating("did:example:s1", 4)
    second = bob.rating("did:example:s2", 2)
    forged = copy.deepcopy(alice.rating("did:example:s3", 5))
    forged["credentialSubject"]["score"] = 1
    unknown = {**alice.rating("did:example:s4"), "type": ["VerifiableCredential", "X"]}
    revoked = alice.rating("did:example:s5", 3)
    revocation = alice.revoke(assertion_id(revoked))
    orphan = bob.revoke(assertion_id(bob.rating("did:example:never-sent")))
    await node.ingestor.submit(second)  # held already
    seen: list[tuple[str, int | None]] = []
    marker: list[int | None] = [None]

    @contextlib.contextmanager
    def around(index: int) -> Iterator[None]:
        marker[0] = index
        try:
            yield
        finally:
            marker[0] = None

    def listener(stored: StoredAssertion) -> None:
        assert stored.parsed is not None  # the verified assertion comes along
        seen.append((stored.id, marker[0]))

    node.ingestor.subscribe(listener)
    batch: list[dict[str, Any]] = [first, second, forged, unknown, revoked, revocation,
                                   orphan, first]
    outcomes = await node.ingestor.submit_many(batch, around=around)
    assert len(outcomes) == len(batch)
    kinds = [type(o).__name__ if isinstance(o, ConfianceError) else o.created
             for o in outcomes]
    assert kinds == [True, False, "ProofError", "UnknownKind", True, True,
                     "TargetNotHeld", False]
    assert isinstance(outcomes[2], ProofError) and isinstance(outcomes[3], SchemaError)
    assert isinstance(outcomes[6], TargetNotHeld)
    assert seen == [(assertion_id(first), 0), (assertion_id(revoked), 4),
                    (assertion_id(revocation), 5)]
    # one by one, submit raises exactly those refusals
    for doc, outcome in zip(batch[2:4], outcomes[2:4], strict=True):
        try:
            await node.ingestor.submit(doc)
        except ConfianceError as exc:
            assert type(exc) is type(outcome) and exc.message == outcome.message
        else:
            raise AssertionError("submit accepted what the batch refused")
    held = await client.get("/assertions/" + assertion_id(revoked).rsplit(";", 1)[1],
                            headers={"Accept": "application/json"})
    assert (await held.json())["status"] == "revoked"
    await node.ingestor.erase(alice.did, [assertion_id(first)])
    again = await node.ingestor.submit_many([first])
    assert isinstance(again[0], Erased)
