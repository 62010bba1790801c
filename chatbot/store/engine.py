"""The database: one engine, transactions, and schema migration at start.

Public SQLAlchemy only: a synchronous engine (sqlite3, or psycopg 3 with a pool) whose work
runs on a few worker threads, behind the async session in `chatbot.store.session`. SQLite
runs in WAL mode; a transaction that may write opens with BEGIN IMMEDIATE, so two writers
never both read a stale snapshot and then collide, while read-only transactions (`read()`,
`snapshot()`) open with a deferred BEGIN: a WAL snapshot that never waits for a writer.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Table, create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session

from chatbot.errors import StorageUnavailable, StoreError
from chatbot.store.session import TRY_LOCK, Gate, StoreSession, run_alone

T = TypeVar("T")

_MIGRATIONS = Path(__file__).with_name("migrations")

# Set on every SQLite connection before anything else runs; journal_mode and foreign_keys
# only take effect outside a transaction, hence on connect.
_BUSY_TIMEOUT = "PRAGMA busy_timeout=10000"
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    _BUSY_TIMEOUT,
    "PRAGMA foreign_keys=ON",
)
_READ_ONLY = "chatops_read_only"  # execution option: this transaction only reads
# Connections = worker threads = sessions holding a connection at once. Four: with 16
# conversations at once on PostgreSQL (bench.pipeline, 2 cores), 8 threads spent more of the
# process's one interpreter lock on handing it round than on the work (254-258 messages/s,
# CPU 3.5 ms a message) than 2-4 did (297-329/s, CPU 2.8-3.1 ms); SQLite runs most
# statements on the loop's thread anyway.
POOL_SIZE = 4
PING_AFTER = 1.0  # seconds idle after which a pooled PostgreSQL connection is pinged first
_IDLE_SINCE = "chatops_idle_since"  # in a pooled connection's record: when it came back


def _driver_url(url: str) -> URL:
    """The synchronous driver URL for what a user typed."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"CHATOPS_DATABASE_URL is not a database URL: {url!r}; "
            "use sqlite:///path/file.db or postgresql://user@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_setup(engine: Engine) -> None:
    """Pragmas on connect; BEGIN IMMEDIATE for writers and a deferred BEGIN for readers (the
    pysqlite recipe in SQLAlchemy's documentation: the driver's own BEGIN is switched off)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to sqlite3 (the public driver_connection): these run for every
        # transaction, and SQLAlchemy's statement machinery cost more than SQLite here.
        options = conn.get_execution_options()
        driver = conn.connection.driver_connection
        if options.get(_READ_ONLY, False):
            driver.execute("BEGIN")
        elif options.get(TRY_LOCK, False):  # fail at once rather than wait (StoreSession)
            driver.execute("PRAGMA busy_timeout=0")
            try:
                driver.execute("BEGIN IMMEDIATE")
            finally:
                driver.execute(_BUSY_TIMEOUT)
        else:  # the waiting BEGIN: its errors keep SQLAlchemy's wrapping (OperationalError)
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _ping_when_idle(engine: Engine, after: float) -> None:
    """A server can drop a connection (a restart, an idle timeout, a failover), so a pooled
    one that sat idle for `after` seconds is pinged before use, and replaced if the ping
    fails. SQLAlchemy's `pool_pre_ping` pings at every checkout: on a busy process that is
    two round trips (BEGIN, SELECT 1) per transaction, for connections used a moment ago.
    Public pool events: a checkout listener that raises DisconnectionError makes the pool
    retry with a fresh connection."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < after:
            return  # used a moment ago: a connection lost since then fails its statement
        try:
            engine.dialect.do_ping(dbapi_conn)
            dbapi_conn.rollback()  # the ping's implicit transaction; ours begins afresh
        except Exception as exc:
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc


_REVISION = re.compile(r"^(down_revision|revision)\b[^=]*=\s*(None|[\"']([^\"']+)[\"'])", re.M)


def _newest_revision() -> str | None:
    """The single head of the migration chain, read from the files' `revision` and
    `down_revision` lines; None when that is not clear-cut."""
    revisions, parents = set(), set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        found = dict((m.group(1), m.group(3)) for m in _REVISION.finditer(path.read_text()))
        if "revision" not in found or found["revision"] is None:
            return None
        revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def upsert_insert(dialect: str) -> Any:
    """The INSERT construct that offers `on_conflict_do_update` on this database."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql  # here: only PostgreSQL pays for it

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


@functools.cache
def upsert(dialect: str, table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """INSERT of `columns`, or on a conflict on `keys` the update of every other column to
    the inserted value, built once per shape: executed with a dict of those columns, it
    costs the statement alone (building and caching a new one each call cost more)."""
    statement = upsert_insert(dialect)(table)
    excluded = statement.excluded
    changed = {name: excluded[name] for name in columns if name not in keys}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=changed)


def safe_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(str(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


class Store:
    """Owns the engine. `transaction()` is the one way to change state; `read()` and
    `snapshot()` only read and never wait for a writer."""

    def __init__(
        self, url: str, pool_size: int = POOL_SIZE, ping_after: float = PING_AFTER
    ) -> None:
        self.url = url
        self._sync_url = _driver_url(url)
        self.dialect = self._sync_url.get_backend_name()
        if self.dialect == "sqlite":
            if self._sync_url.database:
                Path(self._sync_url.database).parent.mkdir(parents=True, exist_ok=True)
            # Connections move between worker threads, one user at a time (the Gate).
            self.engine: Engine = create_engine(
                self._sync_url,
                connect_args={"check_same_thread": False},
                pool_size=pool_size,
                max_overflow=0,
            )
            _sqlite_setup(self.engine)
        else:
            self.engine = create_engine(self._sync_url, pool_size=pool_size, max_overflow=0)
            _ping_when_idle(self.engine, ping_after)
        read: dict[str, Any] = {_READ_ONLY: True}
        if self.dialect != "sqlite":
            # READ COMMITTED gives each statement its own snapshot anyway, so a read-only
            # transaction there is the same as statements in autocommit, minus the BEGIN and
            # ROLLBACK round trips.
            read["isolation_level"] = "AUTOCOMMIT"
        self._read = self.engine.execution_options(**read)
        # One statement that is a whole transaction by itself (`Store.write_one`).
        self._single = self.engine
        if self.dialect != "sqlite":
            self._single = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        snapshot = {_READ_ONLY: True}
        if self.dialect != "sqlite":
            snapshot["isolation_level"] = "REPEATABLE READ"  # type: ignore[assignment]
        self._snapshot = self.engine.execution_options(**snapshot)
        self._executor = ThreadPoolExecutor(pool_size, thread_name_prefix="store")
        self._gate = Gate(self._executor, pool_size, sqlite=self.dialect == "sqlite")

    def observe(self, callback: Callable[[str, float], None] | None) -> None:
        """Call `callback(kind, seconds)` after every transaction that touched the database
        (kind: write, read or snapshot): the metrics' transaction latency."""
        self._gate.observe = callback

    async def migrate(self) -> None:
        """Bring the schema up to date (Alembic), or raise StoreError saying why not.

        When the database already records the newest revision in the migrations folder,
        Alembic is not even imported: a command-line listing then starts faster. Anything
        unclear (no version table, several heads, an unreadable file) goes to Alembic."""
        if not await asyncio.to_thread(self._at_head):
            await asyncio.to_thread(self._migrate_sync)

    def _at_head(self) -> bool:
        head = _newest_revision()
        if head is None:
            return False
        try:
            with self._read.connect() as connection:  # a read: no write lock
                recorded = connection.execute(text("SELECT version_num FROM alembic_version"))
                return [row[0] for row in recorded] == [head]
        except DBAPIError:  # no version table yet, or no database: let Alembic say
            return False

    def _migrate_sync(self) -> None:
        from alembic import command  # here: commands that never migrate start faster
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except (OperationalError, DBAPIError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            # Unreachable or unwritable is "storage unavailable" (exit 3), not bad input.
            error = StorageUnavailable if isinstance(exc, OperationalError) else StoreError
            raise error(f"cannot use the database at {safe_url(self.url)}: {reason}") from None

    @asynccontextmanager
    async def _session(
        self, engine: Engine, kind: str, wait: bool = True
    ) -> AsyncIterator[StoreSession]:
        session = StoreSession(engine, self._gate, kind, wait)
        try:
            yield session
        except BaseException:
            await session.finish(commit=False)
            raise
        await session.finish(commit=True)

    def transaction(
        self, readonly: bool = False, wait: bool = True
    ) -> AbstractAsyncContextManager[StoreSession]:
        """A session in one transaction: committed on success, rolled back on any error.
        `readonly=True` is `read()`. `wait=False`: on SQLite, raise `Busy` at once when
        another writer holds the write lock instead of queueing (readiness probes)."""
        if readonly:
            return self.read()
        return self._session(self.engine, "write", wait)

    def read(self) -> AbstractAsyncContextManager[StoreSession]:
        """A session that only reads: a deferred BEGIN on SQLite (a WAL snapshot from the
        first read, no write lock, never waits for a writer); on PostgreSQL each statement
        in autocommit, which under READ COMMITTED sees what a transaction would (a snapshot
        per statement) without the BEGIN and ROLLBACK round trips. Do not write in it."""
        return self._session(self._read, "read")

    def snapshot(self) -> AbstractAsyncContextManager[StoreSession]:
        """A read-only session that sees one moment of the database and blocks no writer,
        for long reads such as `audit verify` and `audit export`: SQLite's deferred BEGIN,
        PostgreSQL's REPEATABLE READ. Only read in it."""
        return self._session(self._snapshot, "snapshot")

    async def run(self, fn: Callable[[Session], T]) -> T:
        """`fn(session)` with a synchronous Session, in one write transaction, committed (or
        rolled back on any error) in the same round trip: on PostgreSQL one hop to a worker
        thread for the whole transaction; on SQLite, a writer that got the lock at once runs
        it here. A plain read of rows is `rows()`."""
        return await StoreSession(self.engine, self._gate, "write").run_whole(fn)

    async def write_one(self, statement: Any, params: Mapping[str, Any] | None = None) -> None:
        """Execute one write statement as a transaction of its own (an upsert, a delete):
        on PostgreSQL in autocommit, where the statement commits itself, without the BEGIN
        and COMMIT round trips of a transaction around it, nor an ORM session; on SQLite in
        a write transaction (which costs no round trip there). Core statements only (an
        ORM DELETE or UPDATE would not see a session to keep in step). Never use it for two
        statements that belong together."""
        if self._gate.inline:
            session = StoreSession(self._single, self._gate, "write")
            await session.run_whole(lambda tx: tx.connection().execute(statement, params))
        else:
            await run_alone(self._gate, self._single, lambda c: c.execute(statement, params))

    async def rows(self, statement: Any, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every row of one Core select, read as `read()` reads (never waiting for a
        writer), without an ORM session: on PostgreSQL in autocommit on a worker thread, on
        SQLite here on the loop's thread (a short read)."""

        def found(connection: Connection) -> list[Any]:
            return list(connection.execute(statement, params))

        return await run_alone(self._gate, self._read, found, "read")

    async def ping(self) -> None:
        """One read, for readiness: raises if the database cannot be reached."""
        async with self.read() as session:
            await session.execute(text("SELECT 1"))

    async def close(self) -> None:
        await asyncio.to_thread(self.engine.dispose)
        self._executor.shutdown(wait=False)
