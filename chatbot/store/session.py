"""The session `Store.transaction()` yields: the async API the code uses, one thread hop a call.

Under it is a plain synchronous SQLAlchemy `Session` on a synchronous engine (sqlite3 or
psycopg 3); each call that touches the database (`exec`, `execute`, `get`, `flush`,
`delete`, `run_sync`, commit...) runs whole on one of the store's worker threads and comes
back with its rows already fetched. That is one thread round trip per call, where the asyncio
drivers take one per cursor step plus a greenlet switch per ORM call; a `flush` of several
objects, or a `run_sync` function doing several statements, is still one round trip.

It subclasses SQLModel's `AsyncSession` so every annotation in the code stays true; only
public methods are overridden (the originals' signatures are what type checkers see). Calls
not overridden here still work: they run the synchronous session on the event loop thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.exc import OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

T = TypeVar("T")

# Execution option for a writer's first connection: try BEGIN IMMEDIATE without waiting
# (the engine's begin listener sets busy_timeout to 0 around it).
TRY_LOCK = "chatops_try_lock"
# Key in every session's `info` of the store's memo: a dict, one per Store, for what this
# process learned from the database and may use as a guess the database then checks (the
# audit chain's head: `governance/audit.py`).
MEMO = "chatops_memo"
# Key in every session's `info` of the store's set of holders: the sessions of this process
# (by id) holding, or queued for, a row every writer contends for (the audit head), until
# their transaction ends. Kept by the user of the row (`governance/audit.py`), emptied here.
HOLDERS = "chatops_holders"


class Busy(Exception):
    """A write that was told not to wait found SQLite's write lock taken (`wait=False`)."""


class Gate:
    """What a session must hold while it has a connection: a slot (there are exactly as many
    slots as worker threads and pooled connections, so no thread ever waits for a connection
    and a session that holds a lock always finds a thread) and, for a SQLite writer, the
    process's write lock (SQLite has one writer at a time anyway; queueing here keeps the
    waiting on the event loop instead of on threads)."""

    def __init__(self, executor: Executor, slots: int, sqlite: bool) -> None:
        self.executor = executor
        self.slots = asyncio.Semaphore(slots)
        self.write_lock = asyncio.Lock() if sqlite else None
        self.inline = sqlite  # see StoreSession._may_run_here
        self.observe: Callable[[str, float], None] | None = None
        self.memo: dict[str, Any] = {}  # see MEMO
        self.holders: set[int] = set()  # see HOLDERS


class StoreSession(AsyncSession):
    """One transaction's session. Use it only through `Store.transaction()`, `read()` or
    `snapshot()`, which begin it on first use and commit or roll it back at the end."""

    def __init__(self, engine: Engine, gate: Gate, kind: str, wait: bool = True) -> None:
        super().__init__(expire_on_commit=False, autoflush=True)
        self._wait = wait  # False: a SQLite writer raises Busy rather than wait for the lock
        self.sync_session.bind = engine
        self.sync_session.info[MEMO] = gate.memo
        self.sync_session.info[HOLDERS] = gate.holders
        self._gate = gate
        self._kind = kind  # "write", "read" or "snapshot"
        self._holds_slot = False
        self._holds_lock = False
        self._started = 0.0
        self._busy: asyncio.Future[Any] | None = None
        self._locked_in = False  # a SQLite writer whose BEGIN IMMEDIATE has succeeded

    async def _enter(self) -> None:
        """Take the lock and slot before the first statement: SQLite's BEGIN IMMEDIATE also
        waits for the first statement, so a transaction that has not touched the database
        yet holds nothing."""
        gate = self._gate
        if self._kind == "write" and gate.write_lock is not None and not self._holds_lock:
            if not self._wait and gate.write_lock.locked():
                raise Busy("another transaction of this process holds the write lock")
            await gate.write_lock.acquire()
            self._holds_lock = True
        if not self._holds_slot:
            await gate.slots.acquire()
            self._holds_slot = True
            self._started = time.perf_counter()

    def _may_run_here(self, long: bool) -> bool:
        """Whether a call can run on the event loop thread instead of a worker thread.

        On SQLite only the wait for the write lock can block: WAL reads never wait for a
        writer, and once BEGIN IMMEDIATE has succeeded, statements and the commit do not wait
        for anyone (other processes' writers queue behind us). So a writer first tries to take
        the lock here without waiting; only if another process holds it does the wait go to a
        thread. Everything after that, and every short read, runs here at the cost of the
        statement alone, with no thread round trip. `long` work (a `run_sync` in a read,
        such as walking the audit chain) always goes to a thread. PostgreSQL: always a thread.
        """
        if not self._gate.inline:
            return False
        if self._kind != "write":
            return not long
        if not self._locked_in:
            try:
                self.sync_session.connection(execution_options={TRY_LOCK: True})
            except (OperationalError, sqlite3.OperationalError) as exc:  # wait on a thread
                if not self._wait and _busy(exc):
                    raise Busy("another connection holds the database's write lock") from None
                return False
            self._locked_in = True
        return True

    async def _hop(self, fn: Callable[..., T], *args: Any, long: bool = False) -> T:
        """Run `fn(*args)` here or on a worker thread (`_may_run_here`). If the caller is
        cancelled the thread still finishes its statement before anything else touches this
        session's connection."""
        await self._enter()
        if self._may_run_here(long):
            return fn(*args)
        if self._kind == "write" and self._gate.inline and not self._locked_in:
            fn, args = _begun_first, (self.sync_session, fn, *args)
        busy = asyncio.get_running_loop().run_in_executor(self._gate.executor, fn, *args)
        self._busy = busy
        try:
            result = await asyncio.shield(busy)
        except asyncio.CancelledError:
            await asyncio.wait([busy])
            raise
        self._locked_in = self._kind == "write"
        return result

    def _release(self) -> None:
        gate = self._gate
        if self._holds_slot:
            self._holds_slot = False
            gate.slots.release()
            if gate.observe is not None:
                gate.observe(self._kind, time.perf_counter() - self._started)
        if self._holds_lock:
            self._holds_lock = False
            assert gate.write_lock is not None
            gate.write_lock.release()

    async def finish(self, commit: bool) -> None:
        """Commit (or roll back) and give the connection back, in one round trip; nothing
        crosses to a thread when the transaction never touched the database."""
        sync = self.sync_session
        try:
            if self._busy is not None and not self._busy.done():
                await asyncio.wait([self._busy])
            touched = self._holds_slot or sync.new or sync.dirty or sync.deleted
            if not touched:
                sync.close()
            elif self._kind != "write":
                # Closing ends the read (the pool rolls the connection back) and, unlike a
                # rollback, leaves what was loaded readable after the block.
                await self._hop(sync.close)
            elif commit:
                await self._hop(_commit_and_close, sync)
            else:
                await self._hop(_rollback_and_close, sync)
        finally:
            self._release()

    async def run_whole(self, fn: Callable[[Any], T]) -> T:
        """`fn(sync_session)` in a write session, then the commit (or, on any error, the
        rollback) and the connection given back, all in one round trip: `Store.run`'s
        transaction. Reads of rows alone take no session at all (`run_alone`)."""
        sync = self.sync_session
        assert self._kind == "write", "run_whole is for write transactions"

        def whole() -> T:
            try:
                result = fn(sync)
            except BaseException:
                _rollback_and_close(sync)
                raise
            _commit_and_close(sync)
            return result

        try:
            return await self._hop(whole, long=True)
        finally:
            self._release()

    if not TYPE_CHECKING:  # type checkers see AsyncSession's own signatures

        async def exec(self, statement: Any, *, params: Any = None, **kw: Any) -> Any:
            result = await self._hop(_buffered, self.sync_session, statement, params, kw)
            if isinstance(statement, SelectOfScalar) and not isinstance(result, _Unbuffered):
                return result.scalars()
            return result.result if isinstance(result, _Unbuffered) else result

        async def execute(self, statement: Any, params: Any = None, **kw: Any) -> Any:
            result = await self._hop(_buffered, self.sync_session, statement, params, kw)
            return result.result if isinstance(result, _Unbuffered) else result

        async def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
            return await self._hop(lambda: self.sync_session.scalar(statement, params, **kw))

        async def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:
            return (await self.execute(statement, params, **kw)).scalars()

        async def get(self, entity: Any, ident: Any, **kw: Any) -> Any:
            return await self._hop(lambda: self.sync_session.get(entity, ident, **kw))

        async def get_one(self, entity: Any, ident: Any, **kw: Any) -> Any:
            return await self._hop(lambda: self.sync_session.get_one(entity, ident, **kw))

        async def flush(self, objects: Any = None) -> None:
            await self._hop(self.sync_session.flush, objects)

        async def delete(self, instance: Any) -> None:
            await self._hop(self.sync_session.delete, instance)

        async def refresh(self, instance: Any, *args: Any, **kw: Any) -> None:
            await self._hop(lambda: self.sync_session.refresh(instance, *args, **kw))

        async def merge(self, instance: Any, **kw: Any) -> Any:
            return await self._hop(lambda: self.sync_session.merge(instance, **kw))

        async def run_sync(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
            """`fn(sync_session, *args)` on a worker thread (or here, in a SQLite writer that
            holds the lock): any number of statements for one round trip (the audit chain's
            append and verify use it)."""
            return await self._hop(lambda: fn(self.sync_session, *args, **kw), long=True)

        async def commit(self) -> None:
            await self._hop(self.sync_session.commit)

        async def rollback(self) -> None:
            await self._hop(self.sync_session.rollback)

        async def close(self) -> None:
            await self.finish(commit=False)


async def run_alone(
    gate: Gate, engine: Engine, fn: Callable[[Connection], T], kind: str = "write"
) -> T:
    """`fn(connection)` on a connection of `engine`, holding a slot like any session, with
    no ORM session built: for one statement the session's begin, flush check, commit and
    close cost more CPU than the statement (bench.pipeline), and an ORM DELETE would also
    evaluate its criteria against the session's objects, of which there are none. For a
    statement that is a whole transaction alone on PostgreSQL (autocommit: it commits
    itself; `Store.write_one`) and for a plain read of rows (`Store.rows`), which on SQLite
    runs here, on the loop's thread, as a short `read()` does (WAL: it never waits)."""
    await gate.slots.acquire()
    started = time.perf_counter()

    def alone() -> T:
        with engine.connect() as connection:
            result = fn(connection)
            if kind == "write":
                connection.commit()  # a no-op in autocommit; it ends the transaction as committed
            return result

    try:
        if gate.inline and kind == "read":
            return alone()
        busy = asyncio.get_running_loop().run_in_executor(gate.executor, alone)
        try:
            return await asyncio.shield(busy)
        except asyncio.CancelledError:
            await asyncio.wait([busy])  # the slot's thread is busy until the statement ends
            raise
    finally:
        gate.slots.release()
        if gate.observe is not None:
            gate.observe(kind, time.perf_counter() - started)


def _busy(exc: BaseException) -> bool:
    """Whether SQLite refused because another connection holds the lock (SQLITE_BUSY or
    SQLITE_LOCKED), not for any other reason (read-only, disk full, corrupt...)."""
    cause = getattr(exc, "orig", None) or exc
    code = getattr(cause, "sqlite_errorcode", None)
    if code is not None:
        return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(cause)


class _Unbuffered:
    """A result without rows (an UPDATE or DELETE): rowcount is already known."""

    __slots__ = ("result",)

    def __init__(self, result: Any) -> None:
        self.result = result


def _buffered(sync: Any, statement: Any, params: Any, kw: dict[str, Any]) -> Any:
    """Execute and fetch every row on the worker thread, so the loop never reads a cursor."""
    result: Result[Any] = sync.execute(statement, params, **kw)
    if isinstance(result, CursorResult) and not result.returns_rows:
        return _Unbuffered(result)
    return result.freeze()()


def _begun_first(sync: Any, fn: Callable[..., T], *args: Any) -> T:
    """Take the connection (BEGIN IMMEDIATE: the one wait) before the call itself."""
    sync.connection()
    return fn(*args)


def _commit_and_close(sync: Any) -> None:
    try:
        sync.commit()
    finally:
        _close(sync)


def _rollback_and_close(sync: Any) -> None:
    try:
        sync.rollback()
    finally:
        _close(sync)


def _close(sync: Any) -> None:
    """Close the session; its transaction is over, so it holds no row any more."""
    try:
        sync.close()
    finally:
        sync.info[HOLDERS].discard(id(sync))
