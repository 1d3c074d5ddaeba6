"""specs/gossip.md agrees with the code: the state table and the worked example."""

from __future__ import annotations

from pathlib import Path

from confiance.protocol.gossip import (
    Reconcile,
    ReconcileConfig,
    Reconciliation,
    SortedIdIndex,
    encode_message,
    respond,
    transition_table_markdown,
)

SPEC = Path(__file__).resolve().parents[3] / "specs" / "gossip.md"


def block(name: str) -> str:
    text = SPEC.read_text(encoding="utf-8")
    begin, end = f"<!-- BEGIN {name}", f"<!-- END {name} -->"
    assert begin in text and end in text, f"{SPEC} lacks the {name} markers"
    return text.split(begin, 1)[1].split("-->", 1)[1].split(end, 1)[0].strip()


def test_spec_holds_the_generated_state_table() -> None:
    assert block("STATE TABLE") == transition_table_markdown().strip(), (
        "specs/gossip.md is out of date: paste the output of "
        "`python -m confiance.protocol.gossip` between the STATE TABLE markers")


def test_worked_example_reproduces() -> None:
    a = SortedIdIndex(bytes([x]) * 32 for x in (0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80))
    b = SortedIdIndex(bytes([x]) * 32 for x in (0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90))
    config = ReconcileConfig(buckets=2, id_list_threshold=3)
    run = Reconciliation(a, config)
    lines = []
    message: Reconcile | None = run.start()
    while message is not None:
        lines.append("A->B " + encode_message(message).decode())
        answer = respond(b, message, config)
        lines.append("B->A " + encode_message(answer).decode())
        message = run.step(answer)
    assert block("WORKED EXAMPLE").strip("`").strip() == "\n".join(lines)
    assert run.have == {bytes([0x30]) * 32} and run.need == {bytes([0x90]) * 32}
    assert run.rounds == 2


def test_docstring_examples_run() -> None:
    import doctest
    import importlib

    for name in ("messages", "session", "reconcile", "plumtree", "scoring", "backoff"):
        module = importlib.import_module(f"confiance.protocol.gossip.{name}")
        result = doctest.testmod(module)
        assert result.failed == 0, f"doctest of {name} failed"
