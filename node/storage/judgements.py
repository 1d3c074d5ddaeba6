"""The SQL of kept referral judgements (table ``referral_judgements``, migration 5).

A referral erased at its issuer's request must not take its referrer's accountability
with it (``specs/trust.md`` section 5), yet the referral itself must go. So the erasure's
own transaction (:func:`note_erased`, called by the store's erase for every Referral it
deletes) writes a *pending* row: who referred whom to which audience in which context,
from when and until when it vouched. That row survives a crash or a restart; the trust
engine judges it as soon as it can (:mod:`confiance.node.judging`), and the row is then
*settled* (:func:`settle`): deleted when nothing was held against the referred party
(nothing was owed: the referral simply disappears), else reduced to the node's judgement
(referrer, audience, context, ``bad``, when it ended, when it expires): the referred party
and the start are cleared. Settled rows are shown to the referrer in its export and deleted
once expired (:func:`purge`).

When a referral had stopped vouching before its erasure (revoked, expired, replaced,
rejected by its subject), its end is that earlier time, taken from the row that ended it,
so the judgement is the one the engine was already applying.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from confiance.protocol.trust import ErasedReferral, KeptJudgement

from .base import StoredAssertion

__all__ = ["for_referrer", "kept", "note_erased", "pending", "purge", "settle"]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(value: datetime) -> int:
    """Microseconds since the epoch, as the store keeps every time."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _dt(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _valid_from(conn: sqlite3.Connection, assertion_id: str | None) -> int | None:
    if assertion_id is None:
        return None
    row = conn.execute("SELECT valid_from FROM assertions WHERE id = ?",
                       (assertion_id,)).fetchone()
    return None if row is None else int(row[0])


def _decided_by(conn: sqlite3.Connection, assertion_id: str) -> str | None:
    row = conn.execute("SELECT decided_by FROM assertions WHERE id = ?",
                       (assertion_id,)).fetchone()
    return None if row is None else row[0]


def note_erased(conn: sqlite3.Connection, stored: StoredAssertion, now: datetime) -> None:
    """Write the pending judgement row of a Referral about to be erased (same transaction).

    Nothing is written for a referral that never vouched (not yet valid, or ended before it
    began).
    """
    record = stored.record
    if record.kind != "Referral" or record.subject is None or record.context is None:
        return
    status = stored.status(now)
    end: int | None
    if status == "valid":
        end = _us(now)
    elif status == "revoked":
        end = _valid_from(conn, stored.revoked_by)
    elif status == "rejected-by-subject":
        end = _valid_from(conn, _decided_by(conn, stored.id))
    elif status == "expired":
        end = _us(record.valid_until) if record.valid_until is not None else None
    elif status == "superseded":
        end = _valid_from(conn, stored.superseded_by)
    else:  # not yet valid: it never vouched
        return
    since = _us(record.valid_from)
    if end is None:
        return
    end = min(end, _us(now))
    if end <= since:
        return
    audience = json.loads(record.document).get("credentialSubject", {}).get("audience")
    if not isinstance(audience, str):
        return
    conn.execute("INSERT OR REPLACE INTO referral_judgements (referral, referrer, audience, "
                 "context, ended, referred, since) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (record.id, record.issuer, audience, record.context, end, record.subject,
                  since))


def pending(conn: sqlite3.Connection) -> list[ErasedReferral]:
    """The erased referrals not judged yet, oldest erasure first."""
    return [ErasedReferral(referral=r[0], referrer=r[1], audience=r[2], context=r[3],
                           ended=_dt(r[4]), referred=r[5], since=_dt(r[6]))
            for r in conn.execute(
                "SELECT referral, referrer, audience, context, ended, referred, since "
                "FROM referral_judgements WHERE bad IS NULL ORDER BY ended, referral")]


def settle(conn: sqlite3.Connection,
           outcomes: Sequence[tuple[str, KeptJudgement | None]]) -> None:
    """Replace pending rows by their judgement, or delete them (``None``: nothing owed)."""
    for referral, judgement in outcomes:
        if judgement is None:
            conn.execute("DELETE FROM referral_judgements WHERE referral = ? AND bad IS NULL",
                         (referral,))
        else:
            conn.execute("UPDATE referral_judgements SET bad = ?, expires = ?, ended = ?, "
                         "referred = NULL, since = NULL WHERE referral = ? AND bad IS NULL",
                         (judgement.bad, _us(judgement.expires), _us(judgement.ended),
                          referral))


def _judgement(row: tuple[object, ...]) -> KeptJudgement:
    referral, referrer, audience, context, ended, bad, expires = row
    assert isinstance(ended, int) and isinstance(expires, int) and isinstance(bad, float)
    return KeptJudgement(referral=str(referral), referrer=str(referrer),
                         audience=str(audience), context=str(context), bad=bad,
                         ended=_dt(ended), expires=_dt(expires))


_KEPT = "SELECT referral, referrer, audience, context, ended, bad, expires " \
        "FROM referral_judgements WHERE bad IS NOT NULL AND expires > ?"


def kept(conn: sqlite3.Connection, now: datetime) -> list[KeptJudgement]:
    """The judgements that still count at ``now``."""
    return [_judgement(r) for r in conn.execute(_KEPT + " ORDER BY ended, referral",
                                                (_us(now),))]


def for_referrer(conn: sqlite3.Connection, referrer: str, now: datetime
                 ) -> list[KeptJudgement]:
    """What a referrer's export shows: the judgements of its erased referrals that count."""
    return [_judgement(r) for r in conn.execute(
        _KEPT + " AND referrer = ? ORDER BY ended, referral", (_us(now), referrer))]


def purge(conn: sqlite3.Connection, now: datetime) -> int:
    """Delete the judgements that have expired; how many."""
    return conn.execute("DELETE FROM referral_judgements WHERE bad IS NOT NULL AND "
                        "expires <= ?", (_us(now),)).rowcount
