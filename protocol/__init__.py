"""confiance.protocol: the sans-IO core of Confiance.

Signed trust assertions (W3C VC 2.0 with Data Integrity EdDSA proofs), keys and did:key,
offline JSON-LD processing under hard limits, conversion rules, and, in subpackages, the
trust engine (:mod:`confiance.protocol.trust`) and the gossip engine
(:mod:`confiance.protocol.gossip`). No sockets, no event loop, no database, no clock: time
and randomness are parameters, so every output can be reproduced.

The names below are the public API; the modules they come from document each one.

Loading is lazy (PEP 562): the errors, the model and the rules load with the package, the
rest (JSON-LD processing, JSON Schema, signing: about a second of imports) when one of its
names is first used. ``confiance keygen`` or ``confiance --version`` then start in a tenth
of the time; ``from confiance.protocol import sign`` works as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all
from .model import *  # noqa: F403
from .model import __all__ as _model_all
from .rules import *  # noqa: F403
from .rules import __all__ as _rules_all

if TYPE_CHECKING:
    from .assertions import SignedAssertion, issue, verify_assertion
    from .canonical import canonicalize_jcs, canonicalize_rdfc, parse_json
    from .contexts import CONFIANCE_V1_URL, DocumentLoader, default_loader
    from .ids import ID_PREFIX, assertion_id, id_from_digest, parse_assertion_id
    from .keys import KeyPair, ResolvedKey, resolve_did_key
    from .limits import DEFAULT_LIMITS, Limits
    from .schemas import SCHEMA_KINDS, validate_document
    from .signing import (
        DEFAULT_SUITE,
        SUITES,
        Check,
        KeyResolver,
        VerificationReport,
        sign,
        verify,
    )

#: Public name -> the module that defines it, loaded on first use.
_LAZY = {
    "SignedAssertion": "assertions", "issue": "assertions", "verify_assertion": "assertions",
    "canonicalize_jcs": "canonical", "canonicalize_rdfc": "canonical", "parse_json": "canonical",
    "CONFIANCE_V1_URL": "contexts", "DocumentLoader": "contexts", "default_loader": "contexts",
    "ID_PREFIX": "ids", "assertion_id": "ids", "id_from_digest": "ids",
    "parse_assertion_id": "ids",
    "KeyPair": "keys", "ResolvedKey": "keys", "resolve_did_key": "keys",
    "DEFAULT_LIMITS": "limits", "Limits": "limits",
    "SCHEMA_KINDS": "schemas", "validate_document": "schemas",
    "DEFAULT_SUITE": "signing", "SUITES": "signing", "Check": "signing",
    "KeyResolver": "signing", "VerificationReport": "signing", "sign": "signing",
    "verify": "signing",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CONFIANCE_V1_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_SUITE",
    "ID_PREFIX",
    "SCHEMA_KINDS",
    "SUITES",
    "Check",
    "DocumentLoader",
    "KeyPair",
    "KeyResolver",
    "Limits",
    "ResolvedKey",
    "SignedAssertion",
    "VerificationReport",
    "assertion_id",
    "canonicalize_jcs",
    "canonicalize_rdfc",
    "default_loader",
    "id_from_digest",
    "issue",
    "parse_assertion_id",
    "parse_json",
    "resolve_did_key",
    "sign",
    "validate_document",
    "verify",
    "verify_assertion",
    *_errors_all,
    *_model_all,
    *_rules_all,
]
