"""The store: migrations at start, upgrades that keep data, clear errors for bad URLs."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from chatbot.errors import StoreError
from chatbot.store.engine import Store


async def test_migrating_twice_keeps_the_data(database_url: str) -> None:
    store = Store(database_url)
    await store.migrate()
    async with store.transaction() as tx:
        await tx.exec(text("INSERT INTO kv_items VALUES ('t', 'k', '1', CURRENT_TIMESTAMP)"))  # type: ignore[call-overload]
    await store.migrate()
    async with store.transaction() as tx:
        rows = (await tx.exec(text("SELECT value FROM kv_items"))).all()  # type: ignore[call-overload]
    await store.close()
    assert [r[0] for r in rows] == ["1"]


async def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    await store.migrate()
    async with store.transaction() as tx:
        mode = (await tx.exec(text("PRAGMA journal_mode"))).one()  # type: ignore[call-overload]
    await store.close()
    assert mode[0] == "wal"


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("postgresql://nobody:s3cret@127.0.0.1:1/x", "cannot use the database at"),
        ("not a url", "is not a database URL"),
    ],
)
async def test_bad_database_urls_are_clear_errors(url: str, needle: str) -> None:
    with pytest.raises(StoreError) as caught:
        store = Store(url)
        await store.migrate()
    assert needle in str(caught.value)
    assert "s3cret" not in str(caught.value)


async def sqlite_store(tmp_path) -> Store:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    await store.migrate()
    return store


async def test_sqlite_writers_queue_rather_than_collide(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each transaction opens with BEGIN IMMEDIATE on its own connection and thread: a second
    writer waits for the first to commit (the event loop runs on meanwhile), then reads its
    write. A read-increment-write from 20 tasks at once loses no increment."""
    store = await sqlite_store(tmp_path)
    put = "INSERT INTO kv_items VALUES ('t', 'n', '0', CURRENT_TIMESTAMP)"
    async with store.transaction() as tx:
        await tx.exec(text(put))  # type: ignore[call-overload]

    async def increment() -> None:
        async with store.transaction() as tx:
            (value,) = (await tx.exec(text("SELECT value FROM kv_items"))).one()  # type: ignore[call-overload]
            await asyncio.sleep(0.001)  # other tasks run here, and must queue
            await tx.exec(text(f"UPDATE kv_items SET value = '{int(value) + 1}'"))  # type: ignore[call-overload]

    await asyncio.gather(*(increment() for _ in range(20)))
    async with store.transaction() as tx:
        (value,) = (await tx.exec(text("SELECT value FROM kv_items"))).one()  # type: ignore[call-overload]
    await store.close()
    assert value == "20"


async def test_sqlite_errors_roll_back_the_whole_transaction(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = await sqlite_store(tmp_path)
    put = "INSERT INTO kv_items VALUES ('t', 'k', '{}', CURRENT_TIMESTAMP)"
    with pytest.raises(IntegrityError):
        async with store.transaction() as tx:
            await tx.exec(text(put.format(1)))  # type: ignore[call-overload]
            await tx.exec(text(put.format(2)))  # type: ignore[call-overload]
    async with store.transaction() as tx:
        rows = (await tx.exec(text("SELECT value FROM kv_items"))).all()  # type: ignore[call-overload]
        keys = (await tx.exec(text("PRAGMA foreign_keys"))).one()  # type: ignore[call-overload]
    await store.close()
    assert rows == [] and keys[0] == 1


async def test_a_connection_the_server_dropped_is_replaced_after_idling(database_url: str) -> None:
    """A pooled PostgreSQL connection idle longer than `ping_after` is pinged before use;
    one the server closed meanwhile is replaced, and the transaction never sees it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    store = Store(database_url, pool_size=1, ping_after=0.2)
    try:
        async with store.read() as tx:
            first = (await tx.exec(text("SELECT pg_backend_pid()"))).one()[0]  # type: ignore[call-overload]
        admin = Store(database_url, pool_size=1)
        async with admin.transaction() as tx:
            await tx.exec(text(f"SELECT pg_terminate_backend({first})"))  # type: ignore[call-overload]
        await admin.close()
        await asyncio.sleep(0.3)
        async with store.read() as tx:
            second = (await tx.exec(text("SELECT pg_backend_pid()"))).one()[0]  # type: ignore[call-overload]
    finally:
        await store.close()
    assert second != first


async def test_a_lone_statement_cancelled_midway_gives_its_connection_back(
    database_url: str,
) -> None:
    """`write_one` and `rows` take no ORM session and hold a slot of their own; a caller
    cancelled while its statement runs frees that slot once the statement ends: with a pool
    of one, the next read gets through and the store goes on working."""
    if not database_url.startswith("postgresql"):
        pytest.skip("on SQLite a lone statement runs on the loop's thread: none to cancel")
    store = Store(database_url, pool_size=1)
    try:
        await store.migrate()
        waiting = asyncio.create_task(store.write_one(text("SELECT pg_sleep(0.3)")))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        rows = await asyncio.wait_for(store.rows(text("SELECT 7")), timeout=5)
        await store.write_one(
            text("INSERT INTO kv_items VALUES ('t', 'k', '1', CURRENT_TIMESTAMP)")
        )
        kept = await store.rows(text("SELECT value FROM kv_items"))
    finally:
        await store.close()
    assert rows[0][0] == 7 and kept[0][0] == "1"
