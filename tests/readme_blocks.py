"""The README's code blocks and their markers, for the tests that run them.

Every ```sh (and ```python) block of the README is preceded by one marker line:

- ``<!-- run by tests/FILE.py: NAME -->``: that test file runs it (blocks sharing a NAME run
  as one script, in the README's order: the story's tour is several blocks in one shell);
- ``<!-- not run: WHY -->``: it cannot be run as written by a test (a server that runs until
  Ctrl-C, the test command itself), and WHY says so and what covers it instead.

``tests/test_readme.py`` checks that every block has one, and runs its own.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RUN = re.compile(r"<!-- run by (tests/[\w/]+\.py): (\w[\w-]*)( \([^)]*\))? -->")
NOT_RUN = re.compile(r"<!-- not run: (.+?) -->")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
#: What a shell block is written in.
SHELLS = ("sh", "bash", "shell")


@dataclass(frozen=True)
class Block:
    language: str
    text: str
    line: int  # where the block starts in README.md (1-based)
    marker: str | None  # the marker line before it, if any
    runner: str | None = None  # tests/FILE.py for a "run by" block
    name: str | None = None
    reason: str | None = None  # for a "not run" block


def blocks(text: str | None = None) -> list[Block]:
    """Every fenced block of the README with the marker line just before it."""
    text = README.read_text(encoding="utf-8") if text is None else text
    found = []
    for match in FENCE.finditer(text):
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        marker = before if before.startswith("<!--") else None
        line = text.count("\n", 0, match.start()) + 1
        run = RUN.fullmatch(marker) if marker else None
        skip = NOT_RUN.fullmatch(marker) if marker else None
        found.append(Block(language=match[1], text=match[2], line=line, marker=marker,
                           runner=run[1] if run else None, name=run[2] if run else None,
                           reason=skip[1] if skip else None))
    return found


def block(name: str) -> str:
    """The blocks run under NAME, joined in the README's order, continuation lines kept."""
    named = [b.text for b in blocks() if b.name == name]
    assert named, f"no README block is marked to run as {name!r}"
    return "\n".join(named)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_free_ports(text: str) -> tuple[str, dict[str, int]]:
    """``text`` with each fixed port 8080..8099 replaced by a free one (consistently)."""
    ports = {fixed: free_port() for fixed in sorted(set(re.findall(r"\b80[89]\d\b", text)))}
    for fixed, port in ports.items():
        text = re.sub(rf"\b{fixed}\b", str(port), text)
    return text, {k: v for k, v in ports.items()}
