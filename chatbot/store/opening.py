"""The store alone, opened and migrated: what a command-line listing or the incident commands
need, without the assistant (no language model, no skills, no background timers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings
    from chatbot.store.engine import Store


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[Store]:
    """The store, its schema brought up to date (a version check when it already is), closed
    on the way out."""
    from chatbot.store.engine import Store

    store = Store(settings.database)
    try:
        await store.migrate()
        yield store
    finally:
        await store.close()
