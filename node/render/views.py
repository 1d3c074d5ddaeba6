"""View models: what a verify page, a deed, a personal page and the node's page show.

Pure functions from facts (a verified assertion, its live status, the checks run, the mark
definition, the rules others publish) to the plain dicts the templates render. The node's
routes gather the facts from its store; ``confiance badges export`` gathers them from
signed files; both render the same pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from confiance.protocol.badge import BadgeLayout, badge_layout, badge_status
from confiance.protocol.marks import DEED_FIELDS, MarkDefinition, pick_language
from confiance.protocol.model import (
    AnyAssertion,
    Rating,
    Recognition,
    Referral,
    TrustMark,
    format_datetime,
)
from confiance.protocol.sentences import party_name, rule_sentence, short_id
from confiance.protocol.trust import TrustPolicy

from . import Renderer, script_json
from .i18n import STATUS_SUMMARIES_FR, STATUS_WORDS_FR, STRINGS

__all__ = ["CheckLine", "Facts", "Links", "badge_for", "deed_view", "embed_snippets",
           "machine_facts", "rule_line", "verify_context"]

VOCAB = "https://w3id.org/confiance#"
ICONS = {"pass": "✓", "fail": "✗", "warn": "!", "skip": "–"}
STATUS_ICONS = {"valid": "✓", "revoked": "✗", "rejected": "✗", "unverifiable": "✗",
                "expired": "⌛", "suspended": "⏸", "superseded": "↻", "not-yet-valid": "…"}


@dataclass(frozen=True)
class CheckLine:
    """One check as a page lists it: ``label`` is a key of :data:`~.i18n.STRINGS`."""

    label: str
    status: str  # pass, fail, warn, skip
    detail: str


@dataclass
class Links:
    """Where a page's links point (absolute paths on a node, relative in an export)."""

    css: str
    home: str
    svg: str = ""
    baked: str = ""
    document: str = ""
    openbadge: str | None = None
    subject: str | None = None
    page_absolute: str = ""
    live: str | None = None
    api: str | None = None
    other_language: str | None = None
    json: str = ""
    descriptor: str = ""
    did: str = ""
    #: the badge URL to embed elsewhere, when it differs from ``svg`` (a static copy
    #: embeds the issuer's live badge)
    embed_svg: str | None = None


@dataclass
class Facts:
    """What is known about one assertion when its page is made."""

    id: str
    assertion: AnyAssertion
    status: str
    checked_at: datetime
    checks: Sequence[CheckLine]
    definition: MarkDefinition | None = None
    definition_url: str | None = None
    rules: Sequence[Mapping[str, Any]] = ()
    paths: Sequence[Mapping[str, Any]] | None = None
    received_at: datetime | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    offline: bool = False


def when(value: datetime, lang: str) -> str:
    """A date and time for people: UTC, to the second, unambiguous in both languages."""
    return format_datetime(value.replace(microsecond=0)).replace("T", " ").replace("Z", " UTC")


def badge_label(assertion: AnyAssertion, definition: MarkDefinition | None) -> str:
    """The badge's left text: the mark's short name, else the credential's name, else
    what the assertion is (a context's rating, a referral)."""
    if definition is not None:
        return definition.short_name
    if assertion.name is not None:
        return assertion.name
    if isinstance(assertion, TrustMark):
        tail = assertion.mark.rstrip("/").rsplit("/", 1)[-1]
        return tail or (assertion.context or "mark")
    if isinstance(assertion, Rating):
        return f"{assertion.context} rating"
    return f"{assertion.context or ''} {assertion.kind.lower()}".strip()


def badge_for(assertion: AnyAssertion, definition: MarkDefinition | None,
              status: str) -> BadgeLayout:
    """The badge of an assertion in a live status (a store status word or a badge key)."""
    shown = badge_status(status)
    return badge_layout(badge_label(assertion, definition), shown.word, shown.colour)


def status_view(status: str, lang: str) -> dict[str, str]:
    shown = badge_status(status)
    word = STATUS_WORDS_FR.get(shown.key, shown.word) if lang == "fr" else shown.word
    summary = STATUS_SUMMARIES_FR.get(shown.key, shown.summary) if lang == "fr" \
        else shown.summary
    return {"key": shown.key, "word": word, "summary": summary,
            "icon": STATUS_ICONS.get(shown.key, "?")}


def deed_view(definition: MarkDefinition, lang: str, terms_url: str | None) -> dict[str, Any]:
    """The deed in ``lang`` (falling back to English per part, and saying so)."""
    parts = []
    for json_name, py in DEED_FIELDS:
        got, text = pick_language(getattr(definition, py), (lang,))
        parts.append({"key": json_name, "text": text, "lang": got, "fallback": got != lang})
    terms_lang, terms = pick_language(definition.terms, (lang,))
    return {"name": definition.name, "version": definition.version, "id": definition.id,
            "context": definition.context, "short_name": definition.short_name,
            "parts": parts, "terms_url": terms_url, "terms_lang": terms_lang,
            "terms_fallback": terms_lang != lang,
            "terms_paragraphs": [p for p in terms.split("\n\n") if p.strip()] or [terms]}


def party(identifier: str, names: Mapping[str, str]) -> dict[str, str]:
    return {"id": identifier, "name": party_name(identifier, names),
            "short": short_id(identifier)}


def binding_text(issuer: str, lang: str) -> str:
    t = STRINGS[lang]
    if issuer.startswith("did:web:"):
        domain = short_id(issuer).split("/")[0]
        path = "/".join(short_id(issuer).split("/")[1:])
        host = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
        scheme = "http" if host in ("localhost", "[::1]") or host.startswith("127.") \
            else "https"  # did:web resolves over https; loopback over plain http
        url = f"{scheme}://{domain}/{path + '/did.json' if path else '.well-known/did.json'}"
        return t["binding_web"].format(domain=domain, url=url)
    if issuer.startswith("did:key:"):
        return t["binding_key"]
    return t["binding_other"].format(iri=issuer)


def rule_line(recognition: Recognition, rec_id: str, *, names: Mapping[str, str],
              mark_name: str | None, lang: str, href: str | None) -> dict[str, Any]:
    """One published conversion rule, as a sentence."""
    sentence = rule_sentence(reader=recognition.issuer, read=recognition.recognised,
                             rule=recognition.rule,
                             scale=(recognition.scale.minimum, recognition.scale.maximum),
                             mark=recognition.mark, mark_name=mark_name,
                             source_context=recognition.reads_context,
                             context=recognition.context, names=names, lang=lang)
    return {"sentence": sentence, "href": href, "id_short": rec_id.rsplit(";", 1)[-1][:10]}


def embed_snippets(page_url: str, svg_url: str, alt: str) -> tuple[str, str]:
    """The HTML and Markdown to paste (the page escapes them for display)."""
    html_alt = alt.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    html = f'<a href="{page_url}"><img src="{svg_url}" alt="{html_alt}" height="20"></a>'
    md_alt = alt.replace("[", "(").replace("]", ")")
    return html, f"[![{md_alt}]({svg_url})]({page_url})"


def machine_facts(facts: Facts, page_url: str) -> dict[str, Any]:
    """The assertion's facts as JSON-LD with an inline context (no remote context to
    fetch): the same predicates as the signed credential's RDF (``cred:issuer``,
    ``cred:credentialSubject``, ``cf:mark``, ``cf:status``...), plus the live status."""
    a = facts.assertion
    subject: dict[str, Any] = {"@id": a.about}
    if a.context is not None:
        subject["trustContext"] = a.context
    if isinstance(a, TrustMark):
        subject["mark"] = a.mark
        subject["status"] = a.status
        if a.value is not None:
            subject["statusValue"] = a.value
    if isinstance(a, Rating):
        subject["score"] = a.score
    out: dict[str, Any] = {
        "@context": {
            "cred": "https://www.w3.org/2018/credentials#",
            "cf": VOCAB,
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "issuer": {"@id": "cred:issuer", "@type": "@id"},
            "credentialSubject": {"@id": "cred:credentialSubject", "@type": "@id"},
            "validFrom": {"@id": "cred:validFrom", "@type": "xsd:dateTime"},
            "validUntil": {"@id": "cred:validUntil", "@type": "xsd:dateTime"},
            "trustContext": "cf:trustContext",
            "mark": {"@id": "cf:mark", "@type": "@id"},
            "status": "cf:status",
            "statusValue": "cf:statusValue",
            "score": "cf:score",
            "liveStatus": "cf:liveStatus",
            "checkedAt": {"@id": "cf:checkedAt", "@type": "xsd:dateTime"},
            "verificationPage": {"@id": "cf:verificationPage", "@type": "@id"},
        },
        "@id": facts.id,
        "@type": ["cred:VerifiableCredential", f"cf:{a.kind}"],
        "issuer": a.issuer,
        "validFrom": format_datetime(a.valid_from),
        "credentialSubject": subject,
        "liveStatus": badge_status(facts.status).key,
        "checkedAt": format_datetime(facts.checked_at),
        "verificationPage": page_url,
    }
    if a.valid_until is not None:
        out["validUntil"] = format_datetime(a.valid_until)
    return out


def _title(a: AnyAssertion, definition: MarkDefinition | None, names: Mapping[str, str],
           lang: str) -> str:
    t = STRINGS[lang]
    what = definition.name if definition is not None else (a.name or badge_label(a, None))
    return f"{what} — {t['held_by']} {party_name(a.about, names)}"


def _evidence(a: AnyAssertion) -> list[dict[str, Any]]:
    if not isinstance(a, TrustMark):
        return []
    return [{"href": e, "text": e, "safe": e.startswith(("https://", "http://"))}
            for e in a.evidence]


def verify_context(facts: Facts, links: Links, *, lang: str, renderer: Renderer,
                   node_name: str, show_path: bool, verify_command: str) -> dict[str, Any]:
    """Everything ``verify.html`` needs."""
    a = facts.assertion
    t = STRINGS[lang]
    layout = badge_for(a, facts.definition, facts.status)
    html, markdown = embed_snippets(links.page_absolute, links.embed_svg or _absolute(links),
                                    layout.accessible_text)
    assertion: dict[str, Any] = {
        "id": facts.id, "kind": a.kind, "context": a.context,
        "valid_from": when(a.valid_from, lang), "valid_from_iso": format_datetime(a.valid_from),
        "valid_until": when(a.valid_until, lang) if a.valid_until else None,
        "valid_until_iso": format_datetime(a.valid_until) if a.valid_until else None,
        "received": when(facts.received_at, lang) if facts.received_at else None,
        "status_text": None, "value": None, "mark": None,
    }
    if isinstance(a, TrustMark):
        assertion.update(status_text=a.status, mark=a.mark,
                         value=None if a.value is None else f"{a.value:g}")
    elif isinstance(a, Rating):
        assertion.update(status_text=f"{a.score:g} / {a.scale.minimum:g}..{a.scale.maximum:g}"
                         + (f" — {a.comment}" if a.comment else ""))
    elif isinstance(a, Referral):
        assertion.update(status_text=f"→ {party_name(a.audience, facts.names)}"
                         + (f" — {a.comment}" if a.comment else ""))
    checks = [{"label": c.label, "status": c.status, "detail": c.detail,
               "icon": ICONS.get(c.status, "?")} for c in facts.checks]
    return {
        "lang": lang, "t": t, "links": links, "node_name": node_name,
        "title": _title(a, facts.definition, facts.names, lang),
        "title_text": _title(a, facts.definition, facts.names, lang),
        "status": status_view(facts.status, lang),
        "checked_at": when(facts.checked_at, lang),
        "checks_intro": t["checks_intro_copy" if facts.offline else "checks_intro"],
        "checked_at_iso": format_datetime(facts.checked_at), "offline": facts.offline,
        "badge_alt": layout.accessible_text,
        "assertion": assertion,
        "subject": party(a.about, facts.names), "issuer": party(a.issuer, facts.names),
        "binding": binding_text(a.issuer, lang),
        "definition": deed_view(facts.definition, lang, facts.definition_url)
        if facts.definition is not None else None,
        "checks": checks, "rules": list(facts.rules), "paths": facts.paths or [],
        "show_path": show_path, "evidence": _evidence(a),
        "embed_html": html, "embed_markdown": markdown,
        "qr": renderer.qr_svg(links.page_absolute,
                              t["qr_alt"].format(url=links.page_absolute))
        if links.page_absolute.startswith(("http://", "https://")) else None,
        "verify_command": verify_command,
        "machine_json": script_json(machine_facts(facts, links.page_absolute)),
    }


def _absolute(links: Links) -> str:
    """The badge image URL for embedding elsewhere (absolute when the page is)."""
    if links.svg.startswith(("http://", "https://")):
        return links.svg
    base = links.page_absolute
    if base.startswith(("http://", "https://")) and links.svg.startswith("/"):
        scheme, _, rest = base.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}{links.svg}"
    return links.svg


def subject_path(subject: str) -> str:
    return "/subjects/" + quote(subject, safe="")


def accountability_view(policy: TrustPolicy, lang: str) -> dict[str, Any]:
    """The node's referral accountability rule in words, with its own figures
    (``specs/trust.md`` section 5), for its page."""
    strings = STRINGS[lang]

    def share(value: float) -> str:
        tenths = round(value * 10)
        if abs(value * 10 - tenths) < 1e-9 and 1 <= tenths <= 9:
            return (TENTHS_EN if lang == "en" else TENTHS_FR)[tenths - 1]
        percent = f"{value * 100:.3g}"
        return f"{percent}%" if lang == "en" else f"{percent.replace('.', ',')}\u00a0%"

    days = f"{policy.withdrawn_referral_days:g}"
    days = days if lang == "en" else days.replace(".", ",")
    return {"title": strings["referrals_title"],
            "sentences": [strings["referrals_rule"].format(rate=share(policy.referral_penalty),
                                                           cap=share(policy.referral_penalty_cap)),
                          strings["referrals_withdrawn"].format(days=days)],
            "figures": {"referralPenalty": policy.referral_penalty,
                        "referralPenaltyCap": policy.referral_penalty_cap,
                        "withdrawnReferralDays": policy.withdrawn_referral_days}}


TENTHS_EN = ("a tenth", "two tenths", "three tenths", "four tenths", "half", "six tenths",
             "seven tenths", "eight tenths", "nine tenths")
TENTHS_FR = ("un dixième", "deux dixièmes", "trois dixièmes", "quatre dixièmes", "la moitié",
             "six dixièmes", "sept dixièmes", "huit dixièmes", "neuf dixièmes")
