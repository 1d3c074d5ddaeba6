"""confiance.protocol.gossip: federation between recognised peers, sans-IO.

- :mod:`.messages`: the gossip messages (frozen, validated) and their strict JSON form;
- :mod:`.session`: the peer-session state machine, a transition table;
- :mod:`.auth`: the signed ``hello`` (who the initiator is) and its replay cache;
- :mod:`.reconcile`: range-based set reconciliation over content ids (negentropy idea);
- :mod:`.plumtree`: eager push along a tree, lazy id announcements elsewhere;
- :mod:`.scoring`: peer scores, throttling and dropping;
- :mod:`.backoff`: exponential backoff with jitter.

Nothing here does I/O or reads a clock: ``node/peers/`` drives it. See ``specs/gossip.md``.
"""

from .auth import *  # noqa: F403
from .auth import __all__ as _auth_all
from .backoff import *  # noqa: F403
from .backoff import __all__ as _backoff_all
from .messages import *  # noqa: F403
from .messages import __all__ as _messages_all
from .plumtree import *  # noqa: F403
from .plumtree import __all__ as _plumtree_all
from .reconcile import *  # noqa: F403
from .reconcile import __all__ as _reconcile_all
from .scoring import *  # noqa: F403
from .scoring import __all__ as _scoring_all
from .session import *  # noqa: F403
from .session import __all__ as _session_all

__all__ = [*_messages_all, *_session_all, *_reconcile_all, *_plumtree_all, *_scoring_all,
           *_backoff_all, *_auth_all]
