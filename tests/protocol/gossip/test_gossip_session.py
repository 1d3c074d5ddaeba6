"""The session state machine: two engines wired in memory through every transition.

Every (state, event) pair of the table is exercised on both ends; every pair absent from
the table is refused on both ends (LocalProtocolError for the sender, GossipError for the
receiver) and changes nothing.
"""

from __future__ import annotations

import itertools

import pytest

from confiance.protocol.errors import GossipError, LocalProtocolError
from confiance.protocol.gossip import (
    TRANSITIONS,
    Ack,
    Close,
    Error,
    EventType,
    Filters,
    GossipLimits,
    Graft,
    Hello,
    Ihave,
    Message,
    MessageType,
    Prune,
    Push,
    Reconcile,
    Reconciliation,
    Role,
    Session,
    SortedIdIndex,
    State,
    Want,
    Welcome,
    encode_message,
    respond,
)

INI, RES = Role.INITIATOR, Role.RESPONDER
ID1, ID2 = b"\x01" * 32, b"\x02" * 32

# One valid message per type (valid also for the pairing rules in the paths below).
SAMPLE: dict[MessageType, Message] = {
    MessageType.HELLO: Hello(node="https://a.example", filters=Filters(kinds=("Rating",))),
    MessageType.WELCOME: Welcome(node="https://b.example", session="tok"),
    MessageType.RECONCILE: Reconcile(ranges=()),
    MessageType.IHAVE: Ihave(ids=(ID1, ID2)),
    MessageType.WANT: Want(ids=(ID1,)),
    MessageType.GRAFT: Graft(ids=(ID1,)),
    MessageType.PUSH: Push(assertions=({"id": "urn:x"},)),
    MessageType.PRUNE: Prune(),
    MessageType.ACK: Ack(prune=("origin",)),
    MessageType.ERROR: Error(code="gossip-protocol-error", detail="no"),
    MessageType.CLOSE: Close(reason="bye"),
}

READY_PATH = [(INI, MessageType.HELLO), (RES, MessageType.WELCOME)]
PATHS: dict[State, list[tuple[Role, MessageType]]] = {
    State.IDLE: [],
    State.AWAIT_WELCOME: [(INI, MessageType.HELLO)],
    State.READY: READY_PATH,
    State.AWAIT_RECONCILE: [*READY_PATH, (INI, MessageType.RECONCILE)],
    State.AWAIT_WANT: [*READY_PATH, (INI, MessageType.IHAVE)],
    State.AWAIT_PUSH: [*READY_PATH, (INI, MessageType.WANT)],
    State.AWAIT_ACK: [*READY_PATH, (INI, MessageType.PUSH)],
    State.CLOSED: [*READY_PATH, (INI, MessageType.CLOSE)],
}


def pair() -> dict[Role, Session]:
    return {INI: Session(INI), RES: Session(RES)}


def exchange(ends: dict[Role, Session], sender: Role, message: Message) -> Message:
    """Send from one end, receive at the other; both must agree on the new state."""
    received = ends[sender.other].receive(ends[sender].send(message))
    assert received == message
    assert ends[INI].state is ends[RES].state
    return received


def at(state: State) -> dict[Role, Session]:
    ends = pair()
    for sender, mtype in PATHS[state]:
        exchange(ends, sender, SAMPLE[mtype])
    assert ends[INI].state is ends[RES].state is state
    return ends


def test_paths_cover_every_state() -> None:
    assert set(PATHS) == set(State)


@pytest.mark.parametrize(("key", "target"), sorted(
    TRANSITIONS.items(), key=lambda kv: (kv[0][0].value, kv[0][1].sender.value,
                                         kv[0][1].type.value)),
    ids=lambda v: v.value if isinstance(v, State) else f"{v[0].value}+{v[1].type.value}"
    if isinstance(v, tuple) else "")
def test_every_transition_on_both_ends(key: tuple[State, EventType], target: State) -> None:
    state, event = key
    ends = at(state)
    exchange(ends, event.sender, SAMPLE[event.type])
    assert ends[INI].state is ends[RES].state is target


ILLEGAL = [(state, sender, mtype)
           for state, sender, mtype in itertools.product(State, Role, MessageType)
           if (state, EventType(sender, mtype)) not in TRANSITIONS]


def test_illegal_moves_are_most_of_the_grid() -> None:
    assert len(ILLEGAL) + len(TRANSITIONS) == len(State) * len(Role) * len(MessageType)


@pytest.mark.parametrize(("state", "sender", "mtype"), ILLEGAL,
                         ids=lambda v: v.value if hasattr(v, "value") else str(v))
def test_every_illegal_move_is_refused_and_changes_nothing(
        state: State, sender: Role, mtype: MessageType) -> None:
    ends = at(state)
    message = SAMPLE[mtype]
    with pytest.raises(LocalProtocolError) as mine:
        ends[sender].send(message)
    assert not isinstance(mine.value, GossipError)
    with pytest.raises(GossipError) as theirs:
        ends[sender.other].receive(encode_message(message))
    assert theirs.value.detail["state"] == state.value
    with pytest.raises(GossipError):
        ends[sender.other].receive_message(message)
    assert ends[INI].state is ends[RES].state is state
    assert ends[sender].messages_sent == ends[sender.other].messages_received


def test_garbage_leaves_the_state_alone_and_the_responder_can_refuse() -> None:
    ends = at(State.READY)
    for data in (b"{", b'{"type":"welcome"}', b"\x00" * 10, b'{"type":"hello","node":"x",'
                 b'"version":1}'):
        with pytest.raises(GossipError) as info:
            ends[RES].receive(data)
        assert ends[RES].state is State.READY
    refusal = Error(code=info.value.slug, detail=info.value.message)
    exchange(ends, RES, refusal)
    assert ends[INI].state is State.CLOSED
    with pytest.raises(LocalProtocolError):
        ends[INI].send(SAMPLE[MessageType.RECONCILE])
    with pytest.raises(GossipError):
        ends[RES].receive_message("not a message")  # type: ignore[arg-type]


def test_want_must_answer_the_announcement() -> None:
    ends = at(State.AWAIT_WANT)
    stranger = Want(ids=(b"\x07" * 32,))
    with pytest.raises(LocalProtocolError):
        ends[RES].send(stranger)
    with pytest.raises(GossipError):
        ends[INI].receive(encode_message(stranger))
    assert ends[INI].state is ends[RES].state is State.AWAIT_WANT
    exchange(ends, RES, Want(ids=()))
    assert ends[INI].state is State.READY


def test_push_may_not_exceed_the_request() -> None:
    ends = at(State.READY)
    exchange(ends, INI, Graft(ids=(ID1,)))
    too_many = Push(assertions=({"a": 1}, {"b": 2}))
    with pytest.raises(LocalProtocolError):
        ends[RES].send(too_many)
    with pytest.raises(GossipError):
        ends[INI].receive(encode_message(too_many))
    exchange(ends, RES, Push(assertions=()))
    assert ends[INI].state is State.READY


def test_welcome_may_not_raise_the_version() -> None:
    ends = pair()
    exchange(ends, INI, Hello(node="a", version=1))
    with pytest.raises(LocalProtocolError):
        ends[RES].send(Welcome(node="b", session="t", version=2))
    with pytest.raises(GossipError):
        ends[INI].receive(encode_message(Welcome(node="b", session="t", version=2)))
    exchange(ends, RES, Welcome(node="b", session="t", version=1))


def test_handshake_records_peer_session_and_filters() -> None:
    ends = at(State.READY)
    assert ends[INI].peer_node == "https://b.example" and ends[RES].peer_node == "https://a.example"
    assert ends[INI].session_id == ends[RES].session_id == "tok"
    assert ends[INI].filters == ends[RES].filters == Filters(kinds=("Rating",))
    assert ends[INI].version == ends[RES].version == 1
    assert ends[INI].allowed() == {MessageType.RECONCILE, MessageType.IHAVE, MessageType.WANT,
                                 MessageType.GRAFT, MessageType.PUSH, MessageType.PRUNE,
                                 MessageType.CLOSE}
    assert ends[RES].allowed() == {MessageType.ERROR}


def test_resumed_responder_continues_a_session() -> None:
    initiator = at(State.READY)[INI]
    responder = Session.resume(RES, peer_node="https://a.example", session_id="tok")
    responder.receive(initiator.send(Ihave(ids=(ID1,))))
    initiator.receive(responder.send(Want(ids=(ID1,))))
    assert initiator.state is responder.state is State.READY


def test_oversize_message_is_refused_before_sending() -> None:
    ends = {INI: Session(INI, limits=GossipLimits(max_message_bytes=64)), RES: Session(RES)}
    with pytest.raises(LocalProtocolError):
        ends[INI].send(Hello(node="x" * 100))
    assert ends[INI].state is State.IDLE and ends[INI].bytes_sent == 0
    with pytest.raises(LocalProtocolError):
        Session("initiator")  # type: ignore[arg-type]


def test_a_whole_conversation() -> None:
    ends = at(State.READY)
    mine = SortedIdIndex(bytes([i]) * 32 for i in range(1, 120))
    theirs = SortedIdIndex(bytes([i]) * 32 for i in range(3, 125))
    run = Reconciliation(mine)
    message: Reconcile | None = run.start()
    while message is not None:
        request = exchange(ends, INI, message)
        assert isinstance(request, Reconcile)
        answer = exchange(ends, RES, respond(theirs, request))
        assert isinstance(answer, Reconcile)
        message = run.step(answer)
    assert {x[0] for x in run.have} == {1, 2}
    assert {x[0] for x in run.need} == {120, 121, 122, 123, 124}
    exchange(ends, INI, Ihave(ids=tuple(sorted(run.have))))
    exchange(ends, RES, Want(ids=tuple(sorted(run.have))))
    exchange(ends, INI, Push(assertions=({"n": 1}, {"n": 2})))
    exchange(ends, RES, Ack(prune=("",)))
    exchange(ends, INI, Want(ids=tuple(sorted(run.need))))
    exchange(ends, RES, Push(assertions=tuple({"n": x[0]} for x in sorted(run.need))))
    exchange(ends, INI, Prune())
    exchange(ends, RES, Ack())
    exchange(ends, INI, Close())
    assert ends[INI].state is State.CLOSED
    assert ends[INI].bytes_sent == ends[RES].bytes_received > 0
    assert ends[RES].bytes_sent == ends[INI].bytes_received > 0
