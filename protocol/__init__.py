"""confiance.protocol: the sans-IO core of Confiance.

Signed trust assertions (W3C VC 2.0 with Data Integrity EdDSA proofs), keys and did:key,
offline JSON-LD processing under hard limits, conversion rules, and, in subpackages, the
trust engine (:mod:`confiance.protocol.trust`) and the gossip engine
(:mod:`confiance.protocol.gossip`). No sockets, no event loop, no database, no clock: time
and randomness are parameters, so every output can be reproduced.

The names below are the public API; the modules they come from document each one.
"""

from .assertions import SignedAssertion, issue, verify_assertion
from .canonical import canonicalize_jcs, canonicalize_rdfc, parse_json
from .contexts import CONFIANCE_V1_URL, DocumentLoader, default_loader
from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all
from .ids import ID_PREFIX, assertion_id, id_from_digest, parse_assertion_id
from .keys import KeyPair, ResolvedKey, resolve_did_key
from .limits import DEFAULT_LIMITS, Limits
from .model import *  # noqa: F403
from .model import __all__ as _model_all
from .rules import *  # noqa: F403
from .rules import __all__ as _rules_all
from .schemas import SCHEMA_KINDS, validate_document
from .signing import DEFAULT_SUITE, SUITES, Check, KeyResolver, VerificationReport, sign, verify

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
