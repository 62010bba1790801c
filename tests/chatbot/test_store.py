"""The store: migrations at start, upgrades that keep data, clear errors for bad URLs."""

from __future__ import annotations

import pytest
from sqlalchemy import text

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
