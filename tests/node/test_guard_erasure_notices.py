"""Every refusal of an erasure notice forwarded by a peer (issue 14), through gossip.

An erasure notice deletes data at every node that takes it, on the word of whoever
forwards it; only the issuer's own signed request makes it acceptable
(``node/erasures.py``). Each case below is a notice that would erase ``victim``'s assertion
held by the node *but for one defect*, sent by a recognised peer in a ``push``: the node
must refuse it as invalid (counted, blamed on the peer) and keep the assertion. With the
guard that finds the defect removed, the notice is applied (or the node crashes) and the
test fails. The well-formed notice is the control: the same construction, applied.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fakepeer import REQUEST_LOADER, FakePeer, node_and_peer, subject_request
from gossipnet import LiveNode
from nodehelpers import Party, now

from confiance.node.erasures import MAX_ERASED, make_notice
from confiance.protocol.assertions import issue
from confiance.protocol.gossip import Push
from confiance.protocol.ids import assertion_id, id_from_digest
from confiance.protocol.model import TrustMark
from confiance.protocol.signing import sign

Notice = dict[str, Any]


def _request(victim: Party, node: LiveNode, body: bytes, **kw: Any) -> dict[str, Any]:
    key = kw.pop("key", victim.key)
    path = kw.pop("path", f"/subjects/{kw.get('holder', victim.did)}/erasure")
    return subject_request(key, audience=node.node.did, method=kw.pop("method", "POST"),
                           path=path, body=body, **kw)


def _ids_body(*ids: str) -> bytes:
    return json.dumps({"ids": list(ids)}).encode()


def _random_ids(n: int) -> list[str]:
    return sorted(id_from_digest(os.urandom(32)) for _ in range(n))


# Each maker: (victim, node, the victim's held assertion id, a second held id) -> notice.
Maker = Callable[[Party, LiveNode, str, str], Notice]


def _well_formed(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    return make_notice(_request(victim, node, body), body, [aid])


def _extra_member(victim: Party, node: LiveNode, aid: str, other: str) -> Notice:
    return {**_well_formed(victim, node, aid, other), "note": "x"}


def _missing_member(victim: Party, node: LiveNode, aid: str, other: str) -> Notice:
    notice = _well_formed(victim, node, aid, other)
    del notice["erased"]
    return notice


def _request_not_object(victim: Party, node: LiveNode, aid: str, other: str) -> Notice:
    return {**_well_formed(victim, node, aid, other), "request": ["holder", "proof"]}


def _request_extra_member(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)  # "name" is a defined term: the request signs and verifies
    return make_notice(_request(victim, node, body, edit={"name": "extra"}), body, [aid])


def _request_wrong_type(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    request = _request(victim, node, body, edit={"type": ["VerifiablePresentation"]})
    return make_notice(request, body, [aid])


def _holder_not_did_key(peer: FakePeer) -> Maker:
    """The peer's own did:web (whose keys the node holds) erasing its own mark."""
    def make(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
        body = _ids_body(aid)
        return make_notice(_request(victim, node, body, key=peer.signing_key,
                                    holder=peer.did), body, [aid])
    return make


def _wrong_method(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    return make_notice(_request(victim, node, body, method="PUT"), body, [aid])


def _wrong_path(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    return make_notice(_request(victim, node, body, path=f"/subjects/{victim.did}/export"),
                       body, [aid])


def _body_digest_mismatch(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    same_json = json.dumps({"ids": [aid]}, indent=1)  # equal content, other bytes
    return make_notice(_request(victim, node, body), same_json.encode(), [aid])


def _body_not_text(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    notice = make_notice(_request(victim, node, body), body, [aid])
    notice["body"] = {"ids": [aid]}
    return notice


def _body_not_json(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = b'{"ids": ['
    return make_notice(_request(victim, node, body), body, [aid])


def _body_not_object(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = json.dumps([aid]).encode()
    return make_notice(_request(victim, node, body), body, [aid])


def _erased_not_named(victim: Party, node: LiveNode, aid: str, other: str) -> Notice:
    body = _ids_body(aid)  # names one id; the notice erases both
    return make_notice(_request(victim, node, body), body, [aid, other])


def _ids_not_a_list(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = json.dumps({"ids": aid}).encode()
    return make_notice(_request(victim, node, body), body, [aid])


def _erased_empty(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    return make_notice(_request(victim, node, body), body, [])


def _erased_unsorted(victim: Party, node: LiveNode, aid: str, other: str) -> Notice:
    body = _ids_body(aid, other)
    notice = make_notice(_request(victim, node, body), body, [aid, other])
    notice["erased"] = sorted(notice["erased"], reverse=True)
    return notice


def _erased_repeated(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    notice = make_notice(_request(victim, node, body), body, [aid])
    notice["erased"] = [aid, aid]
    return notice


def _erased_not_strings(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    notice = make_notice(_request(victim, node, body), body, [aid])
    notice["erased"] = [aid, 7]
    return notice


def _erased_not_a_list(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    notice = make_notice(_request(victim, node, body), body, [aid])
    notice["erased"] = aid
    return notice


def _erased_not_ids(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = json.dumps({"all": True}).encode()  # everything: no "named" check to hide behind
    return make_notice(_request(victim, node, body), body, ["not-an-id"])


def _everything_too_many(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = json.dumps({"all": True}).encode()
    return make_notice(_request(victim, node, body), body, _random_ids(MAX_ERASED + 1))


def _undated_proof(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    notice = make_notice(_request(victim, node, body), body, [aid])
    del notice["request"]["proof"]["created"]
    return notice


def _signed_by_another_key(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)  # holder: the victim; a valid proof by someone else's key
    return make_notice(_request(victim, node, body, key=Party(99).key, holder=victim.did),
                       body, [aid])


def _broken_proof(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    body = _ids_body(aid)
    notice = make_notice(_request(victim, node, body), body, [aid])
    notice["request"]["proof"]["created"] = (now() - timedelta(hours=1)).isoformat()
    return notice


def _one_proof_of_a_set_forged(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
    """The holder's valid proof beside a forged one: a proof set verifies only whole."""
    body = _ids_body(aid)
    request = _request(victim, node, body)
    both = sign(request, Party(98).key, created=now() - timedelta(seconds=1),
                loader=REQUEST_LOADER, proof_purpose="authentication")
    both["proof"][1]["proofValue"] = both["proof"][0]["proofValue"]
    return make_notice(both, body, [aid])


REFUSED: dict[str, Maker] = {
    "extra_member": _extra_member,
    "missing_member": _missing_member,
    "request_not_an_object": _request_not_object,
    "request_with_an_extra_member": _request_extra_member,
    "request_of_another_type": _request_wrong_type,
    "method_not_POST": _wrong_method,
    "path_not_the_holder's_erasure": _wrong_path,
    "body_digest_mismatch": _body_digest_mismatch,
    "body_not_text": _body_not_text,
    "body_not_JSON": _body_not_json,
    "body_not_an_object": _body_not_object,
    "erased_ids_the_request_did_not_name": _erased_not_named,
    "ids_not_a_list": _ids_not_a_list,
    "erased_empty": _erased_empty,
    "erased_unsorted": _erased_unsorted,
    "erased_repeated": _erased_repeated,
    "erased_not_strings": _erased_not_strings,
    "erased_not_a_list": _erased_not_a_list,
    "erased_not_ids": _erased_not_ids,
    "everything_one_id_too_many": _everything_too_many,
    "undated_proof": _undated_proof,
    "signed_by_another_key": _signed_by_another_key,
    "proof_does_not_verify": _broken_proof,
    "one_proof_of_a_set_forged": _one_proof_of_a_set_forged,
}


async def _held(http: aiohttp.ClientSession, node: LiveNode, aid: str) -> int:
    from urllib.parse import quote

    async with http.get(f"{node.url}/assertions/{quote(aid, safe='')}") as resp:
        return resp.status


async def _push_one(http: aiohttp.ClientSession, tmp_path: Path,
                    make: Callable[[FakePeer], Maker], *, peer_mark: bool = False
                    ) -> tuple[int, int, int, int]:
    """Push one notice erasing the victim's first assertion (or, ``peer_mark``, the peer's
    own mark); (invalid count before, after, statuses of that id and of another held id)."""
    victim = Party(41)
    async with node_and_peer(tmp_path, http) as (node, peer):
        first, second = victim.rating("did:key:zOne", 2), victim.rating("did:key:zTwo", 3)
        mark = issue(TrustMark(issuer=peer.did, context="seller", subject="did:key:zMe",
                               valid_from=now() - timedelta(minutes=1), mark="https://m.test/x",
                               status="ok"), peer.signing_key,
                     created=now() - timedelta(seconds=30)).document
        for doc in (first, second, mark):
            await peer.send(Push(assertions=(doc,)))
        maker = make(peer)
        held = [assertion_id(first), assertion_id(second), assertion_id(mark)]
        aid = held[2] if peer_mark else held[0]
        other = held[1]
        assert all([await _held(http, node, i) == 200 for i in held])
        before = (await peer.stats())["stats"]["invalid"]
        await peer.send(Push(assertions=(maker(victim, node, aid, other),)))
        after = (await peer.stats())["stats"]["invalid"]
        return before, after, await _held(http, node, aid), await _held(http, node, other)


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_a_defective_notice_is_refused_and_erases_nothing(
        tmp_path: Path, http: aiohttp.ClientSession, case: str) -> None:
    before, after, first, second = await _push_one(http, tmp_path, lambda _: REFUSED[case])
    assert after == before + 1, f"{case}: not refused as invalid"
    assert (first, second) == (200, 200), f"{case}: erased on a defective notice"


async def test_a_notice_whose_holder_is_not_a_did_key_is_refused(
        tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """A recognised peer's did:web, whose keys the node holds, still cannot erase by notice:
    subject requests are did:key only."""
    before, after, mark, _ = await _push_one(http, tmp_path, _holder_not_did_key,
                                           peer_mark=True)
    assert after == before + 1
    assert mark == 200


async def test_the_well_formed_notice_is_applied(tmp_path: Path,
                                                 http: aiohttp.ClientSession) -> None:
    before, after, first, second = await _push_one(http, tmp_path, lambda _: _well_formed)
    assert after == before
    assert (first, second) == (410, 200)


@pytest.mark.parametrize("count", [0, MAX_ERASED])
async def test_everything_with_zero_to_max_erased_ids_is_applied(
        tmp_path: Path, http: aiohttp.ClientSession, count: int) -> None:
    """The exact limits of an erasure of everything: none listed, and MAX_ERASED listed."""
    def everything(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
        body = json.dumps({"all": True}).encode()
        return make_notice(_request(victim, node, body), body, _random_ids(count))

    before, after, first, second = await _push_one(http, tmp_path, lambda _: everything)
    assert after == before
    assert (first, second) == (410, 410)


async def test_junk_beside_the_named_ids_is_ignored(tmp_path: Path,
                                                   http: aiohttp.ClientSession) -> None:
    """A body that names, beside the erased id, things that are no ids (a number, a word,
    an overlong string) still names that id: the notice is applied."""
    def junk(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
        body = json.dumps({"ids": [5, "not-an-id", "x" * 100, aid]}).encode()
        return make_notice(_request(victim, node, body), body, [aid])

    before, after, first, second = await _push_one(http, tmp_path, lambda _: junk)
    assert after == before
    assert (first, second) == (410, 200)


async def test_a_request_whose_proof_is_a_set_of_one_is_applied(
        tmp_path: Path, http: aiohttp.ClientSession) -> None:
    def listed(victim: Party, node: LiveNode, aid: str, _: str) -> Notice:
        body = _ids_body(aid)
        request = _request(victim, node, body)
        request["proof"] = [request["proof"]]
        return make_notice(request, body, [aid])

    before, after, first, second = await _push_one(http, tmp_path, lambda _: listed)
    assert after == before
    assert (first, second) == (410, 200)
