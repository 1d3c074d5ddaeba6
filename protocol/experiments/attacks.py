"""Attacks on a trust graph: what the attacker adds, when, and who is who.

Each function takes the honest graph (its edges at time 0), the attack's parameters and a
seeded ``numpy.random.Generator``, and returns an :class:`Attack`: the graph with the
attacker's identities and edges (time-stamped: step 1, 2... so an experiment can watch the
scores move), the roles (honest, attackers, victims or beneficiaries), the attack edges
(honest -> attacker certificates, what the Sybil bounds count) and the referrals made.

==================  =========================================================================
kind                what the attacker does
==================  =========================================================================
``sybil``           ``sybils`` new identities that certify each other (``internal`` edges
                    each); ``attack_edges`` honest nodes, picked at random, certify one of
                    them (they were fooled): the region's only way in
``collusion``       ``size`` existing nodes rate each other at ``weight`` (a ring or a
                    clique) to inflate their own standing
``whitewashing``    a node cheats ``victims`` partners (they rate it ``-1`` at step 1), then
                    rejoins under a new identity that ``newcomer_ratings`` new partners rate
                    well (step 2); a genuinely new honest node gets as many good ratings
``on-off``          a new identity is rated well by ``partners`` honest nodes per step for
                    ``good_steps`` steps, then betrays: the next partners (and those of
                    ``betrayed`` earlier steps) rate it ``-1``
``bad-mouthing``    ``size`` compromised honest accounts rate a well-reputed victim ``-1``
``ballot-stuffing`` ``size`` compromised honest accounts rate a beneficiary with no standing
                    (a new identity) ``+1``
``false-referrals`` a trusted node refers ``referrals`` bad actors to an audience (an
                    evaluator); then ``raters`` of the audience's direct acquaintances rate
                    each referred party ``-1``. A second referrer refers as many good actors
                    (rated ``+1``): the control
==================  =========================================================================

References
----------
.. [1] J. R. Douceur, "The Sybil attack", IPTPS 2002.
.. [2] A. Jøsang, R. Ismail, C. Boyd, "A survey of trust and reputation systems for online
   service provision", Decision Support Systems 2007 (collusion, whitewashing, on-off,
   bad-mouthing, ballot-stuffing).
.. [3] K. Hoffman, D. Zage, C. Nita-Rotaru, "A survey of attack and defense techniques for
   reputation systems", ACM Computing Surveys 2009.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import MalformedDocument
from .graph import SignedGraph

__all__ = ["ATTACKS", "Attack", "Referral", "make_attack"]

IntArray = npt.NDArray[np.int64]
MAX_ATTACKERS = 1_000_000


@dataclass(frozen=True)
class Referral:
    """``referrer`` refers ``referred`` to ``audience`` at ``time`` (node indices)."""

    referrer: int
    referred: int
    audience: int
    time: float


@dataclass(frozen=True, eq=False)
class Attack:
    """The attacked graph and who is who (node indices into ``graph.nodes``)."""

    kind: str
    graph: SignedGraph
    honest: IntArray
    attackers: IntArray
    attack_edges: tuple[tuple[int, int], ...] = ()
    victims: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    referrals: tuple[Referral, ...] = ()
    steps: int = 1
    #: Named nodes an experiment measures (``identity``, ``new_identity``, ``control``...).
    roles: Mapping[str, int] = field(default_factory=dict)
    #: Node sets (``compromised``, ``good_referred``...).
    groups: Mapping[str, IntArray] = field(default_factory=dict)
    #: Nodes an evaluator must not be (to watch an attack from outside it).
    not_evaluators: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: The evaluators an attack needs (the audience of referrals), if any.
    evaluators: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _int(params: Mapping[str, Any], name: str, default: int, low: int = 0,
         high: int = MAX_ATTACKERS) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MalformedDocument(f"attack.{name} must be an integer in {low}..{high}, "
                                 f"got {value!r}")
    return value


def _weight(params: Mapping[str, Any], name: str, default: float) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not -1 <= float(value) <= 1:
        raise MalformedDocument(f"attack.{name} must be a weight in [-1, 1], got {value!r}")
    return float(value)


def _edges(pairs: list[tuple[int, int]], weight: float | list[float], time: float
           ) -> tuple[IntArray, IntArray, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    src = np.array([p[0] for p in pairs], dtype=np.int64)
    dst = np.array([p[1] for p in pairs], dtype=np.int64)
    w = np.broadcast_to(np.asarray(weight, dtype=np.float64), (len(pairs),)).copy()
    return src, dst, w, np.full(len(pairs), float(time))


def _merge(parts: list[tuple[IntArray, IntArray, npt.NDArray[np.float64],
                             npt.NDArray[np.float64]]]
           ) -> tuple[IntArray, IntArray, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    if not parts:
        z = np.zeros(0)
        return z.astype(np.int64), z.astype(np.int64), z, z
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]), np.concatenate([p[3] for p in parts]))


def _choose(rng: np.random.Generator, pool: IntArray, k: int, what: str) -> IntArray:
    if k > len(pool):
        raise MalformedDocument(f"attack: {what} needs {k} nodes, the graph offers "
                                 f"{len(pool)}")
    return np.sort(rng.choice(pool, size=k, replace=False)).astype(np.int64)


def _indegree_rank(graph: SignedGraph) -> IntArray:
    """Honest nodes by how well rated they are (sum of positive in-weights), best first."""
    score = np.bincount(graph.target, weights=np.clip(graph.weight, 0, None),
                        minlength=graph.n)
    return np.argsort(-score, kind="stable").astype(np.int64)


def sybil(graph: SignedGraph, params: Mapping[str, Any], rng: np.random.Generator) -> Attack:
    s = _int(params, "sybils", 100, low=1)
    k = _int(params, "attack_edges", 10, low=0)
    internal = _int(params, "internal", 5, low=0)
    w_attack = _weight(params, "weight", 1.0)
    honest = np.arange(graph.n, dtype=np.int64)
    ids = [f"sybil{i}" for i in range(s)]
    base = graph.n
    pairs: list[tuple[int, int]] = []
    for i in range(s):
        if s > 1:
            others = rng.choice(s - 1, size=min(internal, s - 1), replace=False)
            pairs += [(base + i, base + int(j + (j >= i))) for j in others]
    confused = rng.choice(honest, size=k, replace=k > len(honest)) if k \
        else np.zeros(0, np.int64)
    entry = rng.integers(0, s, size=k)
    attack = [(int(h), base + int(e)) for h, e in zip(confused, entry, strict=True)]
    attack = list(dict.fromkeys(attack))
    src, dst, w, t = _merge([_edges(pairs, 1.0, 1), _edges(attack, w_attack, 1)])
    g = graph.with_edges(ids, src, dst, w, t, attack="sybil")
    return Attack(kind="sybil", graph=g, honest=honest,
                  attackers=np.arange(base, base + s, dtype=np.int64),
                  attack_edges=tuple(attack), steps=1,
                  groups={"confused": np.unique(confused).astype(np.int64)})


def collusion(graph: SignedGraph, params: Mapping[str, Any], rng: np.random.Generator
              ) -> Attack:
    size = _int(params, "size", 10, low=2)
    shape = params.get("shape", "clique")
    if shape not in ("clique", "ring"):
        raise MalformedDocument("attack.shape must be clique or ring")
    w = _weight(params, "weight", 1.0)
    ranked = _indegree_rank(graph)
    pool = ranked[len(ranked) // 2:]  # colluders come from the less reputed half
    members = _choose(rng, pool, size, "a collusion ring")
    if shape == "ring":
        pairs = [(int(members[i]), int(members[(i + 1) % size])) for i in range(size)]
    else:
        pairs = [(int(a), int(b)) for a in members for b in members if a != b]
    src, dst, ww, t = _edges(pairs, w, 1)
    g = graph.with_edges([], src, dst, ww, t, attack="collusion")
    honest = np.setdiff1d(np.arange(graph.n), members).astype(np.int64)
    return Attack(kind="collusion", graph=g, honest=honest, attackers=members, steps=1,
                  not_evaluators=members)


def whitewashing(graph: SignedGraph, params: Mapping[str, Any], rng: np.random.Generator
                 ) -> Attack:
    victims_n = _int(params, "victims", 5, low=1)
    new_n = _int(params, "newcomer_ratings", 3, low=1)
    w = _weight(params, "weight", 1.0)
    ranked = _indegree_rank(graph)
    identity = int(ranked[len(ranked) // 4])  # an established, fairly well-rated node
    others = np.setdiff1d(np.arange(graph.n), [identity]).astype(np.int64)
    victims = _choose(rng, others, victims_n, "whitewashing's victims")
    rest = np.setdiff1d(others, victims).astype(np.int64)
    partners = _choose(rng, rest, 2 * new_n, "whitewashing's new partners")
    new_id, control = graph.n, graph.n + 1
    parts = [_edges([(int(v), identity) for v in victims], -1.0, 1),
             _edges([(int(p), new_id) for p in partners[:new_n]], w, 2),
             _edges([(int(p), control) for p in partners[new_n:]], w, 2)]
    g = graph.with_edges([f"whitewashed{identity}", "newcomer"], *_merge(parts),
                         attack="whitewashing")
    return Attack(kind="whitewashing", graph=g, honest=np.arange(graph.n, dtype=np.int64),
                  attackers=np.array([identity, new_id], dtype=np.int64), victims=victims,
                  steps=2, roles={"identity": identity, "new_identity": new_id,
                                  "control": control},
                  not_evaluators=np.concatenate([victims, [identity]]).astype(np.int64))


def on_off(graph: SignedGraph, params: Mapping[str, Any], rng: np.random.Generator
           ) -> Attack:
    good = _int(params, "good_steps", 4, low=1, high=1000)
    per_step = _int(params, "partners", 3, low=1)
    bad_steps = _int(params, "bad_steps", 2, low=1, high=1000)
    betrayed_back = _int(params, "betrayed", 0, low=0, high=good)
    w = _weight(params, "weight", 1.0)
    total = good + bad_steps
    chosen = _choose(rng, np.arange(graph.n, dtype=np.int64), per_step * total,
                     "on-off's partners")
    attacker = graph.n
    parts = []
    for step in range(1, total + 1):
        partners = chosen[(step - 1) * per_step: step * per_step]
        score = w if step <= good else -1.0
        parts.append(_edges([(int(p), attacker) for p in partners], score, step))
    if betrayed_back:  # partners of the last good steps learn and rate again
        old = chosen[(good - betrayed_back) * per_step: good * per_step]
        parts.append(_edges([(int(p), attacker) for p in old], -1.0, good + 1))
    g = graph.with_edges(["betrayer"], *_merge(parts), attack="on-off")
    return Attack(kind="on-off", graph=g, honest=np.arange(graph.n, dtype=np.int64),
                  attackers=np.array([attacker], dtype=np.int64), steps=total,
                  roles={"identity": attacker, "betrayal_step": good + 1},
                  victims=chosen[good * per_step:])


def _stuffing(graph: SignedGraph, params: Mapping[str, Any], rng: np.random.Generator,
              kind: str) -> Attack:
    size = _int(params, "size", 5, low=1)
    ranked = _indegree_rank(graph)
    if kind == "bad-mouthing":
        target = int(ranked[0])  # the best-reputed node
        score = -1.0
        nodes: list[str] = []
    else:
        target = graph.n  # a new identity with no standing
        score = 1.0
        nodes = ["beneficiary"]
    pool = np.setdiff1d(np.arange(graph.n), [target]).astype(np.int64)
    compromised = _choose(rng, pool, size, kind)
    camouflage = _int(params, "camouflage", 0, low=0, high=10_000)
    pairs = [(int(c), target) for c in compromised]
    parts = [_edges(pairs, score, 1)]
    if camouflage:  # honest-looking ratings that agree with the consensus (its goodness)
        received = np.bincount(graph.target, weights=graph.weight, minlength=graph.n)
        count = np.bincount(graph.target, minlength=graph.n)
        mean = np.divide(received, count, out=np.zeros(graph.n), where=count > 0)
        for c in compromised:
            picks = rng.choice(graph.n, size=min(camouflage, graph.n), replace=False)
            picks = picks[(picks != c) & (picks != target)]
            parts.append(_edges([(int(c), int(p)) for p in picks],
                                [float(mean[p]) for p in picks], 1))
    g = graph.with_edges(nodes, *_merge(parts), attack=kind)
    honest = np.setdiff1d(np.arange(graph.n), compromised).astype(np.int64)
    return Attack(kind=kind, graph=g, honest=honest, attackers=compromised,
                  victims=np.array([target], dtype=np.int64), steps=1,
                  roles={"target": target}, not_evaluators=np.array([target], np.int64))


def bad_mouthing(graph: SignedGraph, params: Mapping[str, Any], rng: np.random.Generator
                 ) -> Attack:
    return _stuffing(graph, params, rng, "bad-mouthing")


def ballot_stuffing(graph: SignedGraph, params: Mapping[str, Any], rng: np.random.Generator
                    ) -> Attack:
    return _stuffing(graph, params, rng, "ballot-stuffing")


def false_referrals(graph: SignedGraph, params: Mapping[str, Any],
                    rng: np.random.Generator) -> Attack:
    count = _int(params, "referrals", 3, low=1, high=10_000)
    raters = _int(params, "raters", 2, low=1, high=1000)
    positive = graph.weight > 0
    out_pos = np.bincount(graph.source[positive], minlength=graph.n)
    able = np.flatnonzero(out_pos >= raters + 2)
    if not len(able):
        raise MalformedDocument(f"attack: no node has {raters + 2} trusted acquaintances "
                                 "to be the audience of referrals")
    audience = int(rng.choice(able))
    friends = graph.target[positive & (graph.source == audience)]
    friends = np.unique(friends[friends != audience])
    referrer, control = (int(x) for x in rng.choice(friends, size=2, replace=False))
    circle = np.setdiff1d(friends, [referrer, control]).astype(np.int64)
    base = graph.n
    bad = list(range(base, base + count))
    good = list(range(base + count, base + 2 * count))
    names = [f"referred-bad{i}" for i in range(count)] + \
        [f"referred-good{i}" for i in range(count)]
    referrals = tuple([Referral(referrer, x, audience, 1.0) for x in bad]
                      + [Referral(control, x, audience, 1.0) for x in good])
    parts = []
    for x in bad + good:
        who = rng.choice(circle, size=min(raters, len(circle)), replace=False)
        parts.append(_edges([(int(r), x) for r in who], -1.0 if x in bad else 1.0, 2))
    g = graph.with_edges(names, *_merge(parts), attack="false-referrals")
    return Attack(kind="false-referrals", graph=g, honest=np.arange(graph.n, dtype=np.int64),
                  attackers=np.array([referrer], dtype=np.int64), referrals=referrals,
                  steps=2, roles={"referrer": referrer, "control": control,
                                  "audience": audience},
                  groups={"bad": np.array(bad, np.int64), "good": np.array(good, np.int64)},
                  evaluators=np.array([audience], dtype=np.int64))


ATTACKS: Mapping[str, Callable[[SignedGraph, Mapping[str, Any], np.random.Generator],
                               Attack]] = {
    "sybil": sybil, "collusion": collusion, "whitewashing": whitewashing, "on-off": on_off,
    "bad-mouthing": bad_mouthing, "ballot-stuffing": ballot_stuffing,
    "false-referrals": false_referrals,
}


def make_attack(graph: SignedGraph, params: Mapping[str, Any], rng: np.random.Generator
                ) -> Attack:
    """The attack ``params["type"]`` (:data:`ATTACKS`) on ``graph``."""
    kind = params.get("type")
    fn = ATTACKS.get(kind) if isinstance(kind, str) else None
    if fn is None:
        raise MalformedDocument(f"unknown attack type {kind!r}: expected one of "
                                 f"{', '.join(ATTACKS)}")
    return fn(graph, params, rng)
