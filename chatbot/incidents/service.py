"""Opening what the incident commands need, and nothing more: the store and the book, without
the language model or the skills, so `chatops incidents list` starts in a blink."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from chatbot.config import Settings
from chatbot.errors import UserError
from chatbot.incidents.book import IncidentBook
from chatbot.store.engine import Store


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[Store]:
    store = Store(settings.database)
    try:
        await store.migrate()
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def open_book(settings: Settings) -> AsyncIterator[IncidentBook]:
    async with open_store(settings) as store:
        yield IncidentBook(store, settings.incidents)


def person(settings: Settings, who: str) -> str:
    """A directory name from a name or an email."""
    wanted = who.strip().lower()
    for name, entry in settings.people.items():
        if wanted in (name, entry.email.lower()):
            return name
    raise UserError(f"unknown person {who!r}; give a name or email from the directory")
