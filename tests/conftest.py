"""Shared fixtures: where ../shared is, and a skip when it is absent; the seed story, played
once for the session (``two_sites``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the calling test with a clear message if absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the read-only ../shared material")
    return path


@pytest.fixture
def shared() -> Path:
    """The ../shared folder; skips the test with a clear message when it is absent."""
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is absent: this test needs the read-only ../shared material")
    return SHARED



@pytest.fixture(scope="session")
def two_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The README's story command, run once for the session (``storyrun.py``), its nodes
    left running for the tests that look at them, and stopped at the end."""
    from storyrun import play_story, stop_story

    workdir = tmp_path_factory.mktemp("two-sites")
    try:
        yield play_story(workdir)
    finally:
        stop_story(workdir)
