"""Schemathesis against a real node: every operation of ``/openapi.json``, with and without
the admin token, checked for server errors, undocumented status codes and undocumented
content types. The node and the document must agree; this finds where they do not.

The node is a real ``confiance serve --port 0`` process (loopback, ephemeral port, found
through its run record); its rate limits are raised so that the fuzzer reaches the handlers
instead of the token buckets (429 is documented where it applies and covered elsewhere).

Budget: ``CONFIANCE_FUZZ_EXAMPLES`` cases per operation and phase (default 8) and
``CONFIANCE_FUZZ_SECONDS`` per run (default 15): short enough for the default suite. For a
longer hunt: ``CONFIANCE_FUZZ_EXAMPLES=500 CONFIANCE_FUZZ_SECONDS=600 pytest -k fuzz``.
Schemathesis's own internal errors (its coverage phase occasionally trips on a schema it
cannot generate from) are reported by the run but not counted as findings: only
``<failure>`` entries of its JUnit report are.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import environment, served, wait_for_record

pytestmark = pytest.mark.slow

pytest.importorskip("schemathesis", reason="schemathesis is in the test extra: "
                                           "pip install -e '.[test]'")

GENEROUS = {f"CONFIANCE_{kind}_{what}": "1000000" for kind in ("WRITE", "READ")
            for what in ("BURST", "PER_SECOND")}
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """A served node: (base URL, admin token, its log file)."""
    data = tmp_path_factory.mktemp("fuzz") / "node"
    with served(data, "--port", "0", "--log-format", "json",
                env=environment(**GENEROUS)) as proc:
        url = str(wait_for_record(data, proc)["url"])
        yield url, (data / "admin.token").read_text().strip(), data.with_suffix(".log")


def _fuzz(url: str, workdir: Path, *extra: str) -> tuple[list[str], str]:
    """Run schemathesis; (the failures found, its output)."""
    junit = workdir / "junit.xml"
    argv = [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json",
            "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
            "--max-examples", os.environ.get("CONFIANCE_FUZZ_EXAMPLES", "8"),
            "--max-time", os.environ.get("CONFIANCE_FUZZ_SECONDS", "15"),
            "--workers", "1", "--generation-database", "none", "--no-color",
            "--suppress-health-check", "all", "--request-timeout", "10",
            "--report", "junit", "--report-junit-path", str(junit), *extra]
    done = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=300,
                          check=False)
    output = done.stdout + done.stderr
    assert junit.exists(), output[-3000:]
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        for failure in case.findall("failure"):
            found.append(f"{case.get('name')}: {(failure.get('message') or '')[:500]}")
    assert "Operations:" in output, output[-3000:]  # it did run against the document
    return found, output


@pytest.mark.parametrize("with_token", [False, True], ids=["anonymous", "admin"])
def test_the_node_answers_as_its_openapi_document_says(
        node: tuple[str, str, Path], tmp_path: Path, with_token: bool) -> None:
    url, token, log = node
    extra = ("--header", f"Authorization: Bearer {token}") if with_token else ()
    found, output = _fuzz(url, tmp_path, *extra)
    selected = re.search(r"(\d+) selected / (\d+) total", output)
    assert selected and selected[1] == selected[2] and int(selected[1]) >= 20, output[-3000:]
    assert not found, "\n".join(found) + "\n" + output[-4000:]
    assert "Traceback" not in log.read_text(), "the node logged a traceback"
