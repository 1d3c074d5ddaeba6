"""Explanations in the node's words: rule sentences that name the parties as the node knows them.

The trust engine (:mod:`confiance.protocol.trust`) writes each hop's rule sentence from the
identifiers alone ("127.0.0.1:8082 reads 127.0.0.1:8081’s “127.0.0.1:8081/marks/pos”
mark..."): it knows no names. The node does: its own name, the names it gave its peers, the
mark definitions it holds, and the name a Recognition gives the mark it reads (``confiance
rules add`` sets it from the definition). :func:`name_rules` rewrites the sentences of a
``GET /trust`` answer with those names, as the node's pages do ("E2 reads E1’s “positive
feedback” mark on its own 1..5 scale: 98 or more is 5, 95 or more is 4, otherwise 1.").
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from confiance.protocol.errors import ConfianceError
from confiance.protocol.model import Recognition

from .context import NODE
from .publication import PUBLICATION, definition_of, names
from .render.views import rule_line

__all__ = ["name_rules"]

log = logging.getLogger("confiance.node")


async def name_rules(app: web.Application, answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` (a TrustResult's JSON) with each hop's ``rule`` in the node's words."""
    hops = [hop for path in answer.get("paths", []) for hop in path.get("hops", [])
            if hop.get("recognition") and hop.get("rule")]
    if not hops:
        return answer
    node = app[NODE]
    pub = app[PUBLICATION]
    known = await names(app, node)
    for hop in hops:
        try:
            stored = await node.store.get(hop["recognition"])
            if stored is None:
                continue
            recognition = pub.assertion(stored)
            if not isinstance(recognition, Recognition):
                continue
            held = await definition_of(node, pub, recognition.mark, None) \
                if recognition.mark else None
            mark_name = held.short_name if held is not None else recognition.name
            hop["rule"] = rule_line(recognition, stored.id, names=known, mark_name=mark_name,
                                    lang="en", href=None)["sentence"]
        except ConfianceError:  # keep the engine's own sentence
            log.debug("could not name the rule of %s", hop.get("recognition"), exc_info=True)
    return answer
