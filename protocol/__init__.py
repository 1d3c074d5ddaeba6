"""confiance.protocol: the sans-IO core (assertions, keys, proofs, rules, trust, gossip).

No sockets, no event loop, no database, no clock: time and randomness are parameters.
"""

from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all
from .model import *  # noqa: F403
from .model import __all__ as _model_all
from .rules import *  # noqa: F403
from .rules import __all__ as _rules_all

__all__ = [*_errors_all, *_model_all, *_rules_all]
