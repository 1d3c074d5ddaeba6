"""Badge data: status words and colours, text widths, the layout of a shields.io "flat" badge.

Sans-IO and markup-free: this module says *what* a badge shows (label, message, colours,
the width of each segment in pixels), never how it is drawn; the node draws it
(``node/render/svg.py``) and so can any other renderer.

**Statuses.** Every live status of an assertion has one word (the badge's message) and one
colour. Status is never conveyed by colour alone (WCAG 2.2 SC 1.4.1): the word carries it.

**Colours.** shields.io's named colours give white 11 px text a contrast of 1.95 to 4.38
(WCAG AA asks 4.5:1 for normal text; figures in ``../shared/BADGES.md`` §6). The badge
keeps the shields *hues* but darkens each until white text passes 4.5:1 over the whole
badge, gradient included (the flat style lays a 10 % ``#bbb`` to 10 % black gradient over
the fill; the top, lightened, is the worst case): :func:`badge_contrast` computes it and
a test holds every status colour to it.

**Widths.** Text width is computed without rendering, as shields.io does: the sum of
per-character advance widths at 11 px, no kerning, rounded down and bumped to the next odd
integer (shields' "pixel grid alignment"); unknown characters count as an "m", control
characters as zero. The table is our own, generated from DejaVu Sans's metrics by
``tools/make_width_table.py`` (anafanafo's Verdana table measures a font whose rights stay
with Microsoft; DejaVu Sans is freely licensed and sits in the same font stack). Each
``<text>`` carries ``textLength``, so a renderer with another font stretches the glyphs to
the computed width and the layout holds.

**Text safety.** :func:`badge_text` trims, drops control and bidirectional formatting
characters (a U+202E in a badge would reverse what follows) and shortens over-long text
with an ellipsis; :func:`visible_controls` makes such characters visible in prose instead
(``⟦U+202E⟧``), so a page shows what was signed without letting it reorder the text.

References: shields.io ``badge-maker`` (``lib/badge-renderers.js``, ``lib/color.js``);
WCAG 2.2 SC 1.4.1, 1.4.3; DejaVu fonts licence, https://dejavu-fonts.github.io/License.html
"""

from __future__ import annotations

import bisect
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "BADGE_HEIGHT",
    "BADGE_STATUSES",
    "FONT_FAMILY",
    "LABEL_COLOUR",
    "MAX_BADGE_TEXT",
    "BadgeLayout",
    "BadgeStatus",
    "badge_contrast",
    "badge_layout",
    "badge_status",
    "badge_text",
    "contrast_ratio",
    "preferred_width",
    "shields_endpoint",
    "text_width",
    "visible_controls",
]

BADGE_HEIGHT = 20
FONT_FAMILY = "Verdana,Geneva,DejaVu Sans,sans-serif"
#: The left segment's fill (shields' default label colour, ``#555``: 7.46:1 with white).
LABEL_COLOUR = "#555"
#: Longest label or message drawn, in characters (longer text ends with "…").
MAX_BADGE_TEXT = 40
HORIZONTAL_PADDING = 5


@dataclass(frozen=True)
class BadgeStatus:
    """A live status as a badge shows it: ``key`` (machine), ``word`` (the message), colour.

    ``summary`` is the sentence a verify page's banner uses; ``ok`` says whether a
    relying party may rely on the assertion now.
    """

    key: str
    word: str
    colour: str
    summary: str
    ok: bool = False


#: Every status a badge can show. Store statuses map onto these (:func:`badge_status`).
BADGE_STATUSES: dict[str, BadgeStatus] = {s.key: s for s in (
    BadgeStatus("valid", "valid", "#2b7a0b",
                "The signature verifies and the issuer has not revoked this mark.", ok=True),
    BadgeStatus("revoked", "revoked", "#b8321d",
                "The issuer has revoked this mark: it no longer holds."),
    BadgeStatus("expired", "expired", "#a3420a",
                "This mark has passed the end of its validity period."),
    BadgeStatus("suspended", "suspended", "#7a5f00",
                "The issuer has suspended this mark for now."),
    BadgeStatus("rejected", "rejected", "#7a3e8e",
                "The holder has rejected this mark: it is not shown as theirs."),
    BadgeStatus("superseded", "superseded", "#3e5f7a",
                "A newer assertion by the same issuer replaces this one."),
    BadgeStatus("not-yet-valid", "not yet valid", "#08629c",
                "This mark's validity period has not started yet."),
    BadgeStatus("unverifiable", "unverifiable", "#666666",
                "This mark could not be verified: do not rely on it."),
)}

_STORE_STATUS = {"rejected-by-subject": "rejected"}


def badge_status(status: str) -> BadgeStatus:
    """The badge status for a node's status word (``rejected-by-subject`` is "rejected");
    anything unknown is "unverifiable"."""
    return BADGE_STATUSES.get(_STORE_STATUS.get(status, status), BADGE_STATUSES["unverifiable"])


# --- text ---------------------------------------------------------------------------------

# C0/C1 controls, and the bidirectional formatting characters: embeddings and overrides
# (U+202A-U+202E), isolates (U+2066-U+2069), marks (U+200E, U+200F, U+061C).
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                        r"\u200e\u200f\u061c]")


def badge_text(text: str, limit: int = MAX_BADGE_TEXT) -> str:
    """Text fit for a badge: controls and bidi formatting removed, spaces collapsed, at
    most ``limit`` characters (the last one an ellipsis when shortened)."""
    cleaned = " ".join(_BIDI.sub("", _CONTROLS.sub(" ", text)).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def visible_controls(text: str) -> str:
    """``text`` with control and bidi formatting characters shown as ``⟦U+XXXX⟧``.

    Tab and line breaks are kept. For prose on a page: what was signed stays readable and
    visible, and cannot reorder the text around it.
    """
    return _INVISIBLE.sub(lambda m: f"⟦U+{ord(m.group()):04X}⟧", text)


# --- widths -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _WidthTable:
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    widths: tuple[float, ...]
    fallback: float


@cache
def _table() -> _WidthTable:
    raw: dict[str, Any] = json.loads(
        resources.files("confiance.protocol").joinpath("data/widths-dejavu-sans-11px.json")
        .read_text(encoding="ascii"))
    ranges = raw["ranges"]
    table = _WidthTable(tuple(int(r[0]) for r in ranges), tuple(int(r[1]) for r in ranges),
                        tuple(float(r[2]) for r in ranges), 0.0)
    return _WidthTable(table.starts, table.ends, table.widths, _char_width(table, ord("m")))


def _char_width(table: _WidthTable, code: int) -> float:
    i = bisect.bisect_right(table.starts, code) - 1
    if i >= 0 and code <= table.ends[i]:
        return table.widths[i]
    return table.fallback


def text_width(text: str) -> float:
    """Width of ``text`` at 11 px in DejaVu Sans, summed per code point (no kerning)."""
    table = _table()
    total = 0.0
    for char in text:
        code = ord(char)
        if code < 32 or 0x7F <= code < 0xA0:
            continue
        total += _char_width(table, code)
    return total


def preferred_width(text: str) -> int:
    """shields' rule: the width truncated to an integer, then bumped to odd if even."""
    width = math.floor(text_width(text))
    return width if width % 2 else width + 1


# --- colours ------------------------------------------------------------------------------

def _rgb(colour: str) -> tuple[float, float, float]:
    hexa = colour.lstrip("#")
    if len(hexa) == 3:
        hexa = "".join(c * 2 for c in hexa)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", hexa):
        raise ValueError(f"not a #rgb or #rrggbb colour: {colour!r}")
    return tuple(int(hexa[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _luminance(rgb: tuple[float, float, float]) -> float:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.2 contrast ratio of two sRGB colours, from 1 to 21."""
    a, b = _luminance(_rgb(foreground)), _luminance(_rgb(background))
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def badge_contrast(fill: str, text: str = "#fff") -> float:
    """The worst contrast of ``text`` over ``fill`` under the flat style's gradient.

    The gradient runs from ``#bbb`` at 10 % opacity (top) to black at 10 % (bottom); the
    top is the lighter, so the worst for white text: both ends are checked.
    """
    rgb = _rgb(fill)
    top = tuple(0.9 * c + 0.1 * (0xBB / 255) for c in rgb)
    bottom = tuple(0.9 * c for c in rgb)
    ratios = []
    for shade in (top, bottom):
        hexa = "#" + "".join(f"{round(c * 255):02x}" for c in shade)
        ratios.append(contrast_ratio(text, hexa))
    return min(ratios)


# --- layout -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BadgeLayout:
    """Everything a renderer needs for a flat badge (all lengths in px).

    ``label_x``/``message_x`` are the centres of the two texts; ``accessible_text`` is
    "label: message" (for ``<title>``, ``aria-label`` and an ``<img>``'s ``alt``).
    """

    label: str
    message: str
    label_colour: str
    colour: str
    label_width: int
    message_width: int
    left_width: int
    right_width: int
    label_x: float
    message_x: float
    height: int = BADGE_HEIGHT

    @property
    def width(self) -> int:
        return self.left_width + self.right_width

    @property
    def accessible_text(self) -> str:
        return f"{self.label}: {self.message}" if self.label else self.message


def badge_layout(label: str, message: str, colour: str,
                 label_colour: str = LABEL_COLOUR) -> BadgeLayout:
    """The flat badge for ``label`` and ``message`` (both cleaned by :func:`badge_text`).

    Widths follow shields' badge-maker: each segment is its text's preferred width plus
    5 px padding on each side; an empty label omits the left segment.
    """
    label = badge_text(label)
    message = badge_text(message) or "?"
    _rgb(colour), _rgb(label_colour)  # validate
    label_width = preferred_width(label) if label else 0
    message_width = preferred_width(message)
    left = label_width + 2 * HORIZONTAL_PADDING if label else 0
    right = message_width + 2 * HORIZONTAL_PADDING
    # shields: the label starts at margin 1, the message at left - 1; x is a text's centre
    label_x = 1 + label_width / 2 + HORIZONTAL_PADDING if label else 0.0
    message_x = left - 1 + message_width / 2 + HORIZONTAL_PADDING
    return BadgeLayout(label=label, message=message, label_colour=label_colour,
                       colour=colour, label_width=label_width, message_width=message_width,
                       left_width=left, right_width=right, label_x=label_x,
                       message_x=message_x)


def shields_endpoint(layout: BadgeLayout, *, cache_seconds: int = 300,
                     is_error: bool = False) -> dict[str, Any]:
    """The shields.io endpoint JSON (``schemaVersion`` 1) for the same badge.

    Only members shields' strict schema knows; ``cacheSeconds`` below 300 is ignored by
    shields.io, so 300 is the floor written here.
    """
    out: dict[str, Any] = {"schemaVersion": 1, "label": layout.label,
                           "message": layout.message, "color": layout.colour.lstrip("#"),
                           "labelColor": layout.label_colour.lstrip("#"),
                           "cacheSeconds": max(300, cache_seconds)}
    if is_error:
        out["isError"] = True
    return out
