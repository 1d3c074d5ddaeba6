"""Real-browser fixtures: Debian's Chromium driven by Playwright for Python.

The tests here skip, with the reason, when Playwright or Chromium is absent (the README's
bare test command on a machine without them); ``.ci/run`` installs both. Screenshots are
test artefacts, written to ``$CONFIANCE_SCREENSHOTS`` (the README's pictures are made with
``CONFIANCE_SCREENSHOTS=docs/screenshots``), else ``tests/browser/artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "node"))  # livenode, nodehelpers, test_process

CHROMIUM = os.environ.get("CONFIANCE_CHROMIUM") or shutil.which("chromium") \
    or "/usr/bin/chromium"


def _require_browser() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed: the real-browser tests need "
                    "pip install -e '.[browser]' and Debian's chromium (.ci/run installs "
                    "both)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does) "
                    "to run the real-browser tests")
    try:
        import axe_playwright_python  # noqa: F401
    except ImportError:
        pytest.skip("axe-playwright-python is not installed (pip install -e '.[browser]')")
    return sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API keeps an event loop running on this thread
    while it lives, which the asyncio tests of other modules could not share."""
    sync_playwright = _require_browser()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900},
                                  locale="en-GB", java_script_enabled=True)
    page = context.new_page()
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.csp_errors.append(m.text)  # type: ignore[attr-defined]
            if "Content Security Policy" in m.text or "Refused" in m.text else None)
    yield page
    context.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    folder = Path(os.environ.get("CONFIANCE_SCREENSHOTS") or HERE / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
