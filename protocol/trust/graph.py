"""The contextual trust graph: one weighted networkx DiGraph per context, kept current.

Assertions arrive with their content id and a status (``valid``, ``revoked``,
``rejected-by-subject``, ``expired``, ``superseded``, ``not-yet-valid``); only valid ones put
a claim on an edge. The graph also applies what it sees itself, so a caller that only feeds
assertions gets the same answer as one that tracks statuses:

- a Revocation by the target's issuer revokes it; an Acceptance by the target's subject
  records the subject's decision (the latest one counts; a rejection hides the target);
- of the assertions sharing a *slot* (same issuer, kind, subject and context, plus the
  mark for a TrustMark, the audience for a Referral, the mark and source context for a
  Recognition) only the newest valid one counts, as in the node's store;
- :meth:`TrustGraph.refresh` applies the clock the caller passes: expiry and start of
  validity. The graph never reads a clock itself.

Referrals are also kept track of after they stop counting (revoked, expired, replaced,
rejected by their subject: :meth:`TrustGraph.referral_windows`), with the judgements a node
keeps of erased ones (:meth:`TrustGraph.keep`), for referral accountability
(``accountability.py``): withdrawing a referral does not buy back what it cost.

Updates are incremental: adding or removing a claim touches one edge and marks the issuer's
row *dirty*; compiled matrices (``matrix.py``) are rebuilt only when many rows are dirty,
and otherwise patched row by row at query time.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import networkx as nx

from ..errors import LocalProtocolError
from ..model import (
    Acceptance,
    Assertion,
    Recognition,
    Referral,
    Revocation,
    TrustMark,
)
from .arraygraph import ArrayAdjacency
from .conversion import (
    Claim,
    Reader,
    Resolution,
    WeightFunction,
    base_weight,
    claim_from_assertion,
    compile_readers,
    make_weight,
    resolve_claims,
)
from .policy import DEFAULT_POLICY, TrustPolicy
from .withdrawn import KeptJudgement, ReferralWindow

__all__ = ["STATUSES", "EvaluatorView", "TrustGraph"]

STATUSES = ("valid", "revoked", "rejected-by-subject", "expired", "superseded",
            "not-yet-valid")
_EXTERNAL = frozenset(STATUSES)
#: Revocations and Acceptances kept while their target has not arrived (oldest dropped).
MAX_WAITING = 100_000


@dataclass(eq=False)
class _Record:
    assertion: Assertion
    claim: Claim | None
    status: str
    slot: tuple[Any, ...] | None
    revoked: bool = False
    revoked_at: float | None = None  # the earliest revocation's validFrom (seconds)
    decision: tuple[float, str, bool] | None = None  # (time, acceptance id, accepted)
    active: bool = False

    def effective(self) -> str:
        if self.revoked:
            return "revoked"
        if self.decision is not None and not self.decision[2]:
            return "rejected-by-subject"
        return self.status


def _slot(assertion: Assertion) -> tuple[Any, ...] | None:
    if isinstance(assertion, Revocation | Acceptance):
        return None
    extra: tuple[Any, ...] = ()
    if isinstance(assertion, TrustMark):
        extra = (assertion.mark,)
    elif isinstance(assertion, Referral):
        extra = (assertion.audience,)
    elif isinstance(assertion, Recognition):
        extra = (assertion.mark, assertion.source_context)
    return (assertion.issuer, assertion.kind, assertion.about, assertion.context, *extra)


@dataclass
class _Context:
    version: int = 0
    edges: int = 0
    dirty: set[str] = field(default_factory=set)
    new_nodes: list[str] = field(default_factory=list)  # added since the compilation
    compiled: Any = None  # matrix.Compiled, kept untyped here to avoid an import cycle
    #: An edge list loaded as arrays (``edgearrays.py``): read through it until a change.
    arrays: ArrayAdjacency | None = None
    _graph: nx.DiGraph | None = None

    @property
    def graph(self) -> nx.DiGraph:
        """The networkx digraph (built from ``arrays`` on first use)."""
        if self._graph is None:
            self._graph = self.arrays.to_networkx() if self.arrays is not None \
                else nx.DiGraph()
        return self._graph

    def adjacency(self) -> Any:
        """What to read: the arrays while they are current, else the digraph."""
        return self.arrays if self.arrays is not None else self.graph

    def writable(self) -> nx.DiGraph:
        """The digraph, to change: the arrays no longer describe the context."""
        g = self.graph
        self.arrays = None
        return g


class TrustGraph:
    """Valid assertions as contextual weighted digraphs; see the module docstring.

    Parameters
    ----------
    policy:
        Weights of structural edges and the other figures of :class:`TrustPolicy`.
    """

    def __init__(self, policy: TrustPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self._records: dict[str, _Record] = {}
        self._contexts: dict[str, _Context] = {}
        self._slots: dict[tuple[Any, ...], set[str]] = {}
        self._recognitions: dict[tuple[str, str], dict[str, Claim]] = {}
        self._referrals: dict[tuple[str, str, str], dict[str, Claim]] = {}
        # every Referral held, whatever its status: (context, audience, referrer) -> ids
        self._referral_records: dict[tuple[str, str, str], set[str]] = {}
        # judgements kept of erased referrals: (context, audience, referrer) -> id -> judgement
        self._kept: dict[tuple[str, str, str], dict[str, KeptJudgement]] = {}
        self._kept_expiry: list[tuple[float, str]] = []
        #: The clock last applied by :meth:`refresh` (seconds), ``None`` before any.
        self.now: float | None = None
        self._imports: dict[tuple[str, str], dict[str, int]] = {}
        self._waiting: dict[str, list[tuple[str, str, Assertion]]] = {}
        self._expiry: list[tuple[float, str]] = []
        self._start: list[tuple[float, str]] = []
        self._bulk_edges = 0

    # ----------------------------------------------------------------- feeding
    def add(self, assertion_id: str, assertion: Assertion, status: str = "valid") -> bool:
        """Take one assertion with its content id and status; ``True`` if the graph changed.

        Adding an id again only updates its status. Revocations and Acceptances apply to
        their target (now, or when it arrives).
        """
        if status not in _EXTERNAL:
            raise LocalProtocolError(f"unknown status {status!r}; expected one of "
                                     f"{', '.join(sorted(_EXTERNAL))}")
        if assertion_id in self._records:
            return self.set_status(assertion_id, status)
        if isinstance(assertion, Revocation | Acceptance):
            changed = False
            if status == "valid":
                changed = self._apply_to_target(assertion_id, assertion)
            self._records[assertion_id] = _Record(assertion=assertion, claim=None,
                                                  status=status, slot=None)
            return changed
        claim = claim_from_assertion(assertion_id, assertion, self.policy)
        record = _Record(assertion=assertion, claim=claim, status=status,
                         slot=_slot(assertion))
        self._records[assertion_id] = record
        if claim is not None and claim.kind == "Referral":
            self._referral_records.setdefault(_referral_key(claim), set()).add(assertion_id)
        if assertion.valid_until is not None:
            heapq.heappush(self._expiry, (assertion.valid_until.timestamp(), assertion_id))
        if status == "not-yet-valid":
            heapq.heappush(self._start, (assertion.valid_from.timestamp(), assertion_id))
        for kind, other_id, other in self._waiting.pop(assertion_id, []):
            self._apply_decision(record, kind, other, other_id)
        if record.slot is not None:
            self._slots.setdefault(record.slot, set()).add(assertion_id)
            return self._refresh_slot(record.slot)
        return self._set_active(record, record.effective() == "valid")

    def add_all(self, items: Iterable[tuple[str, Assertion, str]]) -> int:
        """Add ``(id, assertion, status)`` triples; the number that changed the graph."""
        return sum(1 for i, a, s in items if self.add(i, a, s))

    def set_status(self, assertion_id: str, status: str) -> bool:
        """Change the status the caller knows (revoked, expired...); ``True`` if it mattered."""
        if status not in _EXTERNAL:
            raise LocalProtocolError(f"unknown status {status!r}")
        record = self._records.get(assertion_id)
        if record is None or record.status == status:
            return False
        record.status = status
        if status == "not-yet-valid":
            heapq.heappush(self._start, (record.assertion.valid_from.timestamp(), assertion_id))
        return self._reconsider(record)

    def remove(self, assertion_id: str) -> bool:
        """Forget an assertion entirely (erasure at its issuer's request)."""
        record = self._records.pop(assertion_id, None)
        if record is None:
            return False
        if record.claim is not None and record.claim.kind == "Referral":
            key = _referral_key(record.claim)
            held = self._referral_records.get(key, set())
            held.discard(assertion_id)
            if not held:
                self._referral_records.pop(key, None)
        changed = self._set_active(record, False)
        if record.slot is not None:
            ids = self._slots.get(record.slot, set())
            ids.discard(assertion_id)
            if not ids:
                self._slots.pop(record.slot, None)
            else:
                changed = self._refresh_slot(record.slot) or changed
        return changed

    def refresh(self, now: datetime) -> list[str]:
        """Apply the clock: expire what ended, start what began; the ids whose status changed."""
        ts = now.timestamp()
        self.now = ts
        changed: list[str] = []
        while self._kept_expiry and self._kept_expiry[0][0] <= ts:
            _, referral = heapq.heappop(self._kept_expiry)
            self._drop_kept(referral, before=ts)
        while self._expiry and self._expiry[0][0] <= ts:
            _, aid = heapq.heappop(self._expiry)
            record = self._records.get(aid)
            if record is not None and record.status in ("valid", "not-yet-valid"):
                record.status = "expired"
                self._reconsider(record)
                changed.append(aid)
        while self._start and self._start[0][0] <= ts:
            _, aid = heapq.heappop(self._start)
            record = self._records.get(aid)
            if record is not None and record.status == "not-yet-valid":
                record.status = "valid"
                self._reconsider(record)
                changed.append(aid)
        return changed

    def add_claims(self, claims: Iterable[Claim]) -> int:
        """Bulk path for external edge lists: link claims directly, without assertion records.

        Such claims cannot be revoked or re-statused by id; later claims on the same edge win
        by ``time``. Returns the number of claims linked (self-loops are skipped).
        """
        count = 0
        for claim in claims:
            if claim.issuer == claim.subject:
                continue
            if claim.kind in ("Recognition", "Referral") or self._imports:
                self._link(claim.context, claim)
            else:  # no index to keep: straight onto the edge
                self._put_edge(claim.context, claim)
            count += 1
        self._bulk_edges += count
        return count

    # ------------------------------------------------------------------ status
    def status(self, assertion_id: str) -> str | None:
        """The effective status of an assertion held here (``None`` if unknown)."""
        record = self._records.get(assertion_id)
        if record is None:
            return None
        if record.effective() == "valid" and record.claim is not None and not record.active:
            return "superseded"
        return record.effective()

    def _apply_to_target(self, aid: str, assertion: Revocation | Acceptance) -> bool:
        kind = "revoke" if isinstance(assertion, Revocation) else "decide"
        target = self._records.get(assertion.target)
        if target is None:
            if len(self._waiting) >= MAX_WAITING:  # bounded: drop the oldest
                self._waiting.pop(next(iter(self._waiting)))
            self._waiting.setdefault(assertion.target, []).append((kind, aid, assertion))
            return False
        return self._apply_decision(target, kind, assertion, aid)

    def _apply_decision(self, target: _Record, kind: str, other: Assertion,
                        aid: str) -> bool:
        # the acceptance's id breaks ties between decisions made at the same time, whether
        # they arrived before or after their target (so the order of arrival never matters)
        if kind == "revoke":
            if other.issuer != target.assertion.issuer:
                return False  # only the issuer revokes (the node refuses the rest)
            when = other.valid_from.timestamp()
            if target.revoked_at is None or when < target.revoked_at:
                target.revoked_at = when
            target.revoked = True
        else:
            if not isinstance(other, Acceptance) or other.issuer != target.assertion.about:
                return False
            decision = (other.valid_from.timestamp(), aid, other.accepted)
            if target.decision is not None and target.decision >= decision:
                return False
            target.decision = decision
        return self._reconsider(target)

    def _reconsider(self, record: _Record) -> bool:
        if record.claim is None:
            return False
        if record.slot is not None:
            return self._refresh_slot(record.slot)
        return self._set_active(record, record.effective() == "valid")

    def _refresh_slot(self, slot: tuple[Any, ...]) -> bool:
        best: tuple[float, str] | None = None
        for aid in self._slots.get(slot, ()):
            rec = self._records[aid]
            if rec.effective() == "valid":
                key = (rec.assertion.valid_from.timestamp(), aid)
                if best is None or key > best:
                    best = key
        changed = False
        for aid in self._slots.get(slot, ()):
            rec = self._records[aid]
            changed = self._set_active(rec, best is not None and aid == best[1]) or changed
        return changed

    def _set_active(self, record: _Record, active: bool) -> bool:
        if record.claim is None or record.active == active:
            return False
        record.active = active
        if active:
            self._link(record.claim.context, record.claim)
        else:
            self._unlink(record.claim.context, record.claim)
        return True

    # ----------------------------------------------------------------- linking
    def _ctx(self, context: str) -> _Context:
        ctx = self._contexts.get(context)
        if ctx is None:
            ctx = self._contexts[context] = _Context()
        return ctx

    def _link(self, context: str, claim: Claim, *, imported: bool = False) -> None:
        if claim.issuer == claim.subject:
            return
        self._put_edge(context, claim)
        if imported:
            return
        if claim.kind == "Recognition":
            self._recognitions.setdefault((context, claim.issuer), {})[claim.id] = claim
            source = claim.reads_context
            if source is not None and source != context:
                refs = self._imports.setdefault((claim.subject, source), {})
                refs[context] = refs.get(context, 0) + 1
                if refs[context] == 1:
                    for other in self._claims_of(claim.subject, source):
                        self._put_edge(context, other)
        elif claim.kind == "Referral" and claim.audience is not None:
            key = (context, claim.audience, claim.issuer)
            self._referrals.setdefault(key, {})[claim.id] = claim
        for target in self._imports.get((claim.issuer, context), {}):
            self._put_edge(target, claim)

    def _unlink(self, context: str, claim: Claim) -> None:
        if claim.issuer == claim.subject:
            return
        self._drop_edge(context, claim)
        if claim.kind == "Recognition":
            recs = self._recognitions.get((context, claim.issuer), {})
            recs.pop(claim.id, None)
            if not recs:
                self._recognitions.pop((context, claim.issuer), None)
            source = claim.reads_context
            if source is not None and source != context:
                refs = self._imports.get((claim.subject, source), {})
                refs[context] = refs.get(context, 1) - 1
                if refs[context] <= 0:
                    refs.pop(context, None)
                    if not refs:
                        self._imports.pop((claim.subject, source), None)
                    for other in self._claims_of(claim.subject, source):
                        self._drop_edge(context, other)
        elif claim.kind == "Referral" and claim.audience is not None:
            key = (context, claim.audience, claim.issuer)
            refs_ = self._referrals.get(key, {})
            refs_.pop(claim.id, None)
            if not refs_:
                self._referrals.pop(key, None)
        for target in self._imports.get((claim.issuer, context), {}):
            self._drop_edge(target, claim)

    def _claims_of(self, issuer: str, context: str) -> list[Claim]:
        ctx = self._contexts.get(context)
        g = ctx.adjacency() if ctx is not None else None
        if g is None or issuer not in g:
            return []
        return [c for data in g.succ[issuer].values() for c in data["claims"]
                if c.context == context and c.issuer == issuer]

    def _put_edge(self, context: str, claim: Claim) -> None:
        ctx = self._ctx(context)
        g = ctx.writable()
        u, v = claim.issuer, claim.subject
        data = g.get_edge_data(u, v)  # the graph's own attribute dict, or None
        if data is None:
            claims: tuple[Claim, ...] = (claim,)
            if ctx.compiled is not None:
                ctx.new_nodes.extend(n for n in (u, v) if n not in g)
            g.add_edge(u, v, claims=claims, w=base_weight(claims, context))
            ctx.edges += 1
        else:
            if any(c.id == claim.id for c in data["claims"]):
                return
            data["claims"] = (*data["claims"], claim)
            data["w"] = base_weight(data["claims"], context)
        ctx.version += 1
        if ctx.compiled is not None:
            ctx.dirty.add(u)

    def _drop_edge(self, context: str, claim: Claim) -> None:
        ctx = self._contexts.get(context)
        if ctx is None:
            return
        u, v = claim.issuer, claim.subject
        if ctx.arrays is not None and v not in ctx.arrays.succ.get(u, {}):
            return
        g = ctx.writable()
        data = g.get_edge_data(u, v)
        if data is None:
            return
        claims = tuple(c for c in data["claims"] if c.id != claim.id)
        if len(claims) == len(data["claims"]):
            return
        if claims:
            data["claims"] = claims
            data["w"] = base_weight(claims, context)
        else:
            g.remove_edge(u, v)
            ctx.edges -= 1
        ctx.version += 1
        if ctx.compiled is not None:
            ctx.dirty.add(u)

    # ----------------------------------------------------------------- reading
    @property
    def contexts(self) -> tuple[str, ...]:
        """The contexts that hold at least one edge, sorted."""
        return tuple(sorted(k for k, c in self._contexts.items() if c.edges))

    def graph(self, context: str) -> nx.DiGraph:
        """The context's digraph (edge data: ``claims`` and base weight ``w``). Read only."""
        ctx = self._contexts.get(context)
        return ctx.graph if ctx is not None else nx.DiGraph()

    def adjacency(self, context: str) -> Any:
        """The context's graph to read: its networkx digraph or, for an edge list loaded as
        arrays and unchanged since, an equivalent read-only :class:`ArrayAdjacency`."""
        ctx = self._contexts.get(context)
        return ctx.adjacency() if ctx is not None else nx.DiGraph()

    def can_install_arrays(self, context: str) -> bool:
        """Whether an edge list may be installed as arrays in ``context`` (a new context and
        no cross-context imports to maintain)."""
        return context not in self._contexts and not self._imports

    def install_arrays(self, context: str, arrays: ArrayAdjacency, compiled: Any,
                       linked: int) -> None:
        """Install an edge list read as arrays (``edgearrays.py``) with its compiled
        matrices; ``linked`` claims count as the bulk edges of :meth:`add_claims` would."""
        if not self.can_install_arrays(context):
            raise LocalProtocolError(f"context {context!r} already holds edges")
        ctx = self._ctx(context)
        ctx.arrays = arrays
        ctx.version = linked
        ctx.edges = arrays.number_of_edges()
        ctx.compiled = compiled
        self._bulk_edges += linked

    def version(self, context: str) -> int:
        """A counter that changes whenever the context's graph changes."""
        ctx = self._contexts.get(context)
        return ctx.version if ctx is not None else 0

    def context_state(self, context: str) -> _Context:
        """The mutable state of one context, for ``matrix.py`` (not part of the public API)."""
        return self._ctx(context)

    def recognitions(self, context: str, recogniser: str) -> tuple[Claim, ...]:
        """The active Recognition claims ``recogniser`` holds in ``context``."""
        return tuple(self._recognitions.get((context, recogniser), {}).values())

    def referrals(self, context: str, audience: str, referrer: str) -> tuple[Claim, ...]:
        """Active Referrals by ``referrer`` addressed to ``audience`` in ``context``."""
        return tuple(self._referrals.get((context, audience, referrer), {}).values())

    def referral_windows(self, context: str, audience: str, referrer: str
                         ) -> list[ReferralWindow]:
        """Every referral by ``referrer`` to ``audience`` in ``context`` that vouches or has
        vouched, with when it stopped (accountability, ``specs/trust.md`` section 5).

        Standing ones first (the active claims, including those of edge lists), then those
        that stopped counting and still cost something: revoked (ended at the earliest
        revocation's ``validFrom``), expired (at ``validUntil``), replaced by a newer
        referral of the same slot (at the newer one's ``validFrom``), rejected by the
        referred party (at the rejection's ``validFrom``). One that stopped before it began,
        or whose cost lapsed (``ended`` + the policy's term, against the clock of
        :meth:`refresh`), is left out; so is one whose end the graph cannot date (a status
        given from outside, but for ``superseded``: dated by the newer referral that counts).
        """
        key = (context, audience, referrer)
        standing = self._referrals.get(key, {})
        out = [ReferralWindow(referral=c.id, referred=c.subject, since=c.time)
               for c in standing.values()]
        term = self.policy.withdrawn_referral_days * 86400.0
        for aid in self._referral_records.get(key, ()):
            record = self._records[aid]
            if aid in standing or record.claim is None:
                continue
            ended, state = self._ending(record)
            since = record.claim.time
            if ended is None or ended <= since:
                continue
            expires = ended + term
            if self.now is not None and expires <= self.now:
                continue
            out.append(ReferralWindow(referral=aid, referred=record.claim.subject, since=since,
                                      ended=ended, expires=expires, state=state))
        return out

    def _ending(self, record: _Record) -> tuple[float | None, str]:
        """When and how a held referral that is not active stopped counting."""
        status = record.effective()
        if status == "revoked":
            return record.revoked_at, "revoked"
        if status == "rejected-by-subject":
            return (record.decision[0] if record.decision is not None else None,
                    "rejected-by-subject")
        if status == "expired":
            until = record.assertion.valid_until
            return (until.timestamp() if until is not None else None), "expired"
        # replaced by a newer one: as the graph sees it, or as the caller said ("superseded"
        # given from outside is dated the same way, so both callers get the same answer)
        if status in ("valid", "superseded") and record.slot is not None:
            since = record.assertion.valid_from.timestamp()
            for other in self._slots.get(record.slot, ()):
                rec = self._records[other]
                newer = rec.assertion.valid_from.timestamp()
                if rec.active and newer > since:
                    return newer, "replaced"
        return None, status

    def has_referred(self, context: str, audience: str, referrer: str, referred: str) -> bool:
        """Whether ``referrer`` refers (or referred, in a referral still held) ``referred``
        to ``audience`` in ``context``: an interested party in judging that referral."""
        key = (context, audience, referrer)
        if any(c.subject == referred for c in self._referrals.get(key, {}).values()):
            return True
        return any(self._records[aid].assertion.about == referred
                   for aid in self._referral_records.get(key, ()))

    def kept(self, context: str, audience: str, referrer: str) -> tuple[KeptJudgement, ...]:
        """The judgements kept of ``referrer``'s erased referrals to ``audience`` in
        ``context`` that still count (:meth:`keep`)."""
        held = self._kept.get((context, audience, referrer))
        if not held:
            return ()
        return tuple(j for j in held.values()
                     if self.now is None or j.expires.timestamp() > self.now)

    def keep(self, judgement: KeptJudgement) -> bool:
        """Apply a node's judgement of an erased referral until it expires; ``False`` if
        one for that referral is applied already (or it has expired by :meth:`refresh`'s
        clock)."""
        expires = judgement.expires.timestamp()
        if self.now is not None and expires <= self.now:
            return False
        key = (judgement.context, judgement.audience, judgement.referrer)
        held = self._kept.setdefault(key, {})
        if judgement.referral in held:
            return False
        held[judgement.referral] = judgement
        heapq.heappush(self._kept_expiry, (expires, judgement.referral))
        return True

    def forget(self, referral: str) -> bool:
        """Stop applying the kept judgement of ``referral``; ``True`` if one was applied."""
        return self._drop_kept(referral)

    def _drop_kept(self, referral: str, before: float | None = None) -> bool:
        for key, held in list(self._kept.items()):
            judgement = held.get(referral)
            if judgement is None or (before is not None
                                     and judgement.expires.timestamp() > before):
                continue
            del held[referral]
            if not held:
                del self._kept[key]
            return True
        return False

    def view(self, evaluator: str, context: str) -> EvaluatorView:
        """How ``evaluator`` sees ``context``: base weights with its own Recognitions applied."""
        readers = compile_readers(self.recognitions(context, evaluator))
        return EvaluatorView(self, evaluator, context, readers)

    def stats(self) -> dict[str, Any]:
        """Counts for logs and benchmarks."""
        return {
            "assertions": len(self._records),
            "bulk_edges": self._bulk_edges,
            "contexts": {k: {"nodes": c.adjacency().number_of_nodes(),
                             "edges": c.adjacency().number_of_edges(), "version": c.version}
                         for k, c in sorted(self._contexts.items())},
        }


class EvaluatorView:
    """One evaluator's reading of one context (cheap to build; built per query).

    ``weight`` is the networkx weight callable (``None`` hides an edge); ``successors`` and
    ``predecessors`` iterate readable edges with their weights; ``resolve`` says which
    claim decided an edge, for explanations.
    """

    def __init__(self, graph: TrustGraph, evaluator: str, context: str,
                 readers: dict[str, tuple[Reader, ...]]) -> None:
        self.trust_graph = graph
        self.evaluator = evaluator
        self.context = context
        self.readers = readers
        self.policy = graph.policy
        self.graph = graph.adjacency(context)
        self._arrays = self.graph if isinstance(self.graph, ArrayAdjacency) else None
        self.weight: WeightFunction = make_weight(context, evaluator, readers, graph.policy)
        self.special = frozenset(readers) | {evaluator}

    def __contains__(self, node: object) -> bool:
        return node in self.graph

    def rewritten_rows(self) -> frozenset[str]:
        """Rows whose weights differ from the base for this evaluator.

        The issuers it reads through Recognitions, and itself when it issued marks here
        (which it reads at ``own_mark_weight``).
        """
        rows = set(self.readers)
        nbrs = self.graph.succ.get(self.evaluator) if self._arrays is None else None
        if nbrs and any(c.kind == "TrustMark" and c.issuer == self.evaluator
                        for data in nbrs.values() for c in data["claims"]):
            rows.add(self.evaluator)
        return frozenset(rows)

    def successors(self, node: str) -> Iterator[tuple[str, float]]:
        """``(v, w)`` for every edge out of ``node`` this evaluator can read."""
        if self._arrays is not None and node not in self.special:
            yield from self._arrays.out_weights(node)
            return
        nbrs = self.graph.succ.get(node)
        if not nbrs:
            return
        if node in self.special:
            weight = self.weight
            for v, data in nbrs.items():
                w = weight(node, v, data)
                if w is not None:
                    yield v, w
        else:
            for v, data in nbrs.items():
                w = data["w"]
                if w is not None:
                    yield v, w

    def predecessors(self, node: str) -> Iterator[tuple[str, float]]:
        """``(u, w)`` for every readable edge into ``node``."""
        preds = self.graph.pred.get(node)
        if not preds:
            return
        weight = self.weight
        special = self.special
        for u, data in preds.items():
            w = weight(u, node, data) if u in special else data["w"]
            if w is not None:
                yield u, w

    def edge_weight(self, u: str, v: str) -> float | None:
        data = self.graph.succ.get(u, {}).get(v)
        return None if data is None else self.weight(u, v, data)

    def resolve(self, u: str, v: str) -> Resolution | None:
        """The claim (and reader) that decides the edge ``u -> v`` for this evaluator."""
        data = self.graph.succ.get(u, {}).get(v)
        if data is None:
            return None
        return resolve_claims(data["claims"], self.context, evaluator=self.evaluator,
                              readers=self.readers, policy=self.policy)

    def claims(self, u: str, v: str) -> tuple[Claim, ...]:
        data = self.graph.succ.get(u, {}).get(v)
        return () if data is None else tuple(data["claims"])


def _referral_key(claim: Claim) -> tuple[str, str, str]:
    return (claim.context, claim.audience or "", claim.issuer)
