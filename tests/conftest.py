"""Shared fixtures: where ../shared is, and a skip when it is absent."""

from __future__ import annotations

from pathlib import Path

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
