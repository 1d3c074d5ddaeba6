"""What the operator's commands share: reaching the running node's admin API, or failing
clearly, and reading a public answer.

``marks create``/``award``, ``rules``, ``revoke`` change what a node publishes, so they go
through the node running from ``--data-dir`` (found by its run record, or at ``--node URL``;
checked to be that data directory's node before the admin token is sent:
:mod:`..running`). With no node running they fail and say so: a node signs with keys only
it holds open, and what it publishes must reach its peers at once.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from confiance.protocol.errors import ConfianceError, MalformedDocument

if TYPE_CHECKING:
    from ..config import NodeConfig
    from ..running import NodeAnswer

__all__ = ["NodeRefused", "admin", "answer_detail", "node_config", "public"]


class NodeRefused(ConfianceError):
    """The node answered with a refusal (its problem's detail is the message)."""

    status = 502
    slug = "node-refused"
    title = "The node refused"


def node_config(args: argparse.Namespace) -> NodeConfig:
    """The configuration of ``--data-dir`` (default ``$CONFIANCE_DATA_DIR``, ``./confiance-data``),
    which must hold a node."""
    from ..config import default_data_dir, load_config
    from ..datadir import is_initialised

    config = load_config(args.data_dir or default_data_dir())
    if not is_initialised(config.data_dir):
        raise MalformedDocument(f"{config.data_dir} holds no node: create one with "
                                f"confiance init --data-dir {config.data_dir}")
    return config


def answer_detail(answer: NodeAnswer) -> str:
    """The problem's detail (RFC 9457), else the start of the body."""
    body = answer.body
    if isinstance(body, dict) and body.get("detail"):
        return str(body["detail"])
    return f"HTTP {answer.status}: {str(body)[:300]}"


def admin(args: argparse.Namespace, method: str, path: str, body: Any = None, *,
          doing: str) -> NodeAnswer:
    """One admin request to the node running from ``args.data_dir`` (or ``args.node``).

    Raises a clear error when no node runs there (``doing`` says what needed it) and
    :class:`NodeRefused` when it refuses.
    """
    from ..running import admin_call

    config = node_config(args)
    answer = admin_call(config, method, path, body, node_url=getattr(args, "node", None))
    if answer is None:
        raise MalformedDocument(f"no node is running from {config.data_dir}: {doing} goes "
                                f"through the running node (start it: confiance serve "
                                f"--data-dir {config.data_dir})")
    if answer.status not in (200, 201):
        raise NodeRefused(answer_detail(answer))
    return answer


def public(url: str, method: str, path: str, *, body: Any = None, raw: bytes | None = None,
           headers: dict[str, str] | None = None, ok: tuple[int, ...] = (200, 201)
           ) -> NodeAnswer:
    """A request to a node's public API (no token); :class:`NodeRefused` unless ``ok``."""
    from urllib.parse import urlsplit

    from ..running import node_request

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or parts.password:
        raise MalformedDocument(f"a node's URL is http(s)://host[:port], got {url!r:.80}")
    answer = node_request(url.strip().rstrip("/"), method, path, body, raw=raw,
                          headers=headers, timeout=30)
    if answer.status not in ok:
        raise NodeRefused(answer_detail(answer))
    return answer
