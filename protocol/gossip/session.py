"""The gossip peer-session state machine, as an explicit transition table (h11 style).

One session is one conversation between an *initiator* (the node that recognises the peer
and makes requests, over HTTP the client) and a *responder* (the server). Both ends keep
the same conversation state: the initiator applies ``(state, (INITIATOR, type))`` when it
sends a message and the responder applies the same key when it receives it, so after
every exchange ``initiator.state == responder.state`` (the in-memory tests check this).

The conversation alternates strictly: a request from the initiator, one answer from the
responder. The whole protocol is the table :data:`TRANSITIONS`; nothing else moves the
state. A move absent from the table raises and leaves the state unchanged:

- :class:`~confiance.protocol.errors.LocalProtocolError` when *we* try to send it (a bug);
- :class:`~confiance.protocol.errors.GossipError` when *the peer* sent it (answer it with
  an ``error`` message carrying the error's ``slug``, then forget the session).

Besides the table, a few answers are checked against the request they answer: a ``want``
names only ids the ``ihave`` announced, a ``push`` answering ``want``/``graft`` carries no
more documents than were requested, ``welcome`` never raises the version of ``hello``.

``specs/gossip.md`` holds the table rendered by :func:`transition_table_markdown`
(``python -m confiance.protocol.gossip`` prints it; a test checks they agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Final, NamedTuple

from ..errors import GossipError, LocalProtocolError
from .messages import (
    DEFAULT_LIMITS,
    PROTOCOL_VERSION,
    Filters,
    GossipLimits,
    Graft,
    Hello,
    Ihave,
    Message,
    MessageType,
    Push,
    Want,
    Welcome,
    encode_message,
    parse_message,
)

__all__ = [
    "TRANSITIONS",
    "EventType",
    "Role",
    "Session",
    "State",
    "transition_table_markdown",
]


class Role(Enum):
    """Which end of the conversation a session object represents."""

    INITIATOR = "initiator"
    RESPONDER = "responder"

    @property
    def other(self) -> Role:
        return Role.RESPONDER if self is Role.INITIATOR else Role.INITIATOR


class State(Enum):
    """Conversation states. ``AWAIT_*``: a request is out and its answer is due."""

    IDLE = "IDLE"
    AWAIT_WELCOME = "AWAIT_WELCOME"
    READY = "READY"
    AWAIT_RECONCILE = "AWAIT_RECONCILE"
    AWAIT_WANT = "AWAIT_WANT"
    AWAIT_PUSH = "AWAIT_PUSH"
    AWAIT_ACK = "AWAIT_ACK"
    CLOSED = "CLOSED"


class EventType(NamedTuple):
    """An event is "this side sent a message of this type"."""

    sender: Role
    type: MessageType


_I: Final = Role.INITIATOR
_R: Final = Role.RESPONDER
_M = MessageType
_S = State

_OPEN_STATES: Final = tuple(s for s in State if s is not State.CLOSED)

TRANSITIONS: Final[Mapping[tuple[State, EventType], State]] = MappingProxyType({
    # handshake
    (_S.IDLE, EventType(_I, _M.HELLO)): _S.AWAIT_WELCOME,
    (_S.AWAIT_WELCOME, EventType(_R, _M.WELCOME)): _S.READY,
    # anti-entropy: range-based reconciliation, as many rounds as needed
    (_S.READY, EventType(_I, _M.RECONCILE)): _S.AWAIT_RECONCILE,
    (_S.AWAIT_RECONCILE, EventType(_R, _M.RECONCILE)): _S.READY,
    # lazy push: announce ids, the peer answers with those it wants
    (_S.READY, EventType(_I, _M.IHAVE)): _S.AWAIT_WANT,
    (_S.AWAIT_WANT, EventType(_R, _M.WANT)): _S.READY,
    # pull (want) and Plumtree graft: the peer answers with the documents
    (_S.READY, EventType(_I, _M.WANT)): _S.AWAIT_PUSH,
    (_S.READY, EventType(_I, _M.GRAFT)): _S.AWAIT_PUSH,
    (_S.AWAIT_PUSH, EventType(_R, _M.PUSH)): _S.READY,
    # eager push and Plumtree prune: the peer acknowledges (ack may ask us to prune)
    (_S.READY, EventType(_I, _M.PUSH)): _S.AWAIT_ACK,
    (_S.READY, EventType(_I, _M.PRUNE)): _S.AWAIT_ACK,
    (_S.AWAIT_ACK, EventType(_R, _M.ACK)): _S.READY,
    # endings: the initiator may close and the responder may refuse at any open state
    **{(s, EventType(_I, _M.CLOSE)): _S.CLOSED for s in _OPEN_STATES},
    **{(s, EventType(_R, _M.ERROR)): _S.CLOSED for s in _OPEN_STATES},
})


class Session:
    """One end of a gossip conversation: validates every move against :data:`TRANSITIONS`.

    Parameters
    ----------
    role:
        Which end this object is.
    limits:
        Applied when parsing what the peer sends and to the size of what we send.

    Examples
    --------
    >>> from confiance.protocol.gossip import Hello, Welcome
    >>> a, b = Session(Role.INITIATOR), Session(Role.RESPONDER)
    >>> _ = b.receive(a.send(Hello(node="did:key:z6MkA")))
    >>> _ = a.receive(b.send(Welcome(node="did:key:z6MkB", session="s1")))
    >>> a.state, b.state, a.peer_node
    (<State.READY: 'READY'>, <State.READY: 'READY'>, 'did:key:z6MkB')
    """

    def __init__(self, role: Role, *, limits: GossipLimits = DEFAULT_LIMITS) -> None:
        if not isinstance(role, Role):
            raise LocalProtocolError("role must be a Role")
        self.role: Final = role
        self.limits: Final = limits
        self._state = State.IDLE
        self.peer_node: str | None = None
        self.session_id: str | None = None
        self.version: int | None = None
        self.filters = Filters()
        self.bytes_sent = 0
        self.bytes_received = 0
        self.messages_sent = 0
        self.messages_received = 0
        self._hello_version = PROTOCOL_VERSION
        self._announced: frozenset[bytes] = frozenset()
        self._requested = 0

    @classmethod
    def resume(cls, role: Role, *, peer_node: str, session_id: str,
               version: int = PROTOCOL_VERSION, filters: Filters | None = None,
               limits: GossipLimits = DEFAULT_LIMITS) -> Session:
        """A session already past its handshake (a responder re-created per HTTP request)."""
        session = cls(role, limits=limits)
        session._state = State.READY
        session.peer_node = peer_node
        session.session_id = session_id
        session.version = version
        session.filters = filters or Filters()
        return session

    @property
    def state(self) -> State:
        return self._state

    def allowed(self, sender: Role | None = None) -> frozenset[MessageType]:
        """Message types ``sender`` (default: this end) may send in the current state."""
        who = self.role if sender is None else sender
        return frozenset(ev.type for (state, ev) in TRANSITIONS
                         if state is self._state and ev.sender is who)

    def send(self, message: Message) -> bytes:
        """Validate and record that we send ``message``; return its bytes for the wire.

        Raises
        ------
        LocalProtocolError
            The move is not in the table, breaks a pairing rule, or the encoded message
            exceeds ``limits.max_message_bytes``. The state is unchanged.
        """
        data = encode_message(message)
        if len(data) > self.limits.max_message_bytes:
            raise LocalProtocolError(
                f"{message.TYPE} of {len(data)} bytes exceeds max_message_bytes "
                f"({self.limits.max_message_bytes}): split it", size=len(data))
        self._apply(message, self.role, local=True)
        self.bytes_sent += len(data)
        self.messages_sent += 1
        return data

    def receive(self, data: bytes | str) -> Message:
        """Parse bytes from the peer, validate the move, record it, return the message.

        Raises
        ------
        GossipError
            Garbage, a limit exceeded, or a move the table does not allow. The state is
            unchanged; answer with ``Error(code=err.slug, ...)`` (responder) or close.
        """
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        message = parse_message(raw, self.limits)
        self._apply(message, self.role.other, local=False)
        self.bytes_received += len(raw)
        self.messages_received += 1
        return message

    def receive_message(self, message: Message) -> Message:
        """Like :meth:`receive` for a message already parsed (in-memory transports)."""
        if not isinstance(message, Message):
            raise GossipError("not a gossip message")
        self._apply(message, self.role.other, local=False)
        self.messages_received += 1
        return message

    # ------------------------------------------------------------------ internals

    def _apply(self, message: Message, sender: Role, *, local: bool) -> None:
        error = LocalProtocolError if local else GossipError
        event = EventType(sender, message.TYPE)
        new_state = TRANSITIONS.get((self._state, event))
        if new_state is None:
            raise error(f"{sender.value} may not send {message.TYPE} in state "
                        f"{self._state.value}", state=self._state.value,
                        message_type=str(message.TYPE))
        self._check_pairing(message, error)
        # from here on nothing raises: record the move
        if isinstance(message, Hello):
            self._hello_version = message.version
            self.filters = message.filters
            if not local:
                self.peer_node = message.node
        elif isinstance(message, Welcome):
            self.version = message.version
            self.session_id = message.session
            if not local:
                self.peer_node = message.node
        elif isinstance(message, Ihave):
            self._announced = frozenset(message.ids)
        elif isinstance(message, Want | Graft) and sender is Role.INITIATOR:
            self._requested = len(message.ids)
        self._state = new_state

    def _check_pairing(self, message: Message,
                       error: type[LocalProtocolError] | type[GossipError]) -> None:
        if isinstance(message, Welcome) and message.version > self._hello_version:
            raise error(f"welcome version {message.version} is above the hello's "
                        f"{self._hello_version}")
        if self._state is State.AWAIT_WANT and isinstance(message, Want) and not (
            set(message.ids) <= self._announced
        ):
            raise error("want names ids the ihave did not announce")
        if (self._state is State.AWAIT_PUSH and isinstance(message, Push)
                and len(message.assertions) > self._requested):
            raise error(f"push answers a request for {self._requested} documents with "
                        f"{len(message.assertions)}")


def transition_table_markdown() -> str:
    """The transition table as a Markdown table (the one in ``specs/gossip.md``)."""
    order = {state: i for i, state in enumerate(State)}
    rows = sorted(TRANSITIONS.items(),
                  key=lambda kv: (order[kv[0][0]], kv[0][1].sender.value, kv[0][1].type.value))
    lines = ["| state | sender | message | next state |", "|---|---|---|---|"]
    lines += [f"| {state.value} | {ev.sender.value} | `{ev.type.value}` | {new.value} |"
              for (state, ev), new in rows]
    return "\n".join(lines) + "\n"
