"""Real ``confiance`` processes for tests: serve a data directory, wait for its run record."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CLI = [sys.executable, "-m", "confiance.node.cli"]


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without CONFIANCE_DATA_DIR, plus ``extra``."""
    env = dict(os.environ)
    env.pop("CONFIANCE_DATA_DIR", None)
    env.update(extra)
    return env


@contextmanager
def served(data: Path, *argv: str, env: dict[str, str] | None = None
           ) -> Iterator[subprocess.Popen[bytes]]:
    """``confiance serve --data-dir data ARGV`` (log: ``data.log``), SIGTERM at the end."""
    with open(data.with_suffix(".log"), "ab") as out:
        proc = subprocess.Popen([*CLI, "serve", "--data-dir", str(data), *argv],
                                env=env or environment(), stdout=out, stderr=out)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for_record(data: Path, proc: subprocess.Popen[bytes], timeout: float = 30
                    ) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, data.with_suffix(".log").read_text()
        try:
            record: dict[str, object] = json.loads((data / "run.json").read_text())
            return record
        except (FileNotFoundError, ValueError):
            time.sleep(0.05)
    raise AssertionError("no run record in time")
