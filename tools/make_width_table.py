"""Generate ``protocol/data/widths-dejavu-sans-11px.json``: per-character advance widths.

Why our own table: shields.io measures badge text with anafanafo's Verdana table, measured
from Microsoft's Verdana, whose rights stay with Microsoft (anafanafo's README says so).
DejaVu Sans is freely licensed (the Bitstream Vera licence plus public-domain changes: the
font and anything derived from it may be redistributed), sits in the same badge font stack
(``Verdana,Geneva,DejaVu Sans,sans-serif``) and is a wide humanist sans of the same family
of proportions. The table is read from the font file's own metrics (``hmtx`` advance
widths, no rendering, no kerning: as anafanafo sums per-character widths), scaled to 11 px
and rounded to 2 decimals, then compressed into ``[first, last, width]`` ranges of
consecutive code points with the same width (anafanafo's format).

Run (Debian ``fonts-dejavu-core`` provides the font)::

    .venv/bin/pip install fonttools
    .venv/bin/python tools/make_width_table.py /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

The output is deterministic: ``tests/protocol/test_badge.py`` checks the committed table
against the font when both fontTools and the font are present.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "protocol" / "data" / "widths-dejavu-sans-11px.json"
SIZE_PX = 11


def build_table(font_path: str) -> dict[str, Any]:
    from fontTools.ttLib import TTFont  # a build-time tool, not a runtime dependency

    font = TTFont(font_path)
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    cmap = font.getBestCmap()
    name = font["name"].getDebugName(4)
    version = font["name"].getDebugName(5)
    widths: list[tuple[int, float]] = []
    for code in sorted(cmap):
        if code < 32 or 0x7F <= code < 0xA0:
            continue  # control characters count zero (anafanafo does the same)
        advance = metrics[cmap[code]][0]
        widths.append((code, round(advance * SIZE_PX / units, 2)))
    ranges: list[list[float]] = []
    for code, width in widths:
        if ranges and ranges[-1][1] == code - 1 and ranges[-1][2] == width:
            ranges[-1][1] = code
        else:
            ranges.append([code, code, width])
    return {"font": name, "fontVersion": version, "sizePx": SIZE_PX,
            "licence": "DejaVu fonts licence (Bitstream Vera licence with public-domain "
                       "changes): https://dejavu-fonts.github.io/License.html",
            "source": "tools/make_width_table.py (hmtx advance widths x 11 / unitsPerEm)",
            "ranges": ranges}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: make_width_table.py FONT.ttf", file=sys.stderr)
        return 2
    table = build_table(argv[1])
    text = json.dumps(table, separators=(",", ":"), ensure_ascii=True)
    OUT.write_text(text.replace('],[', '],\n[') + "\n", encoding="ascii")
    print(f"{OUT}: {len(table['ranges'])} ranges")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
