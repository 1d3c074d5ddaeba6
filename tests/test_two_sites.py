"""The seed story (``examples/two_sites/story.py``), played on two real nodes, every claim
checked with numbers.

Two ``confiance serve`` processes on loopback, the ``confiance`` command for every step,
real HTTP and real signatures: the story runs once for the session, as the README shows it
(``tests/storyrun.py``), and records what each step observed (its ``--figures``); each test
here checks one step's claims, and the browser tests look at the same nodes. The figures follow from
``specs/trust.md``: E2 reads Alice's 97 through its rule as 4 on 1..5 (unit 0.75); a
referral weighs 0.5; after Bob's betrayal E1 sees him distrusted at 2/3 (Carol's and Dave's
-1 against Alice's +0.5, each of them trusted at 1.0 by E1's own marks), but Alice's
referral is judged without her own word for him: fully bad (1), so her penalty is 0.1 x 1
and she stands at 0.9. Erasing the referral keeps that: E1 keeps its judgement (a year).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from storyrun import TwoSites

SENTENCE = ("E2 reads E1’s “positive feedback” mark on its own 1..5 scale: 98 or more is 5, "
            "95 or more is 4, otherwise 1.")


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def http(url: str, *, accept: str = "application/json") -> Answer:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()},
                          response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()},
                      error.read().decode("utf-8"))


def status_word(html: str) -> str | None:
    found = re.search(r'id="status-word">([^<]*)<', html)
    return found[1] if found else None


@pytest.fixture
def story(two_sites: TwoSites) -> TwoSites:
    """The story, played once for the session by ``tests/conftest.py`` as the README runs it."""
    return two_sites


def hops(result: dict[str, Any]) -> list[dict[str, Any]]:
    assert result["paths"], result
    return list(result["paths"][0]["hops"])


def digest(content_id: str) -> str:
    return content_id.rsplit(";", 1)[-1]


def test_two_nodes_listen_where_their_public_urls_say(story: TwoSites) -> None:
    """init --public-url http://127.0.0.1:PORT, then serve without --port: it listens there."""
    for name in ("E1", "E2"):
        data_dir = Path(story.sites[name]["data_dir"])
        url = story.url(name)
        port = url.rsplit(":", 1)[1]
        assert json.loads((data_dir / "run.json").read_text())["url"] == url
        assert story.did(name) == f"did:web:127.0.0.1%3A{port}"
        assert f"port = {port}" in (data_dir / "confiance.toml").read_text()
    assert ["serve", "--data-dir", "e1", "--background"] in story.figures["transcript"]


def test_step1_alice_holds_e1s_mark_and_accepted_it(story: TwoSites) -> None:
    seen = story.figures["step1"]
    assert seen["status"] == "valid"
    mark = http(f"{story.url('E1')}/assertions/{digest(seen['mark'])}",
                accept="application/ld+json").json()
    subject = mark["credentialSubject"]
    assert subject["id"] == story.people["Alice"] and mark["issuer"] == story.did("E1")
    assert subject["statusValue"] == 97 and subject["status"] == "97% positive over 1,204 sales"
    assert subject["mark"] == {"id": f"{story.url('E1')}/marks/positive-feedback",
                               "version": "1"}
    assert "credentialStatus" in mark  # a bit in E1's signed status list
    assert seen["on_her_page"] == [seen["mark"]]  # accepted, so on her page
    assert http(seen["terms"], accept="text/html").status == 200


def test_step2_alices_exported_page_shows_the_mark(story: TwoSites) -> None:
    seen = story.figures["step2"]
    page = Path(seen["verify_page"]).read_text(encoding="utf-8")
    assert status_word(page) == "valid"
    assert f"{story.url('E1')}/badges/" in page  # the live page, for E2 to follow
    assert "Positive feedback" in Path(seen["page"]).read_text(encoding="utf-8")


def test_step3_e2_publishes_its_rule_and_e1_nothing(story: TwoSites) -> None:
    seen = story.figures["step3"]
    assert seen["sentence"] == SENTENCE
    assert seen["before"]["e1_rules"] == []
    e2_home = http(f"{story.url('E2')}/").json()
    assert e2_home["rules"] == [{"id": seen["rule"], "sentence": SENTENCE}]
    assert {"name": "E1", "url": story.url("E1")} in e2_home["peers"]
    rule = http(f"{story.url('E2')}/assertions/{digest(seen['rule'])}",
                accept="application/ld+json").json()
    assert rule["issuer"] == story.did("E2")
    assert rule["credentialSubject"]["id"] == story.did("E1")
    assert rule["credentialSubject"]["scale"] == {"minimum": 1, "maximum": 5}
    assert http(f"{story.url('E1')}/").json()["rules"] == []


def test_step4_e2_scores_alice_on_its_scale_with_the_reasons(story: TwoSites) -> None:
    result = story.figures["step4"]["alice_at_e2"]
    assert result["score"] == pytest.approx(4.0)  # 97 -> 4 stars on 1..5
    assert result["value"] == pytest.approx(0.75)  # 4 on 1..5 is 0.75 of the way up
    assert result["scale"] == {"minimum": 1, "maximum": 5}
    assert result["confidence"] == pytest.approx(0.75)
    first, second = hops(result)
    assert (first["from"], first["to"], first["kind"]) == (story.did("E2"), story.did("E1"),
                                                           "Recognition")
    assert first["assertion"] == story.figures["step3"]["rule"] and first["weight"] == 1
    assert (second["from"], second["to"], second["kind"]) == (
        story.did("E1"), story.people["Alice"], "TrustMark")
    assert second["assertion"] == story.figures["step1"]["mark"]
    assert second["weight"] == pytest.approx(0.75)
    assert second["rule"] == SENTENCE
    assert second["recognition"] == story.figures["step3"]["rule"]


def test_step4_e1s_view_of_e2_is_unchanged(story: TwoSites) -> None:
    before, after = story.figures["step3"]["before"], story.figures["step4"]["after"]
    for view in (before, after):
        assert view["e1_e2"]["value"] is None and view["e1_e2"]["score"] is None
        assert view["e1_e2"]["paths"] == []
        assert view["e1_alice"]["value"] == pytest.approx(1.0)
        assert view["e1_rules"] == []
    assert after["e1_holds_rule"] == "valid"  # E2's rule reached E1, and changed nothing


def test_step5_bob_starts_better_than_a_stranger(story: TwoSites) -> None:
    seen = story.figures["step5"]
    bob, stranger = seen["bob_at_e1"], seen["stranger_at_e1"]
    assert bob["value"] == pytest.approx(0.5)  # 1.0 (Alice at E1) x 0.5 (a referral)
    assert bob["confidence"] == pytest.approx(0.5)
    assert stranger["value"] is None and stranger["confidence"] == 0  # no opinion at all
    first, second = hops(bob)
    assert (first["to"], first["kind"]) == (story.people["Alice"], "TrustMark")
    assert (second["to"], second["kind"], second["assertion"]) == (
        story.people["Bob"], "Referral", seen["referral"])
    assert second["weight"] == pytest.approx(0.5)
    assert seen["bob_at_e2"]["score"] == pytest.approx(5.0)  # 100 -> 5 stars at E2


def test_step6_alices_standing_drops_by_the_accountability_rule(story: TwoSites) -> None:
    seen = story.figures["step6"]
    vouched, after = seen["alice_vouched"], seen["alice_after"]
    assert vouched["value"] == pytest.approx(1.0) and vouched["penalty"]["value"] == 0
    # Carol -1 and Dave -1, each trusted 1.0 by E1; Alice's own +0.5 for Bob is no evidence
    # that her referral was good (counted, it made the referral 2/3 bad: 0.9333)
    [outcome] = after["penalty"]["referrals"]
    assert outcome == {"referral": story.figures["step5"]["referral"],
                       "referred": story.people["Bob"], "bad": 1.0, "state": "standing",
                       "ended": None, "expires": None}
    assert after["penalty"]["value"] == pytest.approx(0.1)
    assert after["value"] == pytest.approx(0.9)  # 1.0 x (1 - 0.1 x 1): slightly
    bob = seen["bob_after"]
    # Bob's own standing still weighs Alice's word beside theirs: distrust 2/3
    assert bob["value"] == pytest.approx((0.5 - 1 - 1) / 3)
    assert bob["distrust"]["value"] == pytest.approx(2 / 3)
    assert {s["node"] for s in bob["distrust"]["sources"]} == {story.people["Carol"],
                                                               story.people["Dave"]}


def test_step6_the_revocation_reads_everywhere(story: TwoSites) -> None:
    seen = story.figures["step6"]
    mark = story.figures["step5"]["mark"]
    assert seen["e1_status"] == "revoked"
    assert seen["e1_svg_title"] == "positive feedback: revoked"
    assert seen["e1_page_word"] == "revoked"
    assert seen["e2_status"] == "revoked"  # E2's copy, after gossip
    # E2 does not hold E1's definition: its badge is labelled with the mark's own name
    assert seen["e2_svg_title"] == "Positive feedback: revoked"
    # E2 no longer reads the revoked mark: it sees Bob only through Alice's referral now
    # (E2 -> E1 -> Alice at 0.75 -> Bob at 0.5; Carol's and Dave's -1 are two hops too far
    # from E2 to count, by the one-step distrust rule)
    at_e2 = seen["bob_at_e2"]
    assert at_e2["value"] == pytest.approx(0.5) and at_e2["score"] == pytest.approx(3.0)
    assert mark not in {h["assertion"] for p in at_e2["paths"] for h in p["hops"]}
    assert hops(at_e2)[-1]["assertion"] == story.figures["step5"]["referral"]
    assert seen["export_before_check"] == "valid"  # a static copy says what it last knew
    assert seen["export_after_check"] == "revoked"  # and what the status list says once checked
    assert seen["export_svg_title"] == "positive feedback: revoked"
    assert seen["check_output"] == {mark: "revoked"}
    assert http(f"{story.url('E2')}/badges/{digest(mark)}.svg").headers["etag"]


def test_step7_alices_export_is_complete_and_her_erasure_applies_on_both(
        story: TwoSites) -> None:
    seen = story.figures["step7"]
    export = seen["export"]
    assert export["node"] == story.did("E2")
    about = {item["id"] for item in export["about"]}
    issued = {item["id"] for item in export["issued"]}
    assert about == {story.figures["step1"]["mark"]}
    assert issued == {story.figures["step1"]["acceptance"], story.figures["step5"]["referral"]}
    assert about | issued == set(seen["held"]["E2"]) == set(seen["held"]["E1"])  # all of it
    assert all(item["document"]["proof"] for item in export["about"] + export["issued"])
    assert set(seen["erased"]) == issued
    assert seen["after"] == {"E1": {i: 410 for i in issued}, "E2": {i: 410 for i in issued}}
    assert seen["mark_status"] == "valid"  # E1's mark about her is E1's, not hers to erase
    assert export["referralJudgements"] == []  # E2 was not her referral's audience


def test_step7_erasing_her_referral_does_not_buy_back_its_cost(story: TwoSites) -> None:
    seen = story.figures["step7"]
    referral = story.figures["step5"]["referral"]
    alice_at_e1 = seen["alice_at_e1"]
    # not back to 1.0: E1 applies its kept judgement of the erased referral
    assert alice_at_e1["value"] == pytest.approx(0.9)
    [outcome] = alice_at_e1["penalty"]["referrals"]
    assert outcome["referral"] == referral and outcome["referred"] is None  # whom: forgotten
    assert (outcome["state"], outcome["bad"]) == ("erased", 1.0)
    export = seen["export_e1"]
    assert export["node"] == story.did("E1") and export["issued"] == []
    assert {item["id"] for item in export["about"]} == {story.figures["step1"]["mark"]}
    assert set(seen["erased"]) <= {item["id"] for item in export["erased"]}
    [kept] = export["referralJudgements"]
    assert {k: v for k, v in kept.items() if k not in ("ended", "expires")} == {
        "referral": referral, "referrer": story.people["Alice"], "audience": story.did("E1"),
        "context": "seller", "bad": 1.0, "share": 0.1}
    ended, expires = (datetime.fromisoformat(kept[k].replace("Z", "+00:00"))
                      for k in ("ended", "expires"))
    assert expires - ended == timedelta(days=365)  # withdrawn_referral_days
    assert (kept["ended"], kept["expires"]) == (outcome["ended"], outcome["expires"])
    # whom it referred is nowhere in what E1 keeps about her
    assert story.people["Bob"] not in json.dumps(export["referralJudgements"])


def test_the_story_tells_each_step_with_the_urls_to_open(story: TwoSites) -> None:
    text = story.output
    for number in range(1, 8):
        assert f"\n{number}. " in text
    mark = digest(story.figures["step5"]["mark"])
    assert f"{story.url('E1')}/badges/{mark}" in text and f"{story.url('E2')}/" in text
    assert SENTENCE in text
    assert ("judged bad at 1 (1: fully), so Alice loses 0.1 x that = 0.1 of her standing: "
            "1 -> 0.9.") in text
    assert "so Alice still stands at 0.9 there" in text
    assert "$ confiance rules add" in text and "$ confiance subject erase --all" in text
    print(f"\nthe story took {story.figures['total_seconds']:.1f} s: " + ", ".join(
        f"{k} {v:.1f} s" for k, v in story.figures["seconds"].items()))
