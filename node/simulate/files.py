"""Scenario files and the data sets they name: read, bounded, decompressed, digested.

A scenario is TOML (read with ``tomllib``, at most :data:`MAX_SCENARIO_BYTES`); the paths
it names (``graph.dataset``, ``graph.ratings``, ``prediction.reference``) are relative to
the scenario file. Data files may be plain, gzip or xz (detected by their magic bytes) and
are decompressed with a cap (:data:`MAX_DATA_BYTES`), so a hostile file cannot exhaust
memory. What a worker needs travels as a :class:`DataBlob`: the bytes and how to parse
them, with a digest, so a worker parses each data set once however many tasks it runs,
and the report can name exactly what was read.
"""

from __future__ import annotations

import hashlib
import lzma
import tomllib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confiance.protocol.errors import DocumentTooLarge, MalformedDocument

from ..commands.common import read_bytes

__all__ = ["MAX_DATA_BYTES", "MAX_SCENARIO_BYTES", "DataBlob", "read_data", "read_scenario",
           "scenario_blob"]

MAX_SCENARIO_BYTES = 1_000_000
MAX_DATA_BYTES = 2_000_000_000


@dataclass(frozen=True)
class DataBlob:
    """A data set and references as bytes, ready to ship to a worker."""

    graph: bytes | None = None
    fmt: str | None = None
    name: str = "dataset"
    levels: Mapping[str, float] | None = None
    ratings: bytes | None = None
    references: Mapping[str, bytes] = field(default_factory=dict)
    #: ``{path: sha256}`` of every file read.
    files: Mapping[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for part in (self.graph or b"", (self.fmt or "").encode(), self.name.encode(),
                     repr(sorted((self.levels or {}).items())).encode(), self.ratings or b""):
            h.update(hashlib.sha256(part).digest())
        for key in sorted(self.references):
            h.update(key.encode())
            h.update(hashlib.sha256(self.references[key]).digest())
        return h.hexdigest()


def read_scenario(path: str) -> tuple[dict[str, Any], str]:
    """The scenario table of a TOML file and the file's SHA-256."""
    raw = read_bytes(path, MAX_SCENARIO_BYTES)
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise MalformedDocument(f"{path} is not UTF-8: {exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MalformedDocument(f"{path} is not valid TOML: {exc}") from None
    return doc, hashlib.sha256(raw).hexdigest()


def read_data(path: Path, *, limit: int = MAX_DATA_BYTES) -> bytes:
    """The content of ``path``, gunzipped or unxz'd when compressed, at most ``limit``."""
    raw = read_bytes(str(path), limit)
    try:
        if raw[:2] == b"\x1f\x8b":
            return _gunzip(raw, limit)
        if raw[:6] == b"\xfd7zXZ\x00":
            out = lzma.LZMADecompressor().decompress(raw, max_length=limit + 1)
            if len(out) > limit:
                raise DocumentTooLarge(f"{path} decompresses to more than {limit} bytes",
                                       limit=limit)
            return out
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise MalformedDocument(f"{path} is not a readable compressed file: {exc}") from None
    return raw


def _gunzip(raw: bytes, limit: int) -> bytes:
    """Every gzip member of ``raw``, at most ``limit`` bytes in all."""
    parts: list[bytes] = []
    total = 0
    rest = raw
    while rest:
        d = zlib.decompressobj(wbits=31)
        chunk = d.decompress(rest, limit + 1 - total)
        total += len(chunk)
        if total > limit or d.unconsumed_tail:
            raise DocumentTooLarge(f"the decompressed data exceeds {limit} bytes", limit=limit)
        if not d.eof:
            raise MalformedDocument("a gzip stream ends early")
        parts.append(chunk)
        rest = d.unused_data
    return b"".join(parts)


def scenario_blob(doc: Mapping[str, Any], base: Path) -> DataBlob:
    """Read every file the scenario names (relative to ``base``, the scenario's folder)."""
    graph = doc.get("graph", {}) if isinstance(doc.get("graph", {}), Mapping) else {}
    files: dict[str, str] = {}

    def load(name: object, what: str) -> bytes:
        if not isinstance(name, str) or not name:
            raise MalformedDocument(f"scenario: {what} must be a file path")
        path = (base / name).resolve()
        data = read_data(path)
        files[str(path)] = hashlib.sha256(data).hexdigest()
        return data

    blob: dict[str, Any] = {}
    if graph.get("dataset") is not None:
        path = graph["dataset"]
        blob.update(graph=load(path, "graph.dataset"), fmt=graph.get("format"),
                    name=Path(str(path)).name)
        levels = graph.get("levels")
        if levels is not None:
            if not isinstance(levels, Mapping) or not all(
                    isinstance(v, int | float) and not isinstance(v, bool)
                    for v in levels.values()):
                raise MalformedDocument("scenario: graph.levels maps level names to weights")
            blob["levels"] = {str(k): float(v) for k, v in levels.items()}
        if graph.get("ratings") is not None:
            blob["ratings"] = load(graph["ratings"], "graph.ratings")
    prediction = doc.get("prediction", {})
    refs = prediction.get("reference", {}) if isinstance(prediction, Mapping) else {}
    if isinstance(refs, Mapping):
        blob["references"] = {str(k): load(v, f"prediction.reference {k!r}")
                              for k, v in refs.items()}
    return DataBlob(files=files, **blob)
