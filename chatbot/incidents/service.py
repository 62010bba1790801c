"""Opening what the incident commands need, and nothing more: the store and the book, without
the language model or the skills, so `chatops incidents list` starts in a blink."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from chatbot.config import Settings
from chatbot.errors import UserError
from chatbot.identity import Directory
from chatbot.incidents.book import IncidentBook
from chatbot.store.opening import open_store


@asynccontextmanager
async def open_book(settings: Settings) -> AsyncIterator[IncidentBook]:
    async with open_store(settings) as store:
        yield IncidentBook(store, settings.incidents)


async def person(settings: Settings, book: IncidentBook, who: str) -> str:
    """The directory name of `--as` (a name or an email), from the directory in the database,
    so people provisioned over SCIM can act from a terminal too."""
    directory = Directory(settings)
    await directory.load(book.store)
    found = directory.find_any(who)
    if found is None:
        raise UserError(f"unknown person {who!r}; give a name or email from the directory")
    return found.name


__all__ = ["open_book", "open_store", "person"]
