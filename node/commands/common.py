"""What several subcommands share: reading hostile input files, key files, the loader.

Files named on the command line are input from outside: they are read with a size cap and
parsed by the protocol's bounded JSON parser, and every failure becomes a specific
:class:`~confiance.protocol.errors.ConfianceError`, which ``cli.main`` prints as one line.

Start-up time: ``confiance`` imports every command module to build its parser, so these
modules import at the top only what building the parser needs; JSON-LD, signing and the
node are imported by the function that uses them (``python -X importtime`` shows it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from confiance.protocol.errors import DocumentTooLarge, KeyFormatError, MalformedDocument
from confiance.protocol.limits import DEFAULT_LIMITS, Limits
from confiance.protocol.model import format_datetime, parse_datetime

if TYPE_CHECKING:
    from confiance.protocol.contexts import DocumentLoader
    from confiance.protocol.keys import KeyPair

SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
DEFAULT_SUITE = "eddsa-jcs-2022"
MAX_KEY_FILE_BYTES = 4096


def read_bytes(path: str, limit: int) -> bytes:
    """Read ``path`` (``-`` for stdin), refusing more than ``limit`` bytes."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
    except OSError as exc:
        raise MalformedDocument(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise DocumentTooLarge(f"{path} is larger than the {limit}-byte limit", limit=limit)
    return data


def read_json_document(path: str, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Read and parse a JSON object from ``path`` under ``limits``."""
    from confiance.protocol.canonical import parse_json

    doc = parse_json(read_bytes(path, limits.max_bytes), limits)
    if not isinstance(doc, dict):
        raise MalformedDocument(f"{path} does not hold a JSON object")
    return doc


def load_key(path: str) -> KeyPair:
    """Load a Multikey key file (``secretKeyMultibase`` or the vectors' ``privateKeyMultibase``)."""
    from confiance.protocol.keys import KeyPair

    raw = read_bytes(path, MAX_KEY_FILE_BYTES)
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyFormatError(f"{path} is not a JSON key file: {exc}") from None
    return KeyPair.from_json(obj)


def write_private_file(path: str, text: str, *, force: bool = False) -> None:
    """Write ``text`` to ``path`` with mode 0600, never through a pre-existing file's mode.

    Creates the file exclusively (``O_EXCL``) unless ``force``; with ``force`` it writes a
    temporary 0600 file beside it and renames it over, so a secret never sits in a file
    readable by others, even for an instant.
    """
    target = Path(path)
    if target.exists() and not force:
        raise MalformedDocument(f"{path} exists already: refusing to overwrite a key "
                                "(use --force)")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise MalformedDocument(f"cannot write {path}: {exc.strerror or exc}") from None


def make_loader(context_dir: str | None) -> DocumentLoader:
    """The pinned offline loader, plus the contexts of ``context_dir`` (an index.json folder)."""
    from confiance.protocol.contexts import default_loader

    loader = default_loader()
    if context_dir:
        loader = loader.with_directory(Path(context_dir))
    return loader


def add_loader_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--context-dir", metavar="DIR",
        help="extra JSON-LD contexts: a folder with index.json mapping context URL to file "
             "(never fetched from the network)")


def add_suite_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suite", choices=SUITES, default=DEFAULT_SUITE,
                        help=f"Data Integrity cryptosuite (default {DEFAULT_SUITE})")


def add_node_argument(parser: argparse.ArgumentParser) -> None:
    """``--node URL``: where the data directory's running node is reached (see ``running``)."""
    parser.add_argument(
        "--node", metavar="URL",
        help="where the node running from the data directory is reached (default: "
             "DATA_DIR/run.json, written by confiance serve); its identity is checked "
             "before the admin token is sent")


def timestamp(text: str | None, name: str) -> datetime:
    """Parse an ISO 8601 timestamp argument, or take the current time."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    return parse_datetime(text, name)


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


__all__ = [
    "DEFAULT_SUITE",
    "SUITES",
    "add_loader_argument",
    "add_node_argument",
    "add_suite_argument",
    "format_datetime",
    "load_key",
    "make_loader",
    "print_json",
    "read_json_document",
    "timestamp",
    "write_private_file",
]
