"""The seed story's pages in a real browser, and the README tour's screenshots.

The story (``examples/two_sites/story.py``) is played once for the session by
``tests/conftest.py`` (``two_sites``), its two nodes left running; here Chromium opens what
the story tells a person to open, at the story's end: Alice's verify page at E1, which lists
E2's rule for reading E1's mark; E2's own page, which publishes that rule; Bob's revoked
badge at E1 and E2's copy of it; Bob's exported page, once checked, from ``file://``. Each
page passes axe-core (no serious or critical violation) and loads nothing it may not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_pages_in_chromium import axe_violations, describe, image_loaded, zoomed_badge

SENTENCE = ("E2 reads E1’s “positive feedback” mark on its own 1..5 scale: 98 or more is 5, "
            "95 or more is 4, otherwise 1.")


def digest(content_id: str) -> str:
    return content_id.rsplit(";", 1)[-1]


def looked_at(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)
    assert page.csp_errors == []


def test_alices_mark_and_e2s_rule(browser: Any, page: Any, shots: Path, two_sites: Any
                                  ) -> None:
    e1, e2 = two_sites.url("E1"), two_sites.url("E2")
    alice = digest(two_sites.figures["step1"]["mark"])
    page.goto(f"{e1}/badges/{alice}")
    assert page.locator("#status-word").inner_text() == "VALID"
    assert image_loaded(page, ".badge-line img")
    main = page.locator("main").inner_text()
    assert SENTENCE in main  # why to trust it: the rule another node published
    assert "97% positive over 1,204 sales" in main
    looked_at(page)
    page.screenshot(path=str(shots / "story-verify-page.png"), full_page=True)
    zoomed_badge(browser, f"{e1}/badges/{alice}.svg", shots / "story-badge-valid-4x.png")
    page.goto(f"{e2}/")
    main = page.locator("main").inner_text()
    assert SENTENCE in main and "E1" in main
    looked_at(page)
    page.screenshot(path=str(shots / "story-e2-page.png"), full_page=True)


def test_bobs_revoked_mark_everywhere(browser: Any, page: Any, shots: Path, two_sites: Any
                                      ) -> None:
    e1, e2 = two_sites.url("E1"), two_sites.url("E2")
    bob = digest(two_sites.figures["step5"]["mark"])
    for site in (e1, e2):  # E1's page, and E2's copy brought by gossip
        page.goto(f"{site}/badges/{bob}")
        assert page.locator("#status-word").inner_text() == "REVOKED"
        assert image_loaded(page, ".badge-line img")
        looked_at(page)
    zoomed_badge(browser, f"{e1}/badges/{bob}.svg", shots / "story-badge-revoked-4x.png")
    exported = two_sites.workdir / "bob-badges" / "badges" / bob / "index.html"
    page.goto(exported.as_uri())  # Bob's own copy, once checked again
    assert page.locator("#status-word").inner_text() == "REVOKED"
    assert "signed status list" in page.locator("main").inner_text()
    looked_at(page)
    page.screenshot(path=str(shots / "story-bob-export.png"), full_page=True)
