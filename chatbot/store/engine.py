"""The database: one async engine, transactions, and schema migration at start.

SQLite runs in WAL mode and opens every transaction with BEGIN IMMEDIATE, so two writers
never both read a stale snapshot and then collide; the async engine reaches it through
`chatbot.store.sqlite` (one thread hop per statement). PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.errors import StorageUnavailable, StoreError
from chatbot.store import sqlite

_MIGRATIONS = Path(__file__).with_name("migrations")


def _driver_urls(url: str) -> tuple[URL, URL]:
    """The async and the sync (migration) URL for what a user typed."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"CHATOPS_DATABASE_URL is not a database URL: {url!r}; "
            "use sqlite:///path/file.db or postgresql://user@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite"), parsed.set(drivername="sqlite")
    if backend in ("postgresql", "postgres"):
        pg = parsed.set(drivername="postgresql+psycopg")
        return pg, pg
    return parsed, parsed


def _sqlite_sync_setup(engine: Any) -> None:
    """The migration engine (plain sqlite3) behaves like the async driver: same pragmas,
    BEGIN IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        for pragma in sqlite.PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(sqlite.BEGIN)


def upsert_insert(dialect: str) -> Any:
    """The INSERT construct that offers `on_conflict_do_update` on this database."""
    return postgresql.insert if dialect == "postgresql" else sqlite_dialect.insert


def safe_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(str(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


class Store:
    """Owns the engine. `transaction()` is the one way to read or change state."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._async_url, self._sync_url = _driver_urls(url)
        self.dialect = self._async_url.get_backend_name()
        if self.dialect == "sqlite" and self._async_url.database:
            Path(self._async_url.database).parent.mkdir(parents=True, exist_ok=True)
        # A SQLite file cannot drop a connection the way a server can, so only servers get
        # the liveness ping (one round trip per transaction saved on SQLite).
        if self.dialect == "sqlite":
            self.engine: AsyncEngine = create_async_engine(
                self._async_url, module=sqlite.SqliteDbapi()
            )
        else:
            self.engine = create_async_engine(self._async_url, pool_pre_ping=True)

    async def migrate(self) -> None:
        """Bring the schema up to date (Alembic), or raise StoreError saying why not."""
        await asyncio.to_thread(self._migrate_sync)

    def _migrate_sync(self) -> None:
        engine = create_engine(self._sync_url)
        if self.dialect == "sqlite":
            _sqlite_sync_setup(engine)
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except (OperationalError, DBAPIError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            # Unreachable or unwritable is "storage unavailable" (exit 3), not bad input.
            error = StorageUnavailable if isinstance(exc, OperationalError) else StoreError
            raise error(f"cannot use the database at {safe_url(self.url)}: {reason}") from None
        finally:
            engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any error."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A read-only session that sees one moment of the database and blocks no writer,
        for long reads such as `audit verify` and `audit export`: SQLite's deferred BEGIN
        (a WAL snapshot from the first read), PostgreSQL's REPEATABLE READ. Only read in it."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
            if self.dialect == "sqlite":
                thread = await sqlite.thread_of(await session.connection())
                if thread is not None:
                    thread.read_only = True
            else:
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
