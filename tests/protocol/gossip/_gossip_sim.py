"""A round-based simulated network of Plumtree nodes, for tests (no sockets, no clock).

Each round delivers every message sent in the previous round, so "rounds" are hops. The
messages mirror the HTTP exchanges of node/peers/: ``push`` (payload, answered by an ack
that may carry prune), ``ihave`` (answered by want), ``graft`` (answered by push), and
``prune``. Payload copies are counted to give the duplication factor.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx

from confiance.protocol.gossip import Plumtree, PlumtreeConfig


@dataclass
class SimNode:
    name: str
    tree: Plumtree
    store: set[bytes] = field(default_factory=set)
    payloads_received: int = 0
    alive: bool = True


@dataclass
class Network:
    nodes: dict[str, SimNode]
    flat: bool = False  # flat flooding instead of Plumtree (the baseline)
    now: int = 0
    shared_tree: bool = False  # one tree for every origin (root ""), to compare
    outbox: list[tuple[str, str, str, tuple[bytes, ...], tuple[str, ...]]] = field(
        default_factory=list)
    first_seen: dict[bytes, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    injected_at: dict[bytes, int] = field(default_factory=dict)
    roots: dict[bytes, str] = field(default_factory=dict)

    @classmethod
    def random(cls, n: int, degree: int, seed: int, *, flat: bool = False,
               shared_tree: bool = False, config: PlumtreeConfig | None = None) -> Network:
        graph = nx.random_regular_graph(degree, n, seed=seed)
        assert nx.is_connected(graph)
        cfg = config or PlumtreeConfig(graft_timeout=3, retry_timeout=2)
        nodes = {f"n{v}": SimNode(f"n{v}", Plumtree((f"n{u}" for u in graph[v]), cfg))
                 for v in graph}
        return cls(nodes=nodes, flat=flat, shared_tree=shared_tree)

    def send(self, src: str, dst: str, kind: str, ids: tuple[bytes, ...],
             roots: tuple[str, ...] = ()) -> None:
        self.outbox.append((src, dst, kind, ids, roots))

    def inject(self, at: str, msg_id: bytes) -> None:
        node = self.nodes[at]
        node.store.add(msg_id)
        self.first_seen[msg_id][at] = self.now
        self.injected_at[msg_id] = self.now
        root = "" if self.shared_tree else at
        self.roots[msg_id] = root
        if self.flat:
            for peer in sorted(node.tree.peers):
                self.send(at, peer, "push", (msg_id,), (root,))
            return
        fwd = node.tree.broadcast(msg_id, root)
        for peer in fwd.push_to:
            self.send(at, peer, "push", (msg_id,), (root,))
        for peer in fwd.announce_to:
            self.send(at, peer, "ihave", (msg_id,), (root,))

    def _deliver(self, src: str, dst: str, kind: str, ids: tuple[bytes, ...],
                 roots: tuple[str, ...]) -> None:
        node = self.nodes[dst]
        if not node.alive or not self.nodes[src].alive:
            return
        if kind == "push":
            for msg_id, root in zip(ids, roots, strict=True):
                node.payloads_received += 1
                first = msg_id not in node.store
                if first:
                    node.store.add(msg_id)
                    self.first_seen[msg_id][dst] = self.now
                if self.flat:
                    if first:
                        for peer in sorted(node.tree.peers - {src}):
                            self.send(dst, peer, "push", (msg_id,), (root,))
                    continue
                d = node.tree.on_push(msg_id, src, root=root, first=first, now=self.now)
                if d.prune:  # over HTTP: the ack of the push names the root
                    self.send(dst, src, "prune", (), (root,))
                for peer in d.forward.push_to:
                    self.send(dst, peer, "push", (msg_id,), (root,))
                for peer in d.forward.announce_to:
                    self.send(dst, peer, "ihave", (msg_id,), (root,))
        elif kind == "ihave":
            unknown = [(x, r) for x, r in zip(ids, roots, strict=True) if x not in node.store]
            want = node.tree.on_ihave([x for x, _ in unknown], src, now=self.now,
                                      roots=[r for _, r in unknown])
            if want:
                self.send(dst, src, "want", want)
        elif kind in ("graft", "want"):
            if kind == "graft":
                node.tree.on_graft(src, set(roots))
            held = tuple(x for x in ids if x in node.store)
            if held:
                self.send(dst, src, "push", held, tuple(self.roots[x] for x in held))
        elif kind == "prune":
            node.tree.on_prune(src, roots)

    def step(self) -> None:
        self.now += 1
        batch, self.outbox = self.outbox, []
        for message in batch:
            self._deliver(*message)
        if not self.flat:
            for node in self.nodes.values():
                if node.alive:
                    for graft in node.tree.due(self.now):
                        self.send(node.name, graft.peer, "graft", graft.ids, graft.roots)

    def run_until_quiet(self, limit: int = 200) -> None:
        for _ in range(limit):
            if not self.outbox and all(n.tree.next_deadline() is None
                                       for n in self.nodes.values() if n.alive):
                return
            self.step()
        raise AssertionError("the network did not settle")

    def live(self) -> list[SimNode]:
        return [n for n in self.nodes.values() if n.alive]

    def duplication_factor(self, messages: int) -> float:
        live = self.live()
        received = sum(n.payloads_received for n in live)
        return received / (messages * (len(live) - 1))

    def rounds_to_all(self, msg_id: bytes) -> int:
        seen = self.first_seen[msg_id]
        return max(seen[n.name] for n in self.live()) - self.injected_at[msg_id]


def random_ids(rng: random.Random, n: int) -> list[bytes]:
    return [rng.randbytes(32) for _ in range(n)]
