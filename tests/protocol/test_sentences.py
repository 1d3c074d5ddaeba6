"""Rule sentences: the scale named once, parties by name or short form, EN and FR."""

from __future__ import annotations

import doctest

from confiance.protocol import sentences
from confiance.protocol.rules import CategoricalRule, LinearRule, ThresholdRule
from confiance.protocol.sentences import rule_sentence, short_id

E1 = "did:web:e1.example"
E2 = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
STARS = ThresholdRule(thresholds=((98, 5), (95, 4)), otherwise=1)


def test_the_issue_example_reads_once() -> None:
    sentence = rule_sentence(reader="did:web:e2.example", read=E1, rule=STARS, scale=(1, 5),
                             mark="https://e1.example/marks/positive",
                             mark_name="positive-feedback rate",
                             names={"did:web:e2.example": "E2", E1: "E1"})
    assert sentence == ("E2 reads E1’s “positive-feedback rate” mark on its own 1..5 scale: "
                        "98 or more is 5, 95 or more is 4, otherwise 1.")
    assert sentence.count("scale") == 1 and "did:" not in sentence


def test_french() -> None:
    sentence = rule_sentence(reader="did:web:e2.example", read=E1, rule=STARS, scale=(1, 5),
                             mark="https://e1.example/marks/positive", lang="fr")
    assert sentence == ("e2.example lit la marque « e1.example/marks/positive » de "
                        "e1.example sur sa propre échelle de 1 à 5 : 98 ou plus vaut 5, "
                        "95 ou plus vaut 4, sinon 1.")


def test_other_rules_and_contexts() -> None:
    linear = rule_sentence(reader=E2, read=E1, rule=LinearRule(
        source_min=0, source_max=100, target_min=0, target_max=1), scale=(0, 1),
        source_context="vendor", context="seller")
    assert "ratings (context “vendor”, read as “seller” here)" in linear
    assert linear.startswith(short_id(E2)) and "0 there is 0, 100 there is 1" in linear
    roles = rule_sentence(reader=E2, read=E1, rule=CategoricalRule(
        mapping=(("admin", 0.9),)), scale=(0, 1), mark="https://e1.example/m")
    assert roles.endswith("“admin” is 0.9, any other status, nothing.")


def test_short_ids() -> None:
    assert short_id("did:web:e1.example%3A8443:shop") == "e1.example:8443/shop"
    assert short_id(E2) == "did:key:z6MkhaXgBZDv…2doK"
    assert short_id("https://e1.example/") == "e1.example"


def test_doctest() -> None:
    failures, _ = doctest.testmod(sentences)
    assert failures == 0
