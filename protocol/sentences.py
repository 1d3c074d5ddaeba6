"""Plain-language sentences for conversion rules and parties, in English and French.

A rule sentence must read as a person would say it, once: "e2.example reads e1.example's
“top seller” mark on its own 1..5 scale: 98 or more is 5, 95 or more is 4, otherwise 1."
The scale is named once (not after every step), and parties are named by what the reader
knows: a name when the caller has one (``names``), else the short form of the identifier
(:func:`short_id`: a did:web's host, a did:key's first and last characters).

Used by the trust engine's explanations (:mod:`confiance.protocol.trust.conversion`) and by
the node's pages. Pure functions; no markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .rules import CategoricalRule, ConversionRule, LinearRule, ThresholdRule

__all__ = ["LANGUAGES", "party_name", "rule_sentence", "rule_steps", "short_id"]

LANGUAGES = ("en", "fr")


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def unquote(text: str) -> str:
    """Percent-decoding of a did:web segment (``%3A`` is ``:``)."""
    return _PERCENT.sub(lambda m: chr(int(m.group(1), 16)), text)


def _n(x: float, lang: str) -> str:
    text = f"{x:g}"
    return text.replace(".", ",") if lang == "fr" else text


def short_id(identifier: str) -> str:
    """A short, still recognisable form of a DID or URL.

    ``did:web:e1.example%3A8443:shop`` is ``e1.example:8443/shop``; ``did:key:z6MkhaXg…``
    keeps its first 12 and last 4 characters; an https URL loses its scheme.
    """
    if identifier.startswith("did:web:"):
        host, *path = identifier[8:].split(":")
        return "/".join([unquote(host), *(unquote(p) for p in path)])
    if identifier.startswith("did:key:") and len(identifier) > 30:
        return f"{identifier[:20]}…{identifier[-4:]}"
    for scheme in ("https://", "http://"):
        if identifier.startswith(scheme):
            return identifier[len(scheme):].rstrip("/")
    return identifier if len(identifier) <= 48 else identifier[:40] + "…" + identifier[-6:]


def party_name(identifier: str, names: Mapping[str, str] | None = None) -> str:
    """The name the caller knows for ``identifier``, else its short form."""
    if names and identifier in names:
        return names[identifier]
    return short_id(identifier)


def rule_steps(rule: ConversionRule, lang: str = "en") -> str:
    """What the rule maps, each step once: "98 or more is 5, 95 or more is 4, otherwise 1"."""
    fr = lang == "fr"
    if isinstance(rule, LinearRule):
        text = (f"{_n(rule.source_min, lang)} {'y vaut' if fr else 'there is'} "
                f"{_n(rule.target_min, lang)}, {_n(rule.source_max, lang)} "
                f"{'y vaut' if fr else 'there is'} {_n(rule.target_max, lang)}, "
                f"{'proportionnellement entre les deux' if fr else 'in proportion between'}")
        if rule.clamp:
            return text + ("; au-delà, la borne la plus proche" if fr
                           else "; beyond, the nearest end")
        return text + ("; au-delà, rien" if fr else "; beyond, nothing")
    if isinstance(rule, ThresholdRule):
        parts = [f"{_n(a, lang)} {'ou plus vaut' if fr else 'or more is'} {_n(v, lang)}"
                 for a, v in rule.thresholds]
        if rule.otherwise is not None:
            parts.append(f"{'sinon' if fr else 'otherwise'} {_n(rule.otherwise, lang)}")
        else:
            parts.append("en dessous, rien" if fr else "below that, nothing")
        return ", ".join(parts)
    if isinstance(rule, CategoricalRule):
        quote = ("« ", " »") if fr else ("“", "”")
        parts = [f"{quote[0]}{k}{quote[1]} {'vaut' if fr else 'is'} {_n(v, lang)}"
                 for k, v in rule.mapping]
        if rule.otherwise is not None:
            parts.append(f"{'tout autre statut vaut' if fr else 'any other status is'} "
                         f"{_n(rule.otherwise, lang)}")
        else:
            parts.append("tout autre statut, rien" if fr else "any other status, nothing")
        return ", ".join(parts)
    raise TypeError(f"not a conversion rule: {rule!r:.60}")  # pragma: no cover


def rule_sentence(*, reader: str, read: str, rule: ConversionRule, scale: tuple[float, float],
                  mark: str | None = None, mark_name: str | None = None,
                  source_context: str | None = None, context: str | None = None,
                  names: Mapping[str, str] | None = None, lang: str = "en") -> str:
    """The whole sentence: who reads whose marks (or ratings), on which scale, how.

    >>> from confiance.protocol.rules import ThresholdRule
    >>> rule = ThresholdRule(thresholds=((98, 5), (95, 4)), otherwise=1)
    >>> print(rule_sentence(reader="did:web:e2.example", read="did:web:e1.example",
    ...                     rule=rule, scale=(1, 5), mark="https://e1.example/marks/pos",
    ...                     mark_name="positive feedback"))  # doctest: +NORMALIZE_WHITESPACE
    e2.example reads e1.example’s “positive feedback” mark on its own 1..5 scale:
    98 or more is 5, 95 or more is 4, otherwise 1.
    """
    fr = lang == "fr"
    who, whose = party_name(reader, names), party_name(read, names)
    if mark is not None:
        label = mark_name or short_id(mark)
        what = (f"la marque « {label} » de {whose}" if fr
                else f"{whose}’s “{label}” mark")
    else:
        what = f"les notes de {whose}" if fr else f"{whose}’s ratings"
    if source_context is not None and context is not None and source_context != context:
        what += (f" (contexte « {source_context} », lu comme « {context} » ici)" if fr
                 else f" (context “{source_context}”, read as “{context}” here)")
    lo, hi = _n(scale[0], lang), _n(scale[1], lang)
    steps = rule_steps(rule, lang)
    if fr:
        return f"{who} lit {what} sur sa propre échelle de {lo} à {hi} : {steps}."
    return f"{who} reads {what} on its own {lo}..{hi} scale: {steps}."
