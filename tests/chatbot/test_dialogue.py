"""Open questions in the database: two first messages from one person at once both open
their question without a key clash; the later one is what stays open."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from chatbot import dialogue
from chatbot.dialogue import Pending
from chatbot.store.engine import Store


async def test_two_first_questions_at_once_do_not_clash(database_url: str) -> None:
    store = Store(database_url)
    await store.migrate()
    key, ttl = "alice|web|direct", timedelta(minutes=5)

    async def second() -> None:
        async with store.transaction() as tx:
            await dialogue.save(tx, key, Pending("confirm", "restart"), ttl)

    try:
        async with store.transaction() as tx:
            assert await dialogue.load(tx, key) is None
            await dialogue.save(tx, key, Pending("confirm", "vpn.reset"), ttl)
            later = asyncio.create_task(second())  # waits for this transaction's key or lock
            await asyncio.sleep(0.3)
            assert not later.done()
        await later  # the old get-then-insert failed here on PostgreSQL (duplicate key)
        async with store.transaction() as tx:
            pending = await dialogue.load(tx, key)
            await dialogue.clear(tx, key)
            assert await dialogue.load(tx, key) is None
    finally:
        await store.close()
    assert pending is not None and pending.skill == "restart"
