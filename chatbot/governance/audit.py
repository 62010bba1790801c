"""The audit trail: append-only, hash-chained, written in the same transaction as the change.

Each entry's hash is SHA-256 over its canonical JSON, which includes the previous entry's
hash, so editing, deleting, inserting or reordering any entry breaks every hash after it.
Appends move the single head row first (a compare-and-swap on its seq and hash), so
concurrent writers queue instead of forking.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, Insert, bindparam, exists, insert, text, union_all, update
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.governance import chain
from chatbot.governance.redaction import redact, redact_value
from chatbot.store.session import HOLDERS, MEMO
from chatbot.store.tables import AuditEntry, AuditHead
from chatbot.types import utcnow

log = logging.getLogger(__name__)


# One encoder for every entry: json.dumps with options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


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
    body = chain.hash_body(
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


async def append_many(session: AsyncSession, records: Sequence[AuditRecord]) -> list[Written]:
    """Add entries to the chain inside the caller's transaction, moving the head once.

    The head moves by a compare-and-swap on (seq, hash): from the head this process last
    wrote or read when it knows one (no read), else from the head read FOR UPDATE
    (PostgreSQL) or under SQLite's BEGIN IMMEDIATE. A head another writer moved, or one a
    rolled-back transaction of ours never committed, fails the swap, and the append reads
    the head and links from it, so appends from any number of processes queue on the head row
    and the chain never forks; the entries' primary key (seq) is a second guard. Everything
    runs together on the store's worker thread: one round trip.
    """
    prepared = [_redacted(record) for record in records]
    return await session.run_sync(_append, prepared)


def append_sync(session: Session, records: Sequence[AuditRecord]) -> list[Written]:
    """`append_many` inside a synchronous transaction function (`Store.run`)."""
    return _append(session, [_redacted(record) for record in records])


def _append(session: Session, prepared: Sequence[_Prepared]) -> list[Written]:
    """The one append path. Core statements on the session's connection, built once: the
    ORM's unit of work costs more than the writes themselves here, and nothing reads these
    back."""
    connection = session.connection()
    memo: dict[str, Any] | None = session.info.get(MEMO)
    # Another of our transactions holding the head: a swap from what we know would fail.
    queued = _queued_behind_others(session)
    known: tuple[int, str] | None = None
    if memo is not None and not queued:
        known = memo.get(_KNOWN_HEAD)
    if known is not None:
        written = _swap(connection, prepared, *known)
        if written is not None:
            _remember(memo, written)
            return written
    first_seq, first_hash = connection.execute(_HEAD).one()  # locked: the swap cannot fail
    written = _swap(connection, prepared, first_seq, first_hash)
    if written is None:
        raise RuntimeError(_HEAD_MOVED)
    _remember(memo, written or [Written(first_seq, first_hash)])
    return written


def _swap(
    connection: Connection, prepared: Sequence[_Prepared], seq: int, prev: str
) -> list[Written] | None:
    """Link the entries after (seq, prev) and move the head there, if the head still is
    (seq, prev); None (nothing written) when it is not. The head row is updated first, so
    on PostgreSQL it is locked before any entry is inserted."""
    rows, written = _link(prepared, seq, prev)
    if not rows:
        return written
    last = written[-1]
    swap = {"seq0": seq, "hash0": prev, "seq": last.seq, "hash": last.hash}
    if connection.dialect.name == "postgresql":  # one round trip: move and insert together
        for n, row in enumerate(rows):
            swap.update({f"{name}_{n}": value for name, value in row._asdict().items()})
        inserted = connection.execute(_moved_and_linked(len(rows)), swap).all()
        return written if inserted else None
    if connection.execute(_MOVE_HEAD, swap).rowcount != 1:
        return None
    connection.execute(_INSERT, [row._asdict() for row in rows])
    return written


def _queued_behind_others(session: Session) -> bool:
    """Whether another transaction of this process has moved the head and not yet ended.

    Its uncommitted head is the one remembered, so a swap from it waits for that
    transaction's lock and then fails whenever a third one got there first; with many
    conversations at once that was most swaps, each followed by the locked read anyway.
    Then the locked read goes first (it waits once and cannot fail). A session already
    holding the head (a second append in one transaction) swaps from its own head."""
    holders: set[int] | None = session.info.get(HOLDERS)
    if holders is None:
        return False
    mine = id(session)
    if mine in holders:
        return False
    # Joined first, then counted: two transactions arriving together (threads) then both
    # see the other and both read under lock, never both swap from one guess.
    holders.add(mine)  # from here until the transaction ends (store/session.py)
    return len(holders) > 1


def _remember(memo: dict[str, Any] | None, written: Sequence[Written]) -> None:
    if memo is not None and written:
        memo[_KNOWN_HEAD] = (written[-1].seq, written[-1].hash)


# Locked for the transaction: FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already is.
_HEAD = select(AuditHead.seq, AuditHead.hash).where(col(AuditHead.id) == 1).with_for_update()
_INSERT = AuditEntry.__table__.insert()  # type: ignore[attr-defined]
_MOVE_HEAD = (
    update(AuditHead)
    .where(
        col(AuditHead.id) == 1,
        col(AuditHead.seq) == bindparam("seq0"),
        col(AuditHead.hash) == bindparam("hash0"),
    )
    .values(seq=bindparam("seq"), hash=bindparam("hash"))
)


@functools.cache
def _moved_and_linked(count: int) -> Insert:
    """PostgreSQL's swap in one statement: the head's compare-and-swap as a data-modifying
    CTE, and the `count` entries inserted only when it moved the head (the rows the insert
    returns say which). Under READ COMMITTED a head another writer moved meanwhile is
    re-checked after its lock is released, so a stale (seq, hash) inserts nothing."""
    moved = _MOVE_HEAD.returning(col(AuditHead.id)).cte("moved")
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    selects = [
        select(
            *(bindparam(f"{name}_{n}", type_=table.c[name].type) for name in _Row._fields)
        ).where(exists(select(moved.c.id)))
        for n in range(count)
    ]
    rows = selects[0] if count == 1 else union_all(*selects)
    linked = insert(table).from_select(list(_Row._fields), rows).add_cte(moved)
    return linked.returning(table.c.seq)  # the driver's row count is -1 for this statement


_KNOWN_HEAD = "audit_head"  # in the store's memo: (seq, hash) this process last saw


_HEAD_MOVED = "audit head moved during append; the transaction is rolled back"


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A record with its secrets redacted and its detail in canonical JSON, stamped."""

    at: datetime
    record: AuditRecord
    detail: str


class _Row(NamedTuple):
    """One audit_entries row, in the table's column order."""

    seq: int
    at: datetime
    actor: str
    platform: str
    channel: str
    event: str
    skill: str | None
    action_id: int | None
    outcome: str
    detail: str
    prev_hash: str
    hash: str


def _redacted(record: AuditRecord) -> _Prepared:
    clean = AuditRecord(
        actor=record.actor,
        event=record.event,
        platform=record.platform,
        channel=redact(record.channel),
        skill=record.skill,
        action_id=record.action_id,
        outcome=redact(record.outcome),
    )
    return _Prepared(utcnow(), clean, canonical_json(redact_value(record.detail)))


def _link(prepared: Sequence[_Prepared], seq: int, prev: str) -> tuple[list[_Row], list[Written]]:
    """Number and hash the entries after the head (seq, prev)."""
    rows: list[_Row] = []
    written: list[Written] = []
    for item in prepared:
        seq, record = seq + 1, item.record
        digest = entry_hash(seq, item.at, record, item.detail, prev)
        rows.append(
            _Row(
                seq,
                item.at,
                record.actor,
                record.platform,
                record.channel,
                record.event,
                record.skill,
                record.action_id,
                record.outcome,
                item.detail,
                prev,
                digest,
            )
        )
        written.append(Written(seq, digest))
        prev = digest
    return rows, written


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    checked: int
    bad_seq: int | None = None
    problem: str = ""


async def entries(session: AsyncSession, batch: int = 5000) -> AsyncIterator[AuditEntry]:
    last = 0
    while True:
        query = select(AuditEntry).where(col(AuditEntry.seq) > last).order_by(col(AuditEntry.seq))
        rows = (await session.exec(query.limit(batch))).all()
        if not rows:
            return
        for entry in rows:
            yield entry
            last = entry.seq


async def verify(
    session: AsyncSession, batch: int = 20000, processes: int | None = None
) -> Verification:
    """Walk the whole chain; name the first entry that was edited, removed, added or moved.

    Give it a session from `Store.snapshot()`: then it sees one moment and blocks no writer,
    and appends made meanwhile are neither checked nor mistaken for forgeries.

    One walk (`chain.walk`) checks every entry, wherever it runs: a long SQLite chain is split
    into ranges walked by parallel processes (hashing holds one core each), `processes` of
    them, or by default one per core with at least MIN_RANGE entries each; otherwise the walk
    runs on the store's worker thread, streaming rows `batch` at a time.
    """
    head_seq, path = await session.run_sync(_head_and_file)
    parts = min(head_seq, processes or default_processes(head_seq))
    outcome: chain.Walk | chain.Break | None = None
    if path is not None and parts >= 2:
        outcome = await _walk_in_processes(path, head_seq, parts)
    return await session.run_sync(_finish_verify, outcome, batch)


def _head_and_file(session: Session) -> tuple[int, str | None]:
    connection = session.connection()
    head = connection.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar_one()
    return head, _database_file(connection)


def _finish_verify(
    session: Session, outcome: chain.Walk | chain.Break | None, batch: int
) -> Verification:
    """Walk here unless the processes did, then hold the walk against the head."""
    connection = session.connection()
    if outcome is None:
        outcome = chain.walk(_reader(connection, batch), 1, None)
    if isinstance(outcome, chain.Break):
        return Verification(False, outcome.checked, outcome.bad_seq, outcome.problem)
    head = connection.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    checked, prev = outcome.checked, outcome.prev
    if checked > 0 and head.hash == prev and head.seq != checked:
        problem = f"the head row was edited: it says entry {head.seq}, with entry {checked}'s hash"
        return Verification(False, checked, None, problem)
    if checked == head.seq and head.hash != prev and not _any_after(connection, checked):
        problem = f"the head row was edited: its hash is not that of entry {checked}, the last"
        return Verification(False, checked, None, problem)
    if checked > head.seq or (checked == head.seq and _any_after(connection, head.seq)):
        problem = f"entry {head.seq + 1} was inserted after the last recorded append"
        return Verification(False, head.seq, head.seq + 1, problem)
    if head.seq != checked or head.hash != prev:
        problem = f"the chain ends at entry {checked} but its head says {head.seq}: entries removed"
        return Verification(False, checked, checked + 1, problem)
    return Verification(True, checked)


def _reader(connection: Connection, batch: int) -> chain.Execute:
    """How the walk reads rows inside this transaction: on SQLite straight from the driver's
    cursor (the public `driver_connection`; SQLAlchemy's row objects cost a third of the walk
    there), elsewhere through SQLAlchemy, streamed `batch` rows at a time."""
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        assert driver is not None
        execute: chain.Execute = driver.execute
        return execute
    streaming = connection.execution_options(stream_results=True, yield_per=batch)
    return lambda sql, params: streaming.execute(text(sql), params)


def _any_after(connection: Connection, seq: int) -> bool:
    query = text("SELECT seq FROM audit_entries WHERE seq > :seq LIMIT 1")
    return connection.execute(query, {"seq": seq}).first() is not None


MIN_RANGE = 50_000  # entries per process below which starting one costs more than it saves


def default_processes(entries: int) -> int:
    """One per core, each walking at least MIN_RANGE entries (1: walk in this process)."""
    return max(1, min(_cores(), entries // MIN_RANGE))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _database_file(connection: Connection) -> str | None:
    """The SQLite file that range processes can open, or None (PostgreSQL, in memory)."""
    if connection.dialect.name != "sqlite":
        return None
    database = connection.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return str(Path(database).resolve())


async def _walk_in_processes(path: str, last: int, parts: int) -> chain.Walk | chain.Break | None:
    """Walk ranges of the chain in parallel processes; the first break in chain order, or
    the finished last range. None when a process could not run (the caller walks here)."""
    size = last // parts
    log.debug("walking audit entries 1..%d in %d processes", last, parts)
    firsts = [1 + n * size for n in range(parts)]
    # Each process reads its own snapshot, taken after ours: the last range stops at our
    # head, and `verify` itself looks for entries beyond it.
    ends = [first - 1 for first in firsts[1:]] + [last]
    reports = await asyncio.gather(
        *(_walk_process(path, first, end) for first, end in zip(firsts, ends, strict=True))
    )
    walked = [report for report in reports if report is not None]
    if len(walked) < len(reports):
        return None
    for report in walked:  # in chain order: the first break is the one to name
        if "problem" in report:
            return chain.Break(report["checked"], report["bad_seq"], report["problem"])
    return chain.Walk(walked[-1]["checked"] + 1, walked[-1]["prev"])


async def _walk_process(path: str, first: int, end: int | None) -> dict[str, Any] | None:
    """One range walked by `python -m chatbot.governance.chain`; None if it could not run.
    A cancelled verify kills the process rather than leave it hashing."""
    package_root = str(Path(chain.__file__).resolve().parents[2])
    paths = [package_root, os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    arguments = [path, str(first), "-" if end is None else str(end)]
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chatbot.governance.chain",
            *arguments,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
    except OSError as exc:
        log.warning("audit walk of entries %d.. could not start a process: %s", first, exc)
        return None
    try:
        out, err = await process.communicate()
    except BaseException:
        if process.returncode is None:
            process.kill()
        raise
    try:
        if process.returncode == 0:
            report: dict[str, Any] = json.loads(out)
            return report
    except ValueError:
        pass
    reason = err.decode(errors="replace")[-500:] or f"exit status {process.returncode}"
    log.warning("audit walk of entries %d.. failed in its process: %s", first, reason)
    return None
