"""``confiance rules``: publish how this node reads another issuer's marks.

``rules add MARK_URL --rule RULE --scale MIN:MAX`` is a site's unilateral recognition ("E1's
95% positive or more is four stars here"). It reads the mark's signed definition at
``MARK_URL`` (the mark's IRI or one version of it, e.g.
``https://e1.example/marks/positive-feedback/1``), checks it (its signature, with the DID
document of the issuer's own origin for a did:web issuer), then asks the node running from
``--data-dir`` to sign and publish a Recognition of that issuer for that mark: the rule
counts in the node's trust scores at once, is listed on its own page ("how we read others'
marks") and gossips to its peers. Nothing is asked of the mark's issuer, and nothing changes
in how the issuer reads this node. The Recognition's ``name`` is the mark's short name
(``--name`` to choose another), which the node's sentences use when it does not hold the
definition itself.

``rules list`` prints the rules the node publishes, each as its sentence and id (withdraw
one with ``confiance revoke ID``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from confiance.protocol.errors import ConfianceError, MalformedDocument

from .common import add_node_argument, print_json, read_json_document
from .init import add_data_dir_argument

__all__ = ["fetch_definition", "register"]

LD_JSON = "application/ld+json"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "rules", help="publish how this node reads another issuer's marks (conversion rules)",
        description="Conversion rules: how this node reads another issuer's marks on its own "
                    "scale. Published as signed Recognitions by the running node, unilaterally.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    add = actions.add_parser(
        "add", help="recognise another issuer's mark with a conversion rule",
        description="Read the mark's signed definition at MARK_URL, then have the running "
                    "node publish a Recognition: its rule converts the mark's statusValue "
                    "(LinearRescale, ThresholdTable) or status (CategoricalMap) to --scale.")
    from .assert_ import allow_negative_ranges

    allow_negative_ranges(add)
    add.add_argument("mark_url", metavar="MARK_URL",
                     help="the mark's IRI, or the URL of one version of its definition")
    add.add_argument("--rule", required=True, metavar="RULE",
                     help='the conversion rule: a JSON file, or inline JSON such as \'{"type": '
                          '"ThresholdTable", "thresholds": [{"atLeast": 95, "value": 4}], '
                          '"otherwise": 1}\'')
    add.add_argument("--scale", required=True, metavar="MIN:MAX",
                     help="this node's scale, on which the rule's values lie (e.g. 1:5)")
    add.add_argument("--context", metavar="NAME",
                     help="this node's context of trust (default: the mark's)")
    add.add_argument("--name", help="what to call the mark in sentences (default: its short "
                                    "name)")
    add.add_argument("--json", action="store_true", help="print the node's answer as JSON")
    listing = actions.add_parser("list", help="the rules this node publishes")
    listing.add_argument("--json", action="store_true", help="print JSON")
    for each in (add, listing):
        add_data_dir_argument(each)
        add_node_argument(each)
    add.set_defaults(func=run_add)
    listing.set_defaults(func=run_list)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MalformedDocument(f"MARK_URL must be an http(s) URL, got {url!r:.100}")
    return f"{parts.scheme}://{parts.netloc}"


def fetch_definition(url: str) -> Any:
    """The mark definition at ``url``, its signature checked (did:key offline; did:web with
    the DID document of ``url``'s origin, which must be the issuer's did:web)."""
    from confiance.protocol.marks import verify_definition

    from ..identity import did_web_for
    from .operate import public
    from .verify import documents_resolver

    origin = _origin(url)
    path = url[len(origin):] or "/"
    document = public(origin, "GET", path, headers={"Accept": LD_JSON}).body
    if not isinstance(document, dict):
        raise MalformedDocument(f"{url} did not answer a mark definition (JSON-LD)")
    issuer = document.get("issuer")
    did_documents: list[tuple[str, dict[str, Any]]] = []
    if isinstance(issuer, str) and issuer.startswith("did:web:"):
        if issuer != did_web_for(origin):
            raise MalformedDocument(f"the definition at {url} is issued by {issuer:.120}, not "
                                    f"by the did:web of {origin} ({did_web_for(origin)})")
        did_doc = public(origin, "GET", "/.well-known/did.json").body
        if not isinstance(did_doc, dict):
            raise MalformedDocument(f"{origin}/.well-known/did.json is not a DID document")
        did_documents.append((f"{origin}/.well-known/did.json", did_doc))
    return verify_definition(document, now=datetime.now(UTC),
                             key_resolver=documents_resolver(did_documents))


def _rule(text: str) -> dict[str, Any]:
    from confiance.protocol.canonical import parse_json
    from confiance.protocol.limits import DEFAULT_LIMITS
    from confiance.protocol.rules import rule_from_json, rule_to_json

    obj = parse_json(text.encode(), DEFAULT_LIMITS) if text.lstrip().startswith("{") \
        else read_json_document(text)
    return rule_to_json(rule_from_json(obj))  # checked here: a clear message before the node


def run_add(args: argparse.Namespace) -> int:
    from .assert_ import _scale
    from .operate import admin, public

    definition = fetch_definition(args.mark_url)
    scale = _scale(args.scale, (0, 1))
    context = args.context or definition.context
    subject: dict[str, Any] = {"id": definition.issuer, "trustContext": context,
                               "mark": {"id": definition.mark},
                               "conversionRule": _rule(args.rule), "scale": scale.to_json()}
    if context != definition.context:
        subject["sourceContext"] = definition.context
    name = args.name or definition.short_name
    body = {"kind": "Recognition", "name": name, "credentialSubject": subject}
    reply = admin(args, "POST", "/admin/issue", body, doing="publishing a rule").body
    if args.json:
        print_json(reply)
        return 0
    base = reply["url"].rsplit("/assertions/", 1)[0]
    sentence = None
    try:  # the node's own sentence, with the names it knows
        listed = public(base, "GET", "/").body.get("rules", [])
        sentence = next((r["sentence"] for r in listed if r.get("id") == reply["id"]), None)
    except ConfianceError:  # its public URL may not be reachable from here
        pass
    print(reply["id"])
    print(f"published on {base}/: {sentence or 'a rule for ' + definition.mark}",
          file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ..running import find_running_node
    from .operate import node_config, public

    if args.node:
        url = args.node
    else:
        config = node_config(args)
        running = find_running_node(config.data_dir)
        if running is None:
            raise MalformedDocument(f"no node is running from {config.data_dir} (or give "
                                    "--node URL)")
        url = running.url
    home = public(url, "GET", "/").body
    rules = home["rules"]
    if args.json:
        sys.stdout.write(json.dumps(rules, indent=2, ensure_ascii=False) + "\n")
        return 0
    if not rules:
        print(f"{home['name']} publishes no conversion rule (add one: confiance rules add "
              "MARK_URL --rule RULE --scale MIN:MAX)")
    for rule in rules:
        print(f"{rule['id']}\n    {rule['sentence']}")
    return 0
