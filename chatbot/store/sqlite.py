"""SQLite under the async engine: one worker thread per connection, one round trip per statement.

aiosqlite, SQLAlchemy's default, hands every step of a statement to its thread separately:
making the cursor, executing, fetching and closing, plus BEGIN, COMMIT and the pool's reset
rollback. A round trip to a thread costs 0.1-0.2 ms on a busy machine, far more than the
statement itself, so a transaction that appends to the audit chain took about 25 of them.
Here a statement and all its rows are one round trip, the transaction's BEGIN IMMEDIATE
travels with its first statement, and COMMIT or ROLLBACK costs nothing when no statement
ran since the last one. The SQL and its meaning are unchanged: every transaction still
starts with BEGIN IMMEDIATE, so writers queue instead of colliding.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.connectors.asyncio import (
    AsyncAdapt_dbapi_connection,
    AsyncAdapt_dbapi_cursor,
    AsyncAdapt_terminate,
)
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

T = TypeVar("T")

# Set on every connection before anything else runs; journal_mode and foreign_keys only
# take effect outside a transaction, which is why the driver applies them, not a listener.
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)
BEGIN = "BEGIN IMMEDIATE"
READ = "BEGIN"  # deferred: in WAL mode a snapshot at the first read that blocks no writer


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What one statement left behind, carried back from the worker thread in one piece."""

    description: Any
    rows: list[Any]
    rowcount: int
    lastrowid: int | None


def _open(args: Sequence[Any], kwargs: dict[str, Any]) -> sqlite3.Connection:
    connection = sqlite3.connect(*args, **kwargs)
    connection.isolation_level = None  # transactions are ours: BEGIN IMMEDIATE, below
    for pragma in PRAGMAS:
        connection.execute(pragma)
    return connection


def _statement(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Outcome(cursor.description, rows, cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


def _within_transaction(
    connection: sqlite3.Connection, begin: str, fn: Callable[..., T], *args: Any
) -> T:
    if not connection.in_transaction:
        connection.execute(begin)
    return fn(connection, *args)


class SqliteThread:
    """One sqlite3 connection and the one thread it is used from."""

    def __init__(self, executor: ThreadPoolExecutor, connection: sqlite3.Connection) -> None:
        self._executor = executor
        self.connection: sqlite3.Connection | None = connection
        self.may_be_in_transaction = False
        self.read_only = False  # this transaction only reads: a snapshot, no write lock

    @classmethod
    async def open(cls, args: Sequence[Any], kwargs: dict[str, Any]) -> SqliteThread:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        try:
            connection = await asyncio.get_running_loop().run_in_executor(
                executor, _open, args, kwargs
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, connection)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _live(self) -> sqlite3.Connection:
        if self.connection is None:
            raise sqlite3.OperationalError("connection closed")
        return self.connection

    async def statement(self, sql: str, parameters: Any, many: bool) -> _Outcome:
        return await self.transact(_statement, sql, parameters, many)

    async def transact(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(connection, *args)` on the thread, inside the current transaction (begun
        first if it has not yet): several statements for the price of one round trip."""
        connection = self._live()
        self.may_be_in_transaction = True
        begin = READ if self.read_only else BEGIN
        return await self.run(_within_transaction, connection, begin, fn, *args)

    async def end(self, commit: bool) -> None:
        """COMMIT or ROLLBACK, skipped when nothing ran since the transaction last ended."""
        self.read_only = False
        if not self.may_be_in_transaction or self.connection is None:
            return
        connection = self.connection
        await self.run(connection.commit if commit else connection.rollback)
        self.may_be_in_transaction = False

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                await self.run(connection.close)
            finally:
                self._executor.shutdown(wait=False)

    def stop(self) -> None:
        """Close from outside the event loop (garbage collection): queue it and move on."""
        connection, self.connection = self.connection, None
        if connection is not None:
            self._executor.submit(connection.close)
            self._executor.shutdown(wait=False)


class _Cursor(AsyncAdapt_dbapi_cursor):
    """A DB-API cursor whose execute returns with all rows fetched: one round trip."""

    __slots__ = ("_outcome",)

    def __init__(self, adapt_connection: _Connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # nothing lives on the other side
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._outcome = _Outcome(None, [], -1, None)

    @property
    def description(self) -> Any:
        return self._outcome.description

    @property
    def rowcount(self) -> int:
        return self._outcome.rowcount

    @property
    def lastrowid(self) -> int:
        return self._outcome.lastrowid  # type: ignore[return-value]

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    def _run(self, operation: str, parameters: Any, many: bool) -> None:
        thread: SqliteThread = self._adapt_connection._connection  # type: ignore[assignment]
        try:
            self._outcome = await_(thread.statement(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._rows = collections.deque(self._outcome.rows)

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._run(operation, () if parameters is None else parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._run(operation, seq_of_parameters, True)

    def nextset(self) -> None:
        return None

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class _Connection(AsyncAdapt_terminate, AsyncAdapt_dbapi_connection):
    __slots__ = ()

    _cursor_cls = _Cursor
    _ss_cursor_cls = _Cursor  # every result is fetched whole; there is no server side

    @property
    def _thread(self) -> SqliteThread:
        return self._connection  # type: ignore[return-value]

    @property
    def isolation_level(self) -> str:
        return "IMMEDIATE"

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        connection = self._thread._live()
        try:
            await_(self._thread.run(lambda: connection.create_function(*args, **kwargs)))
        except Exception as error:
            self._handle_exception(error)

    def commit(self) -> None:
        try:
            await_(self._thread.end(commit=True))
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        try:
            await_(self._thread.end(commit=False))
        except Exception as error:
            self._handle_exception(error)

    def close(self) -> None:
        await_(self._thread.close())

    async def _terminate_graceful_close(self) -> None:
        await self._thread.close()

    def _terminate_force_close(self) -> None:
        self._thread.stop()


class SqliteDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API module SQLAlchemy's aiosqlite dialect talks to, backed by SqliteThread.

    Pass it as `create_async_engine(..., module=SqliteDbapi())`; errors are sqlite3's own.
    """

    def __init__(self) -> None:
        super().__init__(sqlite3, sqlite3)
        self.has_stop = True

    def connect(self, *args: Any, **kwargs: Any) -> _Connection:  # type: ignore[override]
        if kwargs.pop("async_creator_fn", None) is not None:
            raise TypeError("async_creator_fn is not supported: this driver opens sqlite3 itself")
        return _Connection(self, await_(SqliteThread.open(args, kwargs)))


async def thread_of(connection: AsyncConnection) -> SqliteThread | None:
    """The SQLite thread behind an engine connection, or None on any other database."""
    raw = await connection.get_raw_connection()
    adapted = raw.dbapi_connection
    return adapted._thread if isinstance(adapted, _Connection) else None
