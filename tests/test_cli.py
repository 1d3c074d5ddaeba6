"""The CLI contract of issue 2, exercised through ``confiance.node.cli.main`` and, once, as a
real process: keygen, sign, verify (exit 0/1/2 and the JSON report), assert for every kind.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from confiance.node.cli import main

CREATED = "2023-02-24T23:36:38Z"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def vectors(shared: Path) -> Path:
    return shared / "vectors" / "w3c-vc-di-eddsa"


@pytest.fixture
def contexts(shared: Path) -> str:
    return str(shared / "contexts")


@pytest.fixture
def keyfile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "key.json"
    code, out, _ = run(capsys, "keygen", "-o", str(path))
    assert code == 0
    assert out.strip().startswith("did:key:z6Mk")
    return path


def test_keygen_writes_a_0600_multikey_file(keyfile: Path) -> None:
    assert stat.S_IMODE(os.stat(keyfile).st_mode) == 0o600
    data = json.loads(keyfile.read_text())
    assert data["type"] == "Multikey"
    assert data["secretKeyMultibase"].startswith("z3u2")
    assert data["publicKeyMultibase"].startswith("z6Mk")
    assert data["controller"].startswith("did:key:") and data["id"].startswith(data["controller"])


def test_keygen_refuses_to_overwrite(keyfile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = keyfile.read_text()
    code, _, err = run(capsys, "keygen", "-o", str(keyfile))
    assert code == 2 and "exists" in err
    assert keyfile.read_text() == before


@pytest.mark.parametrize(
    ("unsigned", "suite", "signed"),
    [
        ("unsigned.json", "eddsa-rdfc-2022", "eddsa-rdfc-2022/signedDataInt.json"),
        ("unsigned.json", "eddsa-jcs-2022", "eddsa-jcs-2022/signedJCS.json"),
        ("employmentAuth.json", "eddsa-rdfc-2022", "eddsa-rdfc-2022/employ/signedDataInt.json"),
    ],
)
def test_sign_reproduces_the_w3c_vectors(
    capsys: pytest.CaptureFixture[str], vectors: Path, contexts: str,
    unsigned: str, suite: str, signed: str,
) -> None:
    code, out, err = run(capsys, "sign", "--key", str(vectors / "keyPair.json"), "--suite", suite,
                         "--created", CREATED, "--context-dir", contexts, str(vectors / unsigned))
    assert code == 0, err
    expected = json.loads((vectors / signed).read_text())
    assert json.loads(out)["proof"]["proofValue"] == expected["proof"]["proofValue"]
    assert json.loads(out) == expected


SIGNED_VECTORS = [
    "eddsa-rdfc-2022/signedDataInt.json",
    "eddsa-jcs-2022/signedJCS.json",
    "eddsa-rdfc-2022/employ/signedDataInt.json",
    "proof-set-chain/signedProofSet1.json",
    "proof-set-chain/signedProofSet2.json",
]


@pytest.mark.parametrize("name", SIGNED_VECTORS)
def test_verify_accepts_every_w3c_vector(
    capsys: pytest.CaptureFixture[str], vectors: Path, contexts: str, name: str
) -> None:
    code, out, err = run(capsys, "verify", "--context-dir", contexts, "--json",
                         str(vectors / name))
    assert code == 0, out + err
    report = json.loads(out)
    assert report["ok"] is True
    names = {c["name"] for c in report["checks"]}
    assert {"limits", "validity"} <= names
    assert any(n.startswith("proof") for n in names)
    assert any("issuer" in n for n in names)


def test_verify_exit_1_with_reason_for_a_tampered_document(
    capsys: pytest.CaptureFixture[str], vectors: Path, contexts: str, tmp_path: Path
) -> None:
    doc = json.loads((vectors / "eddsa-rdfc-2022/signedDataInt.json").read_text())
    doc["credentialSubject"]["alumniOf"] = "The School of Exampleз"
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(doc))
    code, _, err = run(capsys, "verify", "--context-dir", contexts, str(path))
    assert code == 1
    assert "proof" in err.lower()


def test_verify_exit_1_json_report_lists_the_failing_check(
    capsys: pytest.CaptureFixture[str], vectors: Path, contexts: str, tmp_path: Path
) -> None:
    doc = json.loads((vectors / "eddsa-jcs-2022/signedJCS.json").read_text())
    doc["validUntil"] = "2023-06-01T00:00:00Z"
    path = tmp_path / "expired.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run(capsys, "verify", "--context-dir", contexts, "--json", str(path))
    assert code == 1
    report = json.loads(out)
    failing = [c for c in report["checks"] if c["status"] == "fail"]
    assert failing, report


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_verify_exit_2_for_unusable_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    code, _, err = run(capsys, "verify", str(path))
    assert code == 2
    assert err.strip() and "Traceback" not in err


def test_verify_exit_2_for_missing_file_and_bad_arguments(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "verify", str(tmp_path / "absent.json"))[0] == 2
    assert run(capsys, "verify")[0] == 2
    assert run(capsys, "verify", "--no-such-flag", "x")[0] == 2


def _assert(capsys: pytest.CaptureFixture[str], keyfile: Path, *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "assert", *argv[:1], "--key", str(keyfile),
                         "--created", "2026-01-02T03:04:05Z", *argv[1:])
    assert code == 0, err
    assert err.startswith("ni:///sha-256;") and len(err.strip()) == 57  # the id alone
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_assert_every_kind_then_verify(
    capsys: pytest.CaptureFixture[str], keyfile: Path, tmp_path: Path
) -> None:
    rule = tmp_path / "rule.json"
    rule.write_text(json.dumps({"type": "ThresholdTable", "thresholds": [
        {"atLeast": 98, "value": 5}, {"atLeast": 90, "value": 4}]}))
    target = "ni:///sha-256;" + "A" * 43
    docs = [
        _assert(capsys, keyfile, "rating", "--subject", "did:example:bob", "--context", "seller",
                "--score", "4", "--scale", "1:5", "--text", "quick and friendly"),
        _assert(capsys, keyfile, "mark", "--subject", "did:example:alice", "--context", "seller",
                "--mark", "https://shop.example/marks/positive-feedback", "--value",
                "97% positive over 1,204 sales", "--status-value", "97"),
        _assert(capsys, keyfile, "referral", "--subject", "did:example:bob", "--context",
                "seller", "--audience", "https://e1.example"),
        _assert(capsys, keyfile, "recognition", "--issuer", "https://e1.example", "--context",
                "seller", "--mark", "https://e1.example/marks/positive", "--rule", str(rule),
                "--scale", "1:5"),
        _assert(capsys, keyfile, "revocation", "--target", target, "--reason", "mistake"),
        _assert(capsys, keyfile, "acceptance", "--target", target, "--reject"),
    ]
    kinds = [d["type"][2] for d in docs]
    assert kinds == ["Rating", "TrustMark", "Referral", "Recognition", "Revocation", "Acceptance"]
    for i, doc in enumerate(docs):
        path = tmp_path / f"a{i}.json"
        path.write_text(json.dumps(doc))
        code, out, err = run(capsys, "verify", "--require-issuer-binding", "--json", str(path))
        assert code == 0, out + err


@pytest.mark.parametrize(
    "argv",
    [
        ("rating", "--subject", "did:example:bob", "--context", "seller", "--score", "9"),
        ("rating", "--subject", "not an iri", "--context", "seller", "--score", "3"),
        ("rating", "--subject", "did:example:bob", "--context", "Bad Context!", "--score", "3"),
        ("rating", "--subject", "did:example:bob", "--context", "seller", "--score", "3",
         "--scale", "5"),
        ("mark", "--subject", "did:example:a", "--context", "seller", "--mark", "nope",
         "--value", "x"),
    ],
)
def test_assert_refuses_invalid_fields_with_a_reason(
    capsys: pytest.CaptureFixture[str], keyfile: Path, argv: tuple[str, ...]
) -> None:
    code, out, err = run(capsys, "assert", argv[0], "--key", str(keyfile), *argv[1:])
    assert code == 2
    assert out == ""
    assert err.strip() and "Traceback" not in err


def test_the_console_script_runs_as_a_process(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "confiance.node.cli", "keygen", "-o",
                             str(tmp_path / "k.json")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("did:key:")


def test_help_lists_every_command_with_its_own_summary() -> None:
    """cli.COMMANDS (what --help shows without importing the commands) matches each module."""
    from confiance.node.cli import COMMANDS, build_parser

    full = build_parser(None)
    sub = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    summaries = {choice.dest: choice.help for choice in sub._choices_actions}
    assert summaries == {name: summary for name, (_, summary) in COMMANDS.items()}
    lazy = build_parser("")
    assert lazy.format_help() == full.format_help()


def test_light_commands_do_not_import_the_heavy_parts(tmp_path: Path) -> None:
    """Start-up time: --version and keygen import no JSON-LD, JSON Schema, aiohttp, numpy."""
    probe = (
        "import sys\n"
        "from confiance.node.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('pyld', 'jsonschema', 'aiohttp', 'numpy', 'scipy', 'networkx')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)), file=sys.stderr)\n"
    )
    for argv in (["--version"], ["--help"], ["keygen", "-o", str(tmp_path / "k.json")]):
        done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                              text=True, check=True)
        assert done.stderr.strip().splitlines()[-1] == "[]", (argv, done.stderr)
