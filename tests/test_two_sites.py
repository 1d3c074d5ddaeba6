"""The seed story (``examples/two_sites/story.py``), played on two real nodes, every claim
checked with numbers.

Two ``confiance serve`` processes on loopback, the ``confiance`` command for every step,
real HTTP and real signatures: the story runs once for this module (its figures are kept in
``story.seen``), then each test checks one step's claims. The figures follow from
``specs/trust.md``: E2 reads Alice's 97 through its rule as 4 on 1..5 (unit 0.75); a
referral weighs 0.5; after Bob's betrayal E1 sees him distrusted at 2/3 (Carol's and Dave's
-1 against Alice's +0.5, each of them trusted at 1.0 by E1's own marks), so Alice's penalty
is 0.1 x 2/3.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
STORY_FILE = ROOT / "examples" / "two_sites" / "story.py"
SENTENCE = ("E2 reads E1’s “positive feedback” mark on its own 1..5 scale: 98 or more is 5, "
            "95 or more is 4, otherwise 1.")


def load_story() -> Any:
    spec = importlib.util.spec_from_file_location("two_sites_story", STORY_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    module = load_story()
    lines: list[str] = []
    played = module.Story(tmp_path_factory.mktemp("two-sites"), (free_port(), free_port()),
                          say=lines.append)
    played.lines = lines
    started = time.monotonic()
    try:
        played.play()
        print(f"\nthe story took {time.monotonic() - started:.1f} s: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in played.seen["seconds"].items()))
        yield played
    finally:
        played.stop()


def hops(result: dict[str, Any]) -> list[dict[str, Any]]:
    assert result["paths"], result
    return list(result["paths"][0]["hops"])


def test_two_nodes_listen_where_their_public_urls_say(story: Any) -> None:
    """init --public-url http://127.0.0.1:PORT, then serve without --port: it listens there."""
    for site in (story.e1, story.e2):
        record = json.loads((site.data_dir / "run.json").read_text())
        assert record["url"] == site.url
        assert site.did == "did:web:127.0.0.1%3A" + site.url.rsplit(":", 1)[1]
        assert f"port = {site.url.rsplit(':', 1)[1]}" in \
            (site.data_dir / "confiance.toml").read_text()


def test_step1_alice_holds_e1s_mark_and_accepted_it(story: Any) -> None:
    seen = story.seen["step1"]
    assert seen["status"] == "valid"
    mark = story.http(f"{story.e1.url}/assertions/{seen['mark'].rsplit(';', 1)[1]}",
                      accept="application/ld+json").json()
    subject = mark["credentialSubject"]
    assert subject["id"] == story.people["Alice"]
    assert subject["statusValue"] == 97 and subject["status"] == "97% positive over 1,204 sales"
    assert subject["mark"] == {"id": f"{story.e1.url}/marks/positive-feedback", "version": "1"}
    assert mark["issuer"] == story.e1.did and "credentialStatus" in mark
    assert seen["on_her_page"] == [seen["mark"]]  # accepted: on her page
    assert story.http(seen["terms"], accept="text/html").status == 200


def test_step2_alices_exported_page_shows_the_mark(story: Any) -> None:
    seen = story.seen["step2"]
    module = sys.modules["two_sites_story"]
    page = seen["verify_page"].read_text(encoding="utf-8")
    assert module.status_word(page) == "valid"
    assert f"{story.e1.url}/badges/" in page  # the live page, for E2 to follow
    assert "Positive feedback" in seen["page"].read_text(encoding="utf-8")


def test_step3_e2_publishes_its_rule_and_e1_nothing(story: Any) -> None:
    seen = story.seen["step3"]
    assert seen["sentence"] == SENTENCE
    assert seen["before"]["e1_rules"] == []
    e2_home = story.http(f"{story.e2.url}/").json()
    assert [r["id"] for r in e2_home["rules"]] == [seen["rule"]]
    assert {"name": "E1", "url": story.e1.url} in e2_home["peers"]
    rule = story.http(f"{story.e2.url}/assertions/{seen['rule'].rsplit(';', 1)[1]}",
                      accept="application/ld+json").json()
    assert rule["issuer"] == story.e2.did and rule["credentialSubject"]["id"] == story.e1.did
    assert rule["credentialSubject"]["scale"] == {"minimum": 1, "maximum": 5}


def test_step4_e2_scores_alice_on_its_scale_with_the_reasons(story: Any) -> None:
    result = story.seen["step4"]["alice_at_e2"]
    assert result["score"] == pytest.approx(4.0)  # 97 -> 4 stars on 1..5
    assert result["value"] == pytest.approx(0.75)  # 4 on 1..5 is 0.75 of the way
    assert result["scale"] == {"minimum": 1, "maximum": 5}
    assert result["confidence"] == pytest.approx(0.75)
    first, second = hops(result)
    assert (first["from"], first["to"], first["kind"]) == (story.e2.did, story.e1.did,
                                                           "Recognition")
    assert first["assertion"] == story.seen["step3"]["rule"] and first["weight"] == 1
    assert (second["from"], second["to"], second["kind"]) == (story.e1.did,
                                                              story.people["Alice"], "TrustMark")
    assert second["assertion"] == story.seen["step1"]["mark"]
    assert second["weight"] == pytest.approx(0.75)
    assert second["rule"] == SENTENCE
    assert second["recognition"] == story.seen["step3"]["rule"]


def test_step4_e1s_view_of_e2_is_unchanged(story: Any) -> None:
    before, after = story.seen["step3"]["before"], story.seen["step4"]["after"]
    for view in (before, after):
        assert view["e1_e2"]["value"] is None and view["e1_e2"]["score"] is None
        assert view["e1_e2"]["paths"] == []
        assert view["e1_alice"]["value"] == pytest.approx(1.0)
        assert view["e1_rules"] == []
    assert after["e1_holds_rule"] == "valid"  # E2's rule reached E1, and changed nothing


def test_step5_bob_starts_better_than_a_stranger(story: Any) -> None:
    seen = story.seen["step5"]
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


def test_step6_alices_standing_drops_by_the_accountability_rule(story: Any) -> None:
    seen = story.seen["step6"]
    vouched, after = seen["alice_vouched"], seen["alice_after"]
    assert vouched["value"] == pytest.approx(1.0) and vouched["penalty"]["value"] == 0
    bad = 2 / 3  # Carol -1 and Dave -1 against Alice's +0.5, each trusted 1.0 by E1
    [outcome] = after["penalty"]["referrals"]
    assert outcome == {"referral": story.seen["step5"]["referral"],
                       "referred": story.people["Bob"], "bad": pytest.approx(bad)}
    assert after["penalty"]["value"] == pytest.approx(0.1 * bad)
    assert after["value"] == pytest.approx(1.0 * (1 - 0.1 * bad))  # 0.9333: slightly
    bob = seen["bob_after"]
    assert bob["value"] == pytest.approx((0.5 - 1 - 1) / 3)
    assert bob["distrust"]["value"] == pytest.approx(bad)
    assert {s["node"] for s in bob["distrust"]["sources"]} == {story.people["Carol"],
                                                               story.people["Dave"]}


def test_step6_the_revocation_reads_everywhere(story: Any) -> None:
    seen = story.seen["step6"]
    mark = story.seen["step5"]["mark"]
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
    assert hops(at_e2)[-1]["assertion"] == story.seen["step5"]["referral"]
    assert seen["export_before_check"] == "valid"  # a static copy says what it last knew
    assert seen["export_after_check"] == "revoked"  # and what the status list says once checked
    assert seen["export_svg_title"] == "positive feedback: revoked"
    assert seen["check_output"] == {mark: "revoked"}


def test_step7_alices_export_is_complete_and_her_erasure_applies_on_both(story: Any) -> None:
    seen = story.seen["step7"]
    export = seen["export"]
    assert export["node"] == story.e2.did
    about = {item["id"] for item in export["about"]}
    issued = {item["id"] for item in export["issued"]}
    assert about == {story.seen["step1"]["mark"]}
    assert issued == {story.seen["step1"]["acceptance"], story.seen["step5"]["referral"]}
    assert about | issued == seen["held"]["E2"] == seen["held"]["E1"]  # all it holds
    assert all(item["document"]["proof"] for item in export["about"] + export["issued"])
    assert set(seen["erased"]) == issued
    assert seen["after"] == {"E1": {i: 410 for i in issued}, "E2": {i: 410 for i in issued}}
    assert seen["mark_status"] == "valid"  # E1's mark about her is E1's, not hers to erase


def test_the_story_tells_each_step_with_the_urls_to_open(story: Any) -> None:
    text = "\n".join(story.lines)
    for number in range(1, 8):
        assert f"\n{number}. " in text
    mark = story.seen["step5"]["mark"].rsplit(";", 1)[1]
    assert f"{story.e1.url}/badges/{mark}" in text and f"{story.e2.url}/" in text
    assert SENTENCE in text
    assert "1 -> 0.9333" in text and "0.06667" in text
    assert "$ confiance rules add" in text and "$ confiance subject erase --all" in text
