"""The audit trail: append-only, hash-chained, written in the same transaction as the change.

Each entry's hash is SHA-256 over its canonical JSON, which includes the previous entry's
hash, so editing, deleting, inserting or reordering any entry breaks every hash after it.
Appends lock the single head row first, so concurrent writers queue instead of forking.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.store.tables import AuditEntry, AuditHead
from chatbot.types import utcnow

_SECRET_PATTERNS = (
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}"),
    re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,}"),
    re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key)\s*[:=]\s*\S+"),
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Replace anything that looks like a credential; audit entries must never hold one."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


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


def entry_hash(
    seq: int, at: datetime, record: AuditRecord | AuditEntry, detail: str, prev: str
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "at": at.isoformat(),
            "actor": record.actor,
            "event": record.event,
            "platform": record.platform,
            "channel": record.channel,
            "skill": record.skill,
            "action_id": record.action_id,
            "outcome": record.outcome,
            "detail": detail,
            "prev": prev,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


async def append(session: AsyncSession, record: AuditRecord) -> AuditEntry:
    """Add one entry to the chain inside the caller's transaction."""
    head_query = select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = (await session.exec(head_query)).one()
    seq, at = head.seq + 1, utcnow()
    detail = canonical_json(_redact_value(record.detail))
    clean = AuditRecord(
        actor=record.actor,
        event=record.event,
        platform=record.platform,
        channel=redact(record.channel),
        skill=record.skill,
        action_id=record.action_id,
        outcome=redact(record.outcome),
    )
    digest = entry_hash(seq, at, clean, detail, head.hash)
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=clean.actor,
        platform=clean.platform,
        channel=clean.channel,
        event=clean.event,
        skill=clean.skill,
        action_id=clean.action_id,
        outcome=clean.outcome,
        detail=detail,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(entry)
    moved = await session.exec(
        update(AuditHead)
        .where(AuditHead.id == 1, AuditHead.seq == head.seq)
        .values(seq=seq, hash=digest)
    )
    if moved.rowcount != 1:
        raise RuntimeError("audit head moved during append; the transaction is rolled back")
    return entry


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


async def verify(session: AsyncSession) -> Verification:
    """Walk the whole chain; name the first entry that was edited, removed, added or moved."""
    prev, expected, checked = "", 1, 0
    async for entry in entries(session):
        if entry.seq != expected:
            problem = f"entry {expected} is missing (next is {entry.seq}): deleted or reordered"
            return Verification(False, checked, expected, problem)
        if entry.prev_hash != prev:
            problem = "does not follow the entry before it: inserted, deleted or reordered"
            return Verification(False, checked, entry.seq, f"entry {entry.seq} {problem}")
        if entry_hash(entry.seq, entry.at, entry, entry.detail, prev) != entry.hash:
            problem = f"entry {entry.seq} was edited: its content does not match its hash"
            return Verification(False, checked, entry.seq, problem)
        prev, expected, checked = entry.hash, expected + 1, checked + 1
    head = (await session.exec(select(AuditHead).where(AuditHead.id == 1))).one()
    if head.seq != checked or head.hash != prev:
        problem = f"the chain ends at entry {checked} but its head says {head.seq}: entries removed"
        return Verification(False, checked, checked + 1, problem)
    return Verification(True, checked)
