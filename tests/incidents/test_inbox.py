"""The intake's inbox on its own store: what is kept before the answer is processed after,
once, in order, at the time it was received; failures wait and are retried, then parked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from chatbot.config import IncidentSettings
from chatbot.governance.clock import ManualClock
from chatbot.incidents.book import IncidentBook
from chatbot.incidents.inbox import ATTEMPTS, Inbox
from chatbot.incidents.payloads import Notice, Source, parse
from chatbot.incidents.tables import AlertDelivery
from chatbot.store.engine import Store
from tests.incidents.payloads import alert, alertmanager, minutes

START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
async def book(database_url: str) -> AsyncIterator[IncidentBook]:
    store = Store(database_url)
    await store.migrate()
    try:
        yield IncidentBook(store, IncidentSettings(), ManualClock(START + minutes(1)))
    finally:
        await store.close()


def notices(status: str = "firing", **fields: object) -> list[Notice]:
    return parse(Source.ALERTMANAGER, alertmanager([alert(status, START, **fields)]))  # type: ignore[arg-type]


async def waiting(book: IncidentBook) -> list[AlertDelivery]:
    async with book.store.read() as tx:
        return list((await tx.exec(select(AlertDelivery))).all())


async def test_what_was_kept_is_processed_once_at_the_time_it_was_received(
    book: IncidentBook,
) -> None:
    inbox = Inbox(book)
    received = book.clock()
    await inbox.record(Source.ALERTMANAGER, notices())
    await inbox.record(Source.ALERTMANAGER, notices())
    assert await book.listing() == []  # kept, not processed yet
    book.clock.advance(minutes=10)  # type: ignore[attr-defined]
    await inbox.drain()
    (incident,) = await book.listing()
    assert incident.id is not None and incident.created_at == received
    (only,) = await book.alerts(incident.id)
    assert only.deliveries == 2
    assert only.first_received_at == only.last_received_at == received
    await inbox.drain()  # nothing is left to count twice
    assert (await book.alerts(incident.id))[0].deliveries == 2
    assert await waiting(book) == []


async def test_deliveries_are_processed_in_the_order_they_arrived(book: IncidentBook) -> None:
    inbox = Inbox(book)
    ends = START + minutes(42)
    await inbox.record(Source.ALERTMANAGER, notices())
    await inbox.record(Source.ALERTMANAGER, notices("resolved", ends=ends))
    await inbox.drain()
    (incident,) = await book.listing(open_only=False)
    assert incident.state == "resolved" and incident.resolved_at == ends


async def test_two_processes_draining_at_once_count_each_delivery_once(
    book: IncidentBook,
) -> None:
    here, there = Inbox(book), Inbox(book)  # each with its own in-process turn
    for _ in range(10):
        await here.record(Source.ALERTMANAGER, notices())
    await asyncio.gather(here.drain(), there.drain())
    (incident,) = await book.listing()
    assert incident.id is not None
    (only,) = await book.alerts(incident.id)
    assert only.deliveries == 10
    fired = [e for e in await book.timeline(incident.id) if e.kind == "alert.fired"]
    assert len(fired) == 1


async def test_a_delivery_that_fails_waits_is_retried_and_is_parked_after_the_last_attempt(
    book: IncidentBook, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox(book)
    async with book.store.transaction() as tx:  # as an older version might have left it
        tx.add(AlertDelivery(source="alertmanager", notices="{not a list", received_at=START))
    await inbox.record(Source.ALERTMANAGER, notices())
    await inbox.drain()
    assert len(await book.listing()) == 1  # the good one behind it went on
    (stuck,) = await waiting(book)
    assert stuck.attempts == 1 and "ValidationError" in stuck.error
    assert stuck.next_try_at is not None and stuck.next_try_at > book.clock()
    await inbox.drain()  # not due yet: untouched
    assert (await waiting(book))[0].attempts == 1
    with caplog.at_level(logging.ERROR):
        for _ in range(ATTEMPTS + 2):
            book.clock.advance(hours=2)  # type: ignore[attr-defined]
            await inbox.drain()
    (parked,) = await waiting(book)
    assert parked.attempts == ATTEMPTS
    assert "left in alert_deliveries" in caplog.text
