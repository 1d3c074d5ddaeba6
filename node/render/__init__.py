"""node/render: the publication mode's HTML pages and SVG badges (Jinja2, autoescaped).

Templates and the one stylesheet are package data (``templates/``, ``static/``). Every
value from outside reaches markup through autoescaping; text a person signed goes through
the ``visible`` filter (control and bidi formatting characters shown as ``⟦U+202E⟧``) and
sits in a ``<bdi>``, so it can neither inject markup nor reorder the page. The pages need
no script, no inline style (a CSP without ``'unsafe-inline'`` holds), no external font or
image: they work offline and leak no visitor to a third party.

What goes *into* a page (the view models) is :mod:`.views`; the HTTP side is
``node/routes/badges.py``, ``marks.py`` and ``pages.py``; the static export reuses both.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
import segno

from confiance.protocol.badge import FONT_FAMILY, BadgeLayout, visible_controls

__all__ = ["CSS_PATH", "Renderer", "script_json"]

CSS_PATH = "/static/confiance.css"


def script_json(obj: object) -> str:
    """JSON safe inside ``<script type="application/ld+json">``: ``<``, ``>`` and ``&``
    escaped as ``\\u003c``... so no string can close the element or open a comment."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _cdata_json(document: bytes | str) -> str:
    """Signed JSON inside ``<![CDATA[...]]>``: ``]]>`` can only occur inside a string,
    where ``>`` may be written ``\\u003e`` without changing the JSON value."""
    text = document.decode("utf-8") if isinstance(document, bytes) else document
    return text.replace("]]>", "]]\\u003e")


class Renderer:
    """The Jinja2 environment, the stylesheet and a QR cache: one per application."""

    def __init__(self) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("confiance.node.render", "templates"),
            autoescape=jinja2.select_autoescape(["html", "svg"], default=True),
            undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False,
            auto_reload=False)
        self.env.filters["visible"] = visible_controls
        self.css: bytes = resources.files("confiance.node.render").joinpath(
            "static/confiance.css").read_bytes()
        self.css_etag = '"' + hashlib.sha256(self.css).hexdigest()[:16] + '"'
        self._badge = self.env.get_template("badge.svg")

    def page(self, name: str, **context: Any) -> str:
        """Render the HTML template ``name`` with ``context``."""
        return self.env.get_template(name).render(**context)

    def badge_svg(self, layout: BadgeLayout, *, uid: str, baked: bytes | str | None = None
                  ) -> str:
        """The flat badge as SVG; ``baked``: a signed credential to embed (OB 3.0 style).

        ``uid`` makes the gradient and clip ids unique, so several inline badges on one
        page never resolve ``url(#s)`` to each other's definitions.
        """
        return self._badge.render(b=layout, uid=uid, font=FONT_FAMILY,
                                  baked=None if baked is None else _cdata_json(baked))

    @staticmethod
    @lru_cache(maxsize=1024)
    def qr_svg(url: str, label: str) -> str:
        """A QR code of ``url`` as inline SVG (no style attributes), cached by URL."""
        code = segno.make(url, error="m")
        svg = code.svg_inline(scale=4, dark="#000", light="#fff", border=2,
                              title=label, svgclass=None, lineclass=None)
        size = code.symbol_size(scale=4, border=2)[0]
        svg = re.sub(r'width="\d+" height="\d+"', f'viewBox="0 0 {size} {size}"', svg, count=1)
        return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(label)}" ', 1)


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))
