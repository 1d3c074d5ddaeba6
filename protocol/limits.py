"""Hard limits on what the protocol layer accepts from outside, and on the work it does.

Every document a node receives (HTTP body, gossip message, file given to the CLI) is parsed,
expanded as JSON-LD and, for ``eddsa-rdfc-2022``, canonicalised with RDFC-1.0. Each step
has a cost that grows with the input; RDFC-1.0 in particular is exponential in the worst
case: a clique of 7 blank nodes takes about 10 s in pyld, ten times more per extra node.
A verifier that accepts arbitrary input must therefore refuse, cheaply and *before* doing
the work, anything above a few hard caps. This module holds those caps.

The defaults are generous for Confiance assertions (a typical Rating is about 700 bytes,
depth 4, 2 blank nodes, 15 quads) and for the W3C test vectors, and small enough that the
worst accepted document is processed in milliseconds. They are documented in
``specs/protocol.md`` (B.4 "Limits"); a node may pass its own :class:`Limits`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .errors import LocalProtocolError

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Caps on input size and processing work; every field is a positive integer.

    Attributes
    ----------
    max_bytes:
        Size of the serialised JSON document (bytes of UTF-8). Default 64 KiB.
    max_depth:
        Nesting of JSON objects and arrays (the top-level object is depth 1). Default 16.
    max_string_length:
        Characters in any one JSON string or object key. Default 8,192 (room for a small
        ``data:`` image such as the ones in the W3C employment vector).
    max_values:
        Total number of JSON values (objects, arrays, strings, numbers, booleans).
        Default 4,096.
    max_blank_nodes:
        Blank nodes in the RDF dataset of a document. Default 32.
    max_quads:
        Quads in the RDF dataset of a document. Default 2,000.
    max_proofs:
        Proofs in one proof set. Default 4.
    max_canonicalization_work:
        Budget of RDFC-1.0 steps (calls of *Hash N-Degree Quads* plus permutations
        examined). RDFC-1.0 section 4.4 asks implementations to bound this work; the
        benign documents we know need at most a few dozen steps, a clique of 8 blank nodes
        needs millions. Default 2,000, i.e. at most about 10 ms of work.
    """

    max_bytes: int = 64 * 1024
    max_depth: int = 16
    max_string_length: int = 8192
    max_values: int = 4096
    max_blank_nodes: int = 32
    max_quads: int = 2000
    max_proofs: int = 4
    max_canonicalization_work: int = 2000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LocalProtocolError(f"Limits.{f.name} must be a positive integer, "
                                         f"got {value!r}")


DEFAULT_LIMITS = Limits()
