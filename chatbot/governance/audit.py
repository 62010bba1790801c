"""The audit trail: append-only, hash-chained, written in the same transaction as the change.

Each entry's hash is SHA-256 over its canonical JSON, which includes the previous entry's
hash, so editing, deleting, inserting or reordering any entry breaks every hash after it.
Appends lock the single head row first, so concurrent writers queue instead of forking.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.governance.redaction import redact, redact_value
from chatbot.store.tables import AuditEntry, AuditHead
from chatbot.types import utcnow


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One step to record: who, what, where, and how it ended."""

    actor: str
    event: str
    platform: str
    channel: str
    skill: str | None = None
    action_id: int | None = None
    outcome: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


_encode = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses


def _s(value: str | None) -> str:
    return "null" if value is None else _encode(value)


def _hash_body(
    seq: int,
    at: str,
    actor: str,
    event: str,
    platform: str,
    channel: str,
    skill: str | None,
    action_id: int | None,
    outcome: str,
    detail: str,
    prev: str,
) -> str:
    """`canonical_json` of the entry, written out by hand (keys sorted) because verify runs
    it for every entry; a test checks it equals the canonical_json of the same dict."""
    action = "null" if action_id is None else str(action_id)
    return (
        f'{{"action_id":{action},"actor":{_encode(actor)},"at":{_encode(at)},'
        f'"channel":{_encode(channel)},"detail":{_encode(detail)},"event":{_encode(event)},'
        f'"outcome":{_encode(outcome)},"platform":{_encode(platform)},"prev":{_encode(prev)},'
        f'"seq":{seq},"skill":{_s(skill)}}}'
    )


def entry_hash(
    seq: int, at: datetime, record: AuditRecord | AuditEntry, detail: str, prev: str
) -> str:
    body = _hash_body(
        seq,
        at.isoformat(),
        record.actor,
        record.event,
        record.platform,
        record.channel,
        record.skill,
        record.action_id,
        record.outcome,
        detail,
        prev,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Written:
    """What an append returns: where the entry sits in the chain (for references)."""

    seq: int
    hash: str


async def append(session: AsyncSession, record: AuditRecord) -> Written:
    """Add one entry to the chain inside the caller's transaction."""
    return (await append_many(session, [record]))[0]


async def append_many(session: AsyncSession, records: Sequence[AuditRecord]) -> list[AuditEntry]:
    """Add entries to the chain inside the caller's transaction, locking the head once.

    The head row is read FOR UPDATE (PostgreSQL) or under SQLite's BEGIN IMMEDIATE, so
    appends from any number of processes queue on it and the chain never forks; the
    conditional head update is a second guard.
    """
    # Core statements on the session's connection: the ORM's unit of work and bulk-update
    # bookkeeping cost more than the writes themselves here, and nothing reads these back.
    connection = await session.connection()
    head_query = select(AuditHead.seq, AuditHead.hash).where(col(AuditHead.id) == 1)
    first_seq, first_hash = (await connection.execute(head_query.with_for_update())).one()
    seq, prev = first_seq, first_hash
    rows: list[dict[str, Any]] = []
    written: list[Written] = []
    for record in records:
        seq, at = seq + 1, utcnow()
        detail = canonical_json(redact_value(record.detail))
        clean = AuditRecord(
            actor=record.actor,
            event=record.event,
            platform=record.platform,
            channel=redact(record.channel),
            skill=record.skill,
            action_id=record.action_id,
            outcome=redact(record.outcome),
        )
        digest = entry_hash(seq, at, clean, detail, prev)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": clean.actor,
                "platform": clean.platform,
                "channel": clean.channel,
                "event": clean.event,
                "skill": clean.skill,
                "action_id": clean.action_id,
                "outcome": clean.outcome,
                "detail": detail,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        written.append(Written(seq, digest))
        prev = digest
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    await connection.execute(table.insert(), rows)
    moved = await connection.execute(
        update(AuditHead)
        .where(col(AuditHead.id) == 1, col(AuditHead.seq) == first_seq)
        .values(seq=seq, hash=prev)
    )
    if moved.rowcount != 1:
        raise RuntimeError("audit head moved during append; the transaction is rolled back")
    return written


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    checked: int
    bad_seq: int | None = None
    problem: str = ""


async def entries(session: AsyncSession, batch: int = 5000) -> AsyncIterator[AuditEntry]:
    last = 0
    while True:
        query = select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq)
        rows = (await session.exec(query.limit(batch))).all()
        if not rows:
            return
        for entry in rows:
            yield entry
            last = entry.seq


_VERIFY_SQL = (
    "SELECT seq, at, actor, event, platform, channel, skill, action_id, outcome, detail, "
    "prev_hash, hash FROM audit_entries WHERE seq > :after ORDER BY seq LIMIT :batch"
)


def _iso(at: Any) -> str:
    """`datetime.isoformat()` of a stored time: PostgreSQL returns datetimes; SQLite returns
    the text SQLAlchemy stored ("YYYY-MM-DD HH:MM:SS.ffffff", UTC), converted by slicing
    because parsing every timestamp would dominate the time verify takes."""
    if isinstance(at, datetime):
        return at.astimezone(UTC).isoformat()
    if at.endswith(".000000") or len(at) == 19:
        return f"{at[:10]}T{at[11:19]}+00:00"
    return f"{at[:10]}T{at[11:26]}+00:00"


async def verify(session: AsyncSession, batch: int = 20000) -> Verification:
    """Walk the whole chain; name the first entry that was edited, removed, added or moved.

    Reads raw rows in large batches (the next batch is fetched while this one is hashed) and
    hashes them with `_hash_body` (no ORM objects, no type conversion).
    """
    connection = await session.connection()

    async def fetch(after: int) -> list[Any]:
        query = text(_VERIFY_SQL).bindparams(after=after, batch=batch)
        return list((await connection.execute(query)).all())

    prev, before_prev, expected = "", "", 1
    sha256 = hashlib.sha256
    pending: asyncio.Future[list[Any]] | None = asyncio.ensure_future(fetch(0))
    try:
        while pending is not None:
            rows = await pending
            pending = asyncio.ensure_future(fetch(rows[-1][0])) if len(rows) == batch else None
            for (
                seq,
                at,
                actor,
                event,
                platform,
                channel,
                skill,
                action,
                outcome,
                detail,
                back,
                own,
            ) in rows:
                if seq != expected:
                    problem = f"entry {expected} is missing (next is {seq}): deleted or reordered"
                    return Verification(False, expected - 1, expected, problem)
                if back != prev:
                    if back == before_prev and expected > 1:
                        problem = (
                            f"entry {seq - 1} was inserted: entry {seq} follows the one before"
                        )
                        return Verification(False, seq - 2, seq - 1, problem)
                    problem = (
                        f"entry {seq} does not follow entry {seq - 1}: an entry was deleted "
                        "or entries were reordered"
                    )
                    return Verification(False, seq - 1, seq, problem)
                body = _hash_body(
                    seq,
                    _iso(at),
                    actor,
                    event,
                    platform,
                    channel,
                    skill,
                    action,
                    outcome,
                    detail,
                    back,
                )
                if sha256(body.encode("utf-8")).hexdigest() != own:
                    problem = f"entry {seq} was edited: its content does not match its hash"
                    return Verification(False, seq - 1, seq, problem)
                before_prev, prev, expected = prev, own, expected + 1
    finally:
        if pending is not None:  # a tampered chain returns early: let the read finish
            await asyncio.gather(pending, return_exceptions=True)
    checked = expected - 1
    head = (await session.exec(select(AuditHead).where(AuditHead.id == 1))).one()
    if checked > head.seq:
        problem = f"entry {head.seq + 1} was inserted after the last recorded append"
        return Verification(False, head.seq, head.seq + 1, problem)
    if head.seq != checked or head.hash != prev:
        problem = f"the chain ends at entry {checked} but its head says {head.seq}: entries removed"
        return Verification(False, checked, checked + 1, problem)
    return Verification(True, checked)
