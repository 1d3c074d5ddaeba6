"""``confiance badges export``: a subject's badges as a static site, verifiable offline.

For individuals without a node: the personal page, a verify page per badge, the SVG badges
(plain and baked), the signed JSON-LD, the mark definitions and the issuers' DID documents,
all with relative links, so the folder opens from ``file://`` and can be hosted anywhere.
The pages look like the node's; their status says what a static copy can know (signature
and dates, checked when the copy was made) and links to the live status when the issuer's
node is known.

Sources: a running node (``--node URL``: what the subject accepted there, with the live
status at export time) or signed files (``FILES``; did:web issuers need their DID document,
``--did-document``; definitions with ``--definition``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from confiance.protocol.badge import badge_status
from confiance.protocol.canonical import canonicalize_jcs
from confiance.protocol.errors import MalformedDocument
from confiance.protocol.marks import MarkDefinition, definition_from_document
from confiance.protocol.model import (
    AnyAssertion,
    Rating,
    TrustMark,
    format_datetime,
    from_credential,
)
from confiance.protocol.openbadges import open_badges_loader
from confiance.protocol.sentences import party_name, short_id
from confiance.protocol.signing import verify

from ..render import Renderer
from ..render.i18n import STRINGS
from ..render.views import CheckLine, Facts, Links, badge_for, status_view, verify_context
from .common import add_loader_argument, make_loader, read_json_document
from .verify import did_document_resolver

__all__ = ["MANIFEST", "Item", "Source", "export_site", "register"]


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "badges", help="export a subject's badges as a static site (no node needed to host)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    export = actions.add_parser(
        "export", help="write a static site of a subject's badges, verifiable offline",
        description="Write the subject's personal page, a verify page per badge, the SVG "
                    "badges and the signed JSON-LD into DIR, from a running node (--node) "
                    "or from signed files.")
    export.add_argument("files", nargs="*", metavar="FILE.json",
                        help="signed assertions about the subject (instead of --node)")
    export.add_argument("--subject", required=True, metavar="DID", help="whose badges")
    export.add_argument("--out", required=True, metavar="DIR", help="the folder to write")
    export.add_argument("--node", metavar="URL", help="read from this node's public API")
    export.add_argument("--did-document", action="append", metavar="DID.json",
                        help="with FILES: a did:web issuer's DID document")
    export.add_argument("--definition", action="append", metavar="DEF.json",
                        help="with FILES: a signed mark definition the badges point to")
    export.add_argument("--lang", choices=sorted(STRINGS), default="en",
                        help="the pages' language (default en)")
    export.add_argument("--name", help="the subject's name on the pages (default: short DID)")
    add_loader_argument(export)
    export.set_defaults(func=run_export)
    check = actions.add_parser(
        "check", help="check an exported site's badges again and update its pages",
        description="Ask each badge's issuer for its status now (its signed W3C status list, "
                    "verified with the issuer's DID document kept in the site; else the node "
                    "the site was exported from) and rewrite the pages whose status changed. "
                    "Run it after each change, or from cron: the copy then says, for "
                    "example, revoked. Exit 0; 1 when a status could not be checked.")
    check.add_argument("out", metavar="DIR", help="a folder written by badges export")
    add_loader_argument(check)
    check.set_defaults(func=run_check)


@dataclass
class Item:
    document: dict[str, Any]
    assertion: AnyAssertion
    id: str
    status: str | None = None  # the live status at the node, when exported from one
    accepted: bool = False
    #: who said ``status``, when (for the page's revocation check line)
    status_said: str | None = None


#: The export's own record (what ``badges check`` reads back): subject, language, names,
#: the node it came from, and each badge's status and who said it.
MANIFEST = "confiance-export.json"


@dataclass
class Source:
    items: list[Item] = field(default_factory=list)
    definitions: dict[tuple[str, str | None], tuple[MarkDefinition, dict[str, Any]]] = \
        field(default_factory=dict)
    did_documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    node_url: str | None = None


def _get(base: str, path: str) -> Any:
    """A public read (no token) of a node's JSON (``Accept: application/json``)."""
    from ..running import node_request  # outbound HTTP, standard library, no redirects

    answer = node_request(base, "GET", path, timeout=15)
    status, body = answer.status, answer.body
    if status != 200 or not isinstance(body, dict):
        detail = body.get("detail") if isinstance(body, dict) else str(body)[:200]
        raise MalformedDocument(f"{base}{path}: HTTP {status}: {detail}")
    return body


def _from_node(base: str, subject: str) -> Source:
    from confiance.protocol.ids import assertion_id

    base = base.rstrip("/")
    source = Source(node_url=base)
    descriptor = _get(base, "/.well-known/confiance")
    source.names[descriptor["did"]] = descriptor["name"]
    source.did_documents[descriptor["did"]] = _get(base, "/.well-known/did.json")
    listing = _get(base, "/subjects/" + quote(subject, safe=""))
    said = (f"said by the node {base} on "
            f"{format_datetime(datetime.now(UTC).replace(microsecond=0))}")
    for meta in listing["accepted"]:
        document = meta["document"]
        item = Item(document=document, assertion=from_credential(document),
                    id=assertion_id(document), status=meta["status"], accepted=True,
                    status_said=said)
        source.items.append(item)
        a = item.assertion
        if isinstance(a, TrustMark) and a.mark.startswith(base + "/marks/"):
            key = (a.mark, a.mark_version)
            if key not in source.definitions:
                path = a.mark[len(base):] + (f"/{a.mark_version}" if a.mark_version else "")
                doc = _get(base, path)
                source.definitions[key] = (definition_from_document(doc), doc)
    return source


def _from_files(args: argparse.Namespace) -> Source:
    from confiance.protocol.ids import assertion_id

    source = Source()
    for path in args.did_document or []:
        doc = read_json_document(path)
        source.did_documents[str(doc.get("id"))] = doc
    for path in args.definition or []:
        doc = read_json_document(path)
        definition = definition_from_document(doc)
        source.definitions[(definition.mark, definition.version)] = (definition, doc)
        source.definitions.setdefault((definition.mark, None), (definition, doc))
    for path in args.files:
        document = read_json_document(path)
        source.items.append(Item(document=document, assertion=from_credential(document),
                                 id=assertion_id(document)))
    return source


def run_check(args: argparse.Namespace) -> int:
    from .badgecheck import check_site

    return check_site(Path(args.out), context_dir=args.context_dir)


def run_export(args: argparse.Namespace) -> int:
    if bool(args.node) == bool(args.files):
        raise MalformedDocument("give either --node URL or signed FILES")
    source = _from_node(args.node, args.subject) if args.node else _from_files(args)
    out = Path(args.out)
    written = export_site(source, args.subject, out, lang=args.lang, name=args.name,
                          context_dir=args.context_dir)
    print(f"wrote {written} badge pages to {out}/ (open {out / 'index.html'})", file=sys.stderr)
    return 0


def _did_file(did: str) -> str:
    return "keys/" + "".join(c if c.isalnum() or c in ".-" else "_" for c in short_id(did)) \
        + ".did.json"


def export_site(source: Source, subject: str, out: Path, *, lang: str, name: str | None,
                context_dir: str | None) -> int:
    """Write the site; return how many badge pages were written."""
    # the real time: a mark issued a moment ago is valid from a fraction of this second
    now = datetime.now(UTC)
    renderer = Renderer()
    loader = open_badges_loader(make_loader(context_dir))
    out.mkdir(parents=True, exist_ok=True)
    (out / "confiance.css").write_bytes(renderer.css)
    did_files: dict[str, str] = {}
    for did, doc in source.did_documents.items():
        rel = _did_file(did)
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        did_files[did] = rel
    resolver = did_document_resolver([str(out / rel) for rel in did_files.values()])
    t = STRINGS[lang]
    subject_name = name or party_name(subject, source.names)
    groups: dict[str, list[dict[str, Any]]] = {}
    count = 0
    for item in source.items:
        a = item.assertion
        if a.about != subject or not isinstance(a, TrustMark | Rating):
            continue
        report = verify(item.document, now=now, loader=loader, key_resolver=resolver,
                        require_issuer_binding=True, check_terms_jcs=False)
        status = item.status if item.status is not None else _offline_status(report)
        if not report.ok and status == "valid":
            status = "unverifiable"
        found = None
        if isinstance(a, TrustMark):
            found = source.definitions.get((a.mark, a.mark_version)) or \
                source.definitions.get((a.mark, None))
        definition = found[0] if found else None
        short = item.id.rsplit(";", 1)[-1]
        folder = out / "badges" / short
        folder.mkdir(parents=True, exist_ok=True)
        document_bytes = canonicalize_jcs(item.document)
        (folder / "assertion.jsonld").write_bytes(document_bytes)
        layout = badge_for(a, definition, status)
        (folder / "badge.svg").write_text(renderer.badge_svg(layout, uid=short[:8]),
                                          encoding="utf-8")
        (folder / "baked.svg").write_text(
            renderer.badge_svg(layout, uid=short[:8], baked=document_bytes), encoding="utf-8")
        definition_url = None
        if found is not None and definition is not None:
            rel = f"marks/{short_id(definition.id).replace('/', '_')}.jsonld"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_bytes(canonicalize_jcs(found[1]))
            definition_url = "../../" + rel
        checks = _check_lines(report, item)
        did_rel = did_files.get(a.issuer)
        command = ("confiance verify " + (f"--did-document ../../{did_rel} " if did_rel else "")
                   + "assertion.jsonld")
        live = f"{source.node_url}/badges/{short}" if source.node_url else None
        facts = Facts(id=item.id, assertion=a, status=status,
                      checked_at=now.replace(microsecond=0), checks=checks,
                      definition=definition, definition_url=definition_url,
                      names=source.names, offline=True)
        links = Links(css="../../confiance.css", home="../../index.html", svg="badge.svg",
                      baked="baked.svg", document="assertion.jsonld",
                      subject="../../index.html", page_absolute=live or "index.html",
                      live=live, embed_svg=f"{source.node_url}/badges/{short}.svg"
                      if source.node_url else None)
        context = verify_context(facts, links, lang=lang, renderer=renderer,
                                 node_name=subject_name, show_path=False,
                                 verify_command=command)
        (folder / "index.html").write_text(renderer.page("verify.html", **context),
                                           encoding="utf-8")
        title = definition.name if definition else (a.name or layout.label)
        text = a.status if isinstance(a, TrustMark) else \
            f"{a.score:g} / {a.scale.minimum:g}..{a.scale.maximum:g}"
        groups.setdefault(a.context or "—", []).append({
            "svg": f"badges/{short}/badge.svg", "href": f"badges/{short}/index.html",
            "alt": layout.accessible_text, "title": title, "text": text,
            "issuer": party_name(a.issuer, source.names),
            "status_word": status_view(status, lang)["word"]})
        count += 1
    links = Links(css="confiance.css", home="index.html", json="")
    page = renderer.page("subject.html", lang=lang, t=t, links=links, node_name=subject_name,
                         title=t["personal_title"].format(name=subject_name), offline=True,
                         subject={"id": subject, "name": subject_name},
                         groups=[{"context": c, "entries": g} for c, g in groups.items()])
    (out / "index.html").write_text(page, encoding="utf-8")
    manifest = {"subject": subject, "name": name, "lang": lang, "node": source.node_url,
                "names": source.names,
                "writtenAt": format_datetime(now.replace(microsecond=0)),
                "badges": [_without_nulls({"id": item.id, "status": item.status,
                                           "accepted": item.accepted,
                                           "statusSaid": item.status_said})
                           for item in source.items if item.assertion.about == subject
                           and isinstance(item.assertion, TrustMark | Rating)]}
    (out / MANIFEST).write_text(json.dumps(_without_nulls(manifest), indent=2,
                                           ensure_ascii=False) + "\n", encoding="utf-8")
    return count


def _without_nulls(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}


def _offline_status(report: Any) -> str:
    validity = report.check("validity")
    if validity is not None and validity.status == "fail":
        return "expired" if "expired" in validity.detail or "until" in validity.detail \
            else "not-yet-valid"
    return "valid" if report.ok else "unverifiable"


def _check_lines(report: Any, item: Item) -> list[CheckLine]:
    def line(label: str, *names: str) -> CheckLine:
        for name in names:
            check = report.check(name)
            if check is not None:
                return CheckLine(label, check.status, check.detail)
        return CheckLine(label, "fail", "not checked")

    lines = [line("check_signature", "proof", "proof[0]"), line("check_key", "key", "key[0]"),
             line("check_binding", "issuer-binding")]
    if item.status is not None:
        shown = badge_status(item.status)
        said = item.status_said or "the issuer's node said it when this copy was made"
        lines.append(CheckLine("check_revocation", "fail" if shown.key == "revoked" else "pass",
                               f"“{item.status}”: {said}"))
    else:
        lines.append(CheckLine("check_revocation", "skip",
                               "a static copy cannot ask: check the issuer's status list"))
    lines.append(line("check_validity", "validity"))
    lines.append(CheckLine("check_acceptance", "pass" if item.accepted else "skip",
                           "the subject accepted it at the node" if item.accepted
                           else "not known to this copy"))
    return lines

