"""Decimal numbers written by others (paths, query strings, config values): ASCII digits.

``str.isdigit`` is also true for superscripts (``"³"``), which ``int`` then refuses with a
``ValueError``, and for other scripts' digits (``"٣"``), which ``int`` reads as ``3``. A
parser of an outside number checks with :func:`ascii_digits` before calling ``int``, so that
such text gets the parser's own clear error, never an exception it did not expect, and a
number has one spelling.
"""

from __future__ import annotations

__all__ = ["ascii_digits"]


def ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more of the ASCII digits 0-9, and nothing else.

    Examples
    --------
    >>> ascii_digits("42"), ascii_digits("³"), ascii_digits("٣"), ascii_digits("")
    (True, False, False, False)
    """
    return text.isascii() and text.isdigit()
