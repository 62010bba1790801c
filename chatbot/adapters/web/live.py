"""Live screens: server-sent events of a person's own conversation, and nobody else's.

A stream names no person itself: the route resolves who is asking exactly as for a chat
message (the picker in demo mode, the proxy's header behind a proxy) and hands the stream that
one name. It sends every row of that person's conversation after the cursor it was given
(`Last-Event-ID` on a reconnect), then waits: woken at once when this process keeps something
for them, and every few seconds regardless (another replica may have; a timer may have left
a notification in the outbox, which the stream takes into the conversation).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any, Protocol

from sse_starlette import ServerSentEvent

from chatbot.governance import storage

log = logging.getLogger(__name__)
TICK_SECONDS = 3.0
RETRY_MS = 3000


class Hub:
    """In-process wake-ups: each open stream waits on an event filed under its person."""

    def __init__(self) -> None:
        self._waiting: defaultdict[str, set[asyncio.Event]] = defaultdict(set)

    @contextlib.contextmanager
    def listening(self, person: str) -> Iterator[asyncio.Event]:
        woken = asyncio.Event()
        self._waiting[person].add(woken)
        try:
            yield woken
        finally:
            self._waiting[person].discard(woken)
            if not self._waiting[person]:
                del self._waiting[person]

    def wake(self, people: Iterable[str]) -> None:
        for person in set(people):
            for woken in self._waiting.get(person, ()):
                woken.set()

    def listeners(self, person: str) -> int:
        return len(self._waiting.get(person, ()))


Change = tuple[int, str, dict[str, Any]]  # (cursor, event name, the entry as JSON)


class Source(Protocol):
    """What a stream needs from the web chat (delivery.WebChat)."""

    hub: Hub

    async def take(self, person: str) -> Sequence[object]:
        """Bring what waits elsewhere for this person into their conversation."""
        ...

    async def changes(self, person: str, after: int) -> tuple[list[Change], int]:
        """The changes to their conversation after `after`, and the new cursor."""
        ...


async def stream(
    source: Source, person: str, after: int, tick: float = TICK_SECONDS
) -> AsyncIterator[ServerSentEvent]:
    """The person's conversation from `after` on, for as long as the client listens."""
    yield ServerSentEvent(comment="connected", retry=RETRY_MS)
    with source.hub.listening(person) as woken:
        while True:
            woken.clear()
            try:
                await source.take(person)
                changes, after = await source.changes(person, after)
            except Exception as exc:
                if not storage.unavailable(exc):
                    raise
                log.warning("web stream for %s: %s", person, storage.one_line(exc))
                changes = []
            for cursor, event, shown in changes:
                yield ServerSentEvent(data=json.dumps(shown), event=event, id=str(cursor))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), tick)
