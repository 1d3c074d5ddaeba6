"""The facts behind the publication mode's pages, gathered from the node's store.

For one held assertion: its live status, the checks a visitor is shown (each really run:
the proofs are verified again, once per assertion and cached, since a signed document never
changes; revocation, validity and the subject's decision are read live from the store's
state), the mark definition it points to when this node holds it, the conversion rules
others have published for that mark, and this node's own trust path to the holder when the
trust engine is running. ``confiance badges export`` gathers the same facts from files
(:mod:`confiance.node.commands.badges`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any

from aiohttp import web

from confiance.protocol.errors import ConfianceError
from confiance.protocol.marks import MarkDefinition, definition_from_document
from confiance.protocol.model import AnyAssertion, Recognition, TrustMark, from_credential
from confiance.protocol.sentences import short_id
from confiance.protocol.signing import VerificationReport, verify

from .context import Node
from .identity import did_web_for
from .problems import Erased, NotFound
from .render.views import CheckLine, rule_line
from .storage import AssertionQuery, StoredAssertion

__all__ = ["PUBLICATION", "Publication", "check_lines", "held"]

log = logging.getLogger("confiance.node")
MAX_RULES = 50
PATH_WAIT = 0.5
#: Longest a page's slow-moving facts (rules, paths, names) are reused, in seconds.
FACTS_TTL = 5.0


class _Lru(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class Publication:
    """Per-application caches for the pages.

    What never changes is kept by id: the parsed assertion, its proofs' verification, a
    definition version. What may change (the rules others publish, the trust paths, the
    names of peers, so a page's facts) is kept under :attr:`epoch`, which every stored
    assertion and every erasure moves on (:meth:`attach`), and for at most
    :data:`FACTS_TTL` seconds; the live status and the check time are never cached.
    """

    def __init__(self) -> None:
        self.reports: _Lru = _Lru(4096)
        self.definitions: _Lru = _Lru(1024)
        self.assertions: _Lru = _Lru(4096)
        self.svgs: _Lru = _Lru(4096)
        self.facts: _Lru = _Lru(2048)
        self.epoch = 0
        #: marks the places of a cached page filled at each request (never in user text:
        #: unguessable, per process)
        self.placeholder = "\ue000" + secrets.token_hex(12)

    def bump(self, _event: object = None) -> None:
        self.epoch += 1

    def attach(self, node: Node) -> None:
        node.ingestor.subscribe(self.bump)
        node.ingestor.subscribe_erasure(self.bump)

    def assertion(self, stored: StoredAssertion) -> AnyAssertion:
        """The parsed assertion (schema-checked once: the stored bytes never change)."""
        cached = self.assertions.get(stored.id)
        if cached is None:
            cached = from_credential(json.loads(stored.record.document))
            self.assertions.put(stored.id, cached)
        return cached

    def fresh(self, key: Any, state: Any) -> Any:
        """A cached value for ``key`` made in ``state`` at this epoch, young enough."""
        found = self.facts.get(key)
        if found is None:
            return None
        epoch, made, made_state, value = found
        if epoch != self.epoch or made_state != state or time.monotonic() - made > FACTS_TTL:
            return None
        return value

    def keep(self, key: Any, state: Any, value: Any) -> None:
        self.facts.put(key, (self.epoch, time.monotonic(), state, value))


PUBLICATION = web.AppKey("confiance.publication", Publication)


async def held(node: Node, content_id: str) -> StoredAssertion:
    """The held assertion, or 404 / 410 as ``GET /assertions/{id}`` answers."""
    stored = await node.store.get(content_id)
    if stored is None:
        if await node.store.tombstone(content_id) is not None:
            raise Erased(f"{content_id} was erased at its issuer's request", id=content_id)
        raise NotFound(f"{content_id} is not held here", id=content_id)
    return stored


def proof_report(node: Node, pub: Publication, stored: StoredAssertion) -> VerificationReport:
    """The proofs verified again (cached per id: the bytes never change)."""
    cached = pub.reports.get(stored.id)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    document = json.loads(stored.record.document)
    # judged at the proof's own time: "was the key valid when it signed?"
    at = stored.record.created or stored.record.valid_from
    report = verify(document, now=max(at, stored.record.valid_from), loader=node.loader,
                    limits=node.limits, key_resolver=node.keyring.resolve,
                    require_issuer_binding=True, check_terms_jcs=False)
    pub.reports.put(stored.id, report)
    return report


def check_lines(node: Node, report: VerificationReport, stored: StoredAssertion,
                now: datetime) -> list[CheckLine]:
    """The checks a visitor sees, in the order a verifier makes them."""
    record = stored.record
    lines: list[CheckLine] = []
    proof = report.check("proof") or report.check("proof[0]")
    lines.append(CheckLine("check_signature", proof.status if proof else "fail",
                           proof.detail if proof else "no proof verified"))
    key = report.check("key") or report.check("key[0]")
    lines.append(CheckLine("check_key", key.status if key else "fail",
                           key.detail if key else "no key resolved"))
    binding = report.check("issuer-binding")
    lines.append(CheckLine("check_binding", binding.status if binding else "fail",
                           binding.detail if binding else "not checked"))
    if stored.revoked_by is not None:
        lines.append(CheckLine("check_revocation", "fail",
                               f"revoked by its issuer: {stored.revoked_by}"))
    elif record.status_index is not None:
        entry = node.status_lists.status_entry(record.status_index)
        lines.append(CheckLine("check_revocation", "pass",
                               f"bit {entry.status_list_index} of the signed status list "
                               f"{entry.status_list_credential} is clear"))
    else:
        lines.append(CheckLine("check_revocation", "pass",
                               "this node holds no revocation by the issuer (its status "
                               "list, if any, is not fetched by this page)"))
    until = record.valid_until
    if until is not None and until <= now:
        lines.append(CheckLine("check_validity", "fail", f"expired at {until:%Y-%m-%d %H:%M} UTC"))
    elif record.valid_from > now:
        lines.append(CheckLine("check_validity", "fail",
                               f"valid only from {record.valid_from:%Y-%m-%d %H:%M} UTC"))
    else:
        lines.append(CheckLine("check_validity", "pass",
                               "valid now" + ("" if until else " (no end date)")))
    if stored.decision is True:
        lines.append(CheckLine("check_acceptance", "pass", "the subject signed its acceptance"))
    elif stored.decision is False:
        lines.append(CheckLine("check_acceptance", "fail", "the subject rejected it"))
    else:
        lines.append(CheckLine("check_acceptance", "skip",
                               "the subject has not said (acceptance is optional)"))
    return lines


async def definition_of(node: Node, pub: Publication, mark: str, version: str | None
                        ) -> MarkDefinition | None:
    """The definition this node holds for ``mark`` (that version, else the latest)."""
    key = (mark, version)
    if key in pub.definitions:
        return pub.definitions[key]  # type: ignore[no-any-return]
    record = await node.store.get_mark_definition(mark, version)
    if record is None and version is not None:
        record = await node.store.get_mark_definition(mark, None)
    parsed = definition_from_document(json.loads(record.document)) if record else None
    if parsed is not None and version is not None:
        pub.definitions.put(key, parsed)  # versions are immutable: safe to keep
    return parsed


async def names(app: web.Application, node: Node) -> dict[str, str]:
    """Names this node knows: its own, and its recognised peers' (by their did:web)."""
    known = {node.did: node.config.name}
    try:
        from .peers.engine import GOSSIP  # optional part: gossip may be absent
    except ImportError:  # pragma: no cover
        return known
    gossip = app.get(GOSSIP)
    if gossip is not None:
        for peer in await gossip.store.list_peers():
            try:
                known.setdefault(did_web_for(peer.url), peer.name)
            except ConfianceError:
                continue
    return known


async def peers(app: web.Application) -> list[dict[str, str]]:
    try:
        from .peers.engine import GOSSIP
    except ImportError:  # pragma: no cover
        return []
    gossip = app.get(GOSSIP)
    if gossip is None:
        return []
    return [{"name": p.name, "url": p.url} for p in await gossip.store.list_peers()
            if p.dropped_at is None]


async def recognitions(node: Node, *, about: str | None = None, issuer: str | None = None,
                       mark: str | None = None) -> list[tuple[str, Recognition]]:
    """Valid Recognitions held (about an issuer, or by one), for ``mark`` when given."""
    page = await node.store.find(AssertionQuery(subject=about, issuer=issuer,
                                                kind="Recognition", limit=200))
    now = node.now()
    out: list[tuple[str, Recognition]] = []
    for stored in page.items:
        if stored.status(now) != "valid":
            continue
        parsed = from_credential(json.loads(stored.record.document))
        if isinstance(parsed, Recognition) and (mark is None or parsed.mark == mark):
            out.append((stored.id, parsed))
    return out[:MAX_RULES]


async def rules_for(node: Node, pub: Publication, assertion: Any, *, lang: str,
                    known: dict[str, str], definition: MarkDefinition | None
                    ) -> list[dict[str, Any]]:
    if not isinstance(assertion, TrustMark):
        return []
    found = await recognitions(node, about=assertion.issuer, mark=assertion.mark)
    mark_name = definition.short_name if definition is not None else None
    return [rule_line(rec, rec_id, names=known, mark_name=mark_name or rec.name, lang=lang,
                      href="/assertions/" + rec_id.rsplit(";", 1)[-1])
            for rec_id, rec in found]


async def paths_for(app: web.Application, node: Node, subject: str, context: str | None,
                    known: dict[str, str]) -> list[dict[str, Any]] | None:
    """This node's strongest paths to ``subject`` (None when no trust engine runs)."""
    try:
        from .routes.trust import TRUST_WORKER
    except ImportError:  # pragma: no cover
        return None
    worker = app.get(TRUST_WORKER)
    if worker is None or context is None:
        return None
    now = node.now()

    def query(engine: Any) -> Any:
        engine.refresh(now)
        return engine.trust(node.did, subject, context, "moletrust")

    try:
        result = await asyncio.wait_for(worker.run(query), PATH_WAIT)
    except Exception:
        log.debug("no trust path for the page", exc_info=True)
        return []
    out = []
    for path in result.paths[:3]:
        hops = [{"text": known.get(path.hops[0].source, short_id(path.hops[0].source))}]
        hops += [{"text": known.get(h.target, short_id(h.target))
                  + (f" ({h.rule})" if h.rule else "")} for h in path.hops]
        out.append({"hops": hops, "strength": f"{path.strength:.2f}"})
    return out
