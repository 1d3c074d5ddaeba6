"""One repetition of an attack experiment: build, attack step by step, measure.

Step 0 is the honest graph; steps 1, 2... add the attack's edges and referrals of that
time to the same engine (incremental updates, as a node receives assertions; on graphs of
more than :data:`INCREMENTAL_MAX` edges each step's graph is read afresh instead), and every
algorithm is asked again from the same honest evaluators. What is measured, per algorithm
and step (means over the evaluators):

- ``auc``: ROC AUC of honest nodes against the attacker's identities (1: every honest node
  above every attacker; 0.5: no better than chance); a missing figure counts as
  :data:`~.scoring.FLOOR`;
- ``sybil``: ``mass`` (the attackers' total score: for ``ppr`` the probability a walk from
  the evaluator ends in the Sybil region) and ``mass_per_edge``; for ``advogato`` the
  Sybils ``admitted``, ``admitted_per_edge`` and the flow ``bound`` (sum of capacity - 1
  over the confused nodes) and whether every evaluator's admissions stayed within it;
- ``collusion``: the colluders' mean score; ``whitewashing``: the old identity's, the new
  identity's and an honest newcomer's; ``on-off``: the betrayer's; ``bad-mouthing`` and
  ``ballot-stuffing``: the target's, and (``fairness``) the attackers' fairness beside the
  honest raters'; ``false-referrals``: the referrer's score, raw figure and penalty at the
  audience, the control referrer's, and the penalty the rule predicts
  (``min(cap, rate x sum of bad)``).

Each role score is the mean over the evaluators that have a figure for it, with ``reach``,
the fraction that have one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..trust import Claim, TrustEngine, sybil_bound
from .attacks import Attack, make_attack
from .graph import SignedGraph, engine_for
from .metrics import roc_auc
from .scenario import Task, layers_of, policy_of
from .scoring import FLOOR, Scorer

__all__ = ["CONTEXT", "run_attack"]

CONTEXT = "default"
#: Up to this many edges an attack's steps are fed to one engine as updates; beyond, each
#: step's graph is read afresh as arrays (faster, and memory stays that of one engine).
INCREMENTAL_MAX = 200_000


def _claims(attack: Attack, step: int, policy_referral: float) -> list[Claim]:
    g = attack.graph
    out: list[Claim] = []
    for k in np.flatnonzero(g.time == step).tolist():
        out.append(Claim(f"{g.name}:{k + 1}", "Rating", g.nodes[int(g.source[k])],
                         g.nodes[int(g.target[k])], CONTEXT, float(step),
                         float(g.weight[k]), float(g.weight[k])))
    for i, ref in enumerate(attack.referrals):
        if ref.time == step:
            out.append(Claim(f"referral:{i + 1}", "Referral", g.nodes[ref.referrer],
                             g.nodes[ref.referred], CONTEXT, float(step), policy_referral,
                             audience=g.nodes[ref.audience]))
    return out


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _role(values: list[float | None]) -> dict[str, float | None]:
    have = [v for v in values if v is not None]
    return {"score": _mean(have), "reach": len(have) / len(values) if values else 0.0}


def _measure(attack: Attack, engine: TrustEngine, scorer: Scorer, algorithm: str,
             evaluators: list[str], step: int) -> dict[str, Any]:
    g = attack.graph
    names = g.nodes
    floor = FLOOR[algorithm]
    attackers = [names[i] for i in attack.attackers]
    honest_names = [names[i] for i in attack.honest]
    kind = attack.kind
    roles = {r: names[i] for r, i in attack.roles.items() if r != "betrayal_step"} \
        if kind in ("whitewashing", "on-off", "bad-mouthing", "ballot-stuffing") else {}
    aucs: list[float] = []
    mass: list[float] = []
    colluders: list[float] = []
    seen: dict[str, list[float | None]] = {r: [] for r in roles}
    for e, sc in zip(evaluators, scorer.scores(algorithm, evaluators), strict=True):
        honest = [sc.get(h, floor) for h in honest_names if h != e]
        bad = [sc.get(a, floor) for a in attackers if a != e]
        auc = roc_auc(honest, bad)
        if auc is not None:
            aucs.append(auc)
        if kind == "sybil" and algorithm in ("ppr", "eigentrust"):
            mass.append(sum(sc.get(a, 0.0) for a in attackers))
        if kind == "collusion":
            colluders.append(float(np.mean([sc.get(a, floor) for a in attackers])))
        for role, node in roles.items():
            seen[role].append(sc.get(node))
    out: dict[str, Any] = {"auc": _mean(aucs)}
    if kind == "sybil":
        k = max(len(attack.attack_edges), 1)
        if algorithm in ("ppr", "eigentrust"):
            out["mass"] = _mean(mass)
            out["mass_per_edge"] = out["mass"] / k if out["mass"] is not None else None
        if algorithm == "advogato" and step >= 1:
            admitted, bounds = [], []
            edges = [(names[h], names[a]) for h, a in attack.attack_edges]
            sybils = set(attackers)
            for e in evaluators:
                res = scorer.admitted[e]
                admitted.append(len(sybils & set(res.accepted)))
                bounds.append(sybil_bound(res, edges))
            out["admitted"] = _mean(admitted)
            out["admitted_per_edge"] = out["admitted"] / k
            out["bound"] = _mean(bounds)
            out["within_bound"] = all(a <= b for a, b in zip(admitted, bounds, strict=True))
            out["admitted_max"] = max(admitted)
    elif kind == "collusion":
        out["colluders"] = _mean(colluders)
    elif roles:
        for role, values in seen.items():
            out[role] = _role(values)
        if kind in ("bad-mouthing", "ballot-stuffing") and algorithm == "fairness" \
                and step >= 1:
            out.update(_fairness_of_raters(engine, evaluators[0], attack))
    elif kind == "false-referrals":
        audience = names[attack.roles["audience"]]
        for role in ("referrer", "control"):
            got = engine.trust(audience, names[attack.roles[role]], CONTEXT, algorithm,
                               explain=False, distrust=scorer.distrust,
                               penalty=scorer.penalty)
            expected = min(engine.policy.referral_penalty_cap,
                           engine.policy.referral_penalty
                           * sum(o.bad for o in got.penalty.referrals))
            out[role] = {"score": got.value, "raw": got.raw, "penalty": got.penalty.value,
                         "referrals": len(got.penalty.referrals),
                         "expected_penalty": expected}
    return out


def _fairness_of_raters(engine: TrustEngine, evaluator: str, attack: Attack
                        ) -> dict[str, float | None]:
    g = attack.graph
    target = g.nodes[attack.roles["target"]]

    def fairness(node: str) -> float | None:
        res = engine.trust(evaluator, node, CONTEXT, "fairness", explain=False)
        value = res.details.get("fairness_target")
        return float(value) if value is not None else None

    attackers = [fairness(g.nodes[i]) for i in attack.attackers]
    raters = {g.nodes[int(u)] for u, v in zip(g.source, g.target, strict=True)
              if g.nodes[int(v)] == target and int(u) not in set(attack.attackers.tolist())}
    honest = [fairness(r) for r in sorted(raters)]
    return {"attacker_fairness": _mean([x for x in attackers if x is not None]),
            "honest_rater_fairness": _mean([x for x in honest if x is not None])}


def _evaluators(attack: Attack, count: int, rng: np.random.Generator) -> list[str]:
    g = attack.graph
    if len(attack.evaluators):
        return [g.nodes[int(i)] for i in attack.evaluators]
    has_out = np.zeros(g.n, dtype=bool)
    has_out[g.source[g.time == 0]] = True
    pool = np.setdiff1d(attack.honest, np.concatenate([attack.attackers,
                                                       attack.not_evaluators]))
    pool = pool[has_out[pool]]
    if not len(pool):
        return []
    chosen = rng.choice(pool, size=min(count, len(pool)), replace=False)
    return [g.nodes[int(i)] for i in np.sort(chosen)]


def run_attack(task: Task, base: SignedGraph, rng: np.random.Generator) -> dict[str, Any]:
    """Attack ``base`` as ``task`` says and measure every step (module docstring)."""
    params: Mapping[str, Any] = task.params
    policy = policy_of(params)
    distrust, penalty = layers_of(params)
    ev = params.get("evaluate", {})
    algorithms = list(ev.get("algorithms", ["ppr"]))
    if base.m and base.time.any():  # a data set's own times: all of it is step 0
        base = SignedGraph(nodes=base.nodes, source=base.source, target=base.target,
                           weight=base.weight, time=np.zeros(base.m), name=base.name,
                           meta=base.meta)
    attack = make_attack(base, params["attack"], rng)
    evaluators = _evaluators(attack, int(ev.get("evaluators", 10)), rng)
    seeds: tuple[str, ...] = ()
    if "eigentrust" in algorithms:
        count = int(ev.get("eigentrust_seeds", 5))
        g0 = attack.graph.until(0)
        received = np.bincount(g0.target, weights=np.clip(g0.weight, 0, None),
                               minlength=g0.n)
        honest_rank = attack.honest[np.argsort(-received[attack.honest], kind="stable")]
        seeds = tuple(attack.graph.nodes[int(i)] for i in honest_rank[:count])
    engine = engine_for(attack.graph.until(0), policy, context=CONTEXT, seeds=seeds)
    level = float(ev.get("advogato_level", 0.0))
    scorer = Scorer(engine, CONTEXT, distrust=distrust, penalty=penalty, level=level)
    steps = []
    for step in range(attack.steps + 1):
        if step and attack.graph.m <= INCREMENTAL_MAX:  # as a node receives them
            engine.add_claims(_claims(attack, step, policy.referral_weight))
        elif step:  # a large graph: read afresh as arrays rather than one edge at a time
            del engine, scorer  # one engine in memory at a time
            engine = engine_for(attack.graph.until(step), policy, context=CONTEXT, seeds=seeds)
            referrals = [claim for earlier in range(1, step + 1)
                         for claim in _claims(attack, earlier, policy.referral_weight)
                         if claim.kind == "Referral"]
            if referrals:
                engine.add_claims(referrals)
            scorer = Scorer(engine, CONTEXT, distrust=distrust, penalty=penalty, level=level)
        measured = {alg: _measure(attack, engine, scorer, alg, evaluators, step)
                    for alg in algorithms}
        steps.append({"step": step, "algorithms": measured})
    return {"graph": {"name": base.name, "nodes": base.n, "edges": base.m},
            "attack": {"kind": attack.kind, "attackers": len(attack.attackers),
                       "attack_edges": len(attack.attack_edges),
                       "referrals": len(attack.referrals), "steps": attack.steps,
                       "roles": {k: (attack.graph.nodes[v] if k != "betrayal_step" else v)
                                 for k, v in attack.roles.items()}},
            "evaluators": len(evaluators), "eigentrust_seeds": list(seeds),
            "steps": steps}
