"""Badge data: widths as shields.io computes them, accessible colours, the flat layout."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from confiance.protocol.badge import (
    BADGE_STATUSES,
    LABEL_COLOUR,
    badge_contrast,
    badge_layout,
    badge_status,
    badge_text,
    contrast_ratio,
    preferred_width,
    shields_endpoint,
    text_width,
    visible_controls,
)

ROOT = Path(__file__).resolve().parents[2]
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.parametrize(("text", "verdana"), [("build", 27), ("cactus", 35), ("grown", 35)])
def test_shields_worked_examples_match(text: str, verdana: int) -> None:
    """shields' snapshots (Verdana): build 27, cactus 35, grown 35 px; DejaVu gives the same."""
    assert preferred_width(text) == verdana


def test_passing_differs_from_verdana_by_two_pixels() -> None:
    """The one worked example where the fonts part: "passing" is 41 px in Verdana, 43 in
    DejaVu Sans (its "g" and "ss" are wider). textLength keeps the layout exact anyway."""
    assert preferred_width("passing") == 43
    assert badge_layout("build", "passing", "#2b7a0b").width == 37 + 53


def test_width_rules() -> None:
    assert preferred_width("") == 1  # 0 is even: bumped to the next odd number
    assert text_width("a\x00b\x1fc") == text_width("abc")  # controls count zero
    assert text_width("\U0010fffd") == text_width("m")  # not in the table: an "m"
    assert preferred_width("ab") % 2 == 1


def test_layout_follows_badge_maker() -> None:
    layout = badge_layout("cactus", "grown", "#2b7a0b")
    assert (layout.left_width, layout.right_width, layout.width) == (45, 45, 90)
    assert layout.label_x == 1 + 35 / 2 + 5 and layout.message_x == 44 + 35 / 2 + 5
    assert layout.accessible_text == "cactus: grown"
    bare = badge_layout("", "valid", "#2b7a0b")
    assert bare.left_width == 0 and bare.accessible_text == "valid"


@pytest.mark.parametrize("key", sorted(BADGE_STATUSES))
def test_every_status_colour_passes_aa_with_white_text(key: str) -> None:
    """WCAG 2.2 AA, 4.5:1 for 11 px text, under the flat gradient (worst end)."""
    assert badge_contrast(BADGE_STATUSES[key].colour) >= 4.5
    assert badge_contrast(LABEL_COLOUR) >= 4.5


def test_shields_own_colours_would_fail() -> None:
    """Why the colours are ours: shields' brightgreen gives 2.1:1 (BADGES.md §6)."""
    assert round(contrast_ratio("#fff", "#44cc11"), 2) == 2.12
    assert badge_contrast("#44cc11") < 4.5


def test_statuses_have_distinct_words_and_colours() -> None:
    words = [s.word for s in BADGE_STATUSES.values()]
    colours = [s.colour for s in BADGE_STATUSES.values()]
    assert len(set(words)) == len(words) and len(set(colours)) == len(colours)
    assert badge_status("rejected-by-subject").word == "rejected"
    assert badge_status("no such status").key == "unverifiable"


def test_badge_text_is_clean_and_short() -> None:
    assert badge_text("  top\tseller \n") == "top seller"
    assert badge_text("\u202eevil\u2066x\u2069") == "evilx"
    assert badge_text("a\x00b") == "a b"
    long = badge_text("W" * 300)
    assert len(long) == 40 and long.endswith("…")


def test_visible_controls() -> None:
    assert visible_controls("a\u202eb\x00c\td") == "a⟦U+202E⟧b⟦U+0000⟧c\td"


def test_shields_endpoint_form() -> None:
    layout = badge_layout("top seller", "revoked", BADGE_STATUSES["revoked"].colour)
    assert shields_endpoint(layout, cache_seconds=10) == {
        "schemaVersion": 1, "label": "top seller", "message": "revoked", "color": "b8321d",
        "labelColor": "555", "cacheSeconds": 300}


def test_committed_table_is_the_generators_output() -> None:
    """The table is reproducible from the font (when fontTools and DejaVu Sans are here)."""
    pytest.importorskip("fontTools", reason="fontTools is needed to regenerate the table")
    if not FONT.exists():
        pytest.skip(f"{FONT} is absent (Debian: fonts-dejavu-core)")
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_width_table",
                                                  ROOT / "tools" / "make_width_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = json.loads(resources.files("confiance.protocol").joinpath(
        "data/widths-dejavu-sans-11px.json").read_text(encoding="ascii"))
    assert module.build_table(str(FONT))["ranges"] == shipped["ranges"]
