"""The incident book on its own store: concurrency, identity, suspected changes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from chatbot.config import IncidentSettings
from chatbot.errors import UserError
from chatbot.governance.clock import ManualClock
from chatbot.incidents.book import IncidentBook, IncidentState, parse_ref
from chatbot.incidents.changes import suspected_changes
from chatbot.incidents.fingerprint import label_fingerprint
from chatbot.incidents.payloads import Source, parse
from chatbot.store.engine import Store
from chatbot.store.tables import Action
from tests.incidents.payloads import alert, alertmanager, minutes

START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
async def book(database_url: str) -> AsyncIterator[IncidentBook]:
    store = Store(database_url)
    await store.migrate()
    try:
        yield IncidentBook(
            store,
            IncidentSettings(dependencies={"checkout": ("payments-api",)}),
            ManualClock(START + minutes(1)),
        )
    finally:
        await store.close()


async def test_ten_identical_deliveries_at_once_make_one_alert_and_one_incident(
    book: IncidentBook,
) -> None:
    notices = parse(Source.ALERTMANAGER, alertmanager([alert("firing", START)]))
    results = await asyncio.gather(*(book.ingest(notices) for _ in range(10)))
    assert sum(len(r.opened) for r in results) == 1
    (incident,) = await book.listing()
    assert incident.id is not None
    (only,) = await book.alerts(incident.id)
    assert only.deliveries == 10
    fired = [e for e in await book.timeline(incident.id) if e.kind == "alert.fired"]
    assert len(fired) == 1


def test_a_missing_fingerprint_is_recomputed_as_prometheus_does() -> None:
    # Empty label set: FNV-1a 64's offset basis, as Prometheus prints it.
    assert label_fingerprint({}) == "cbf29ce484222325"
    body = alertmanager([alert("firing", START, fingerprint=None)])
    (notice,) = parse(Source.ALERTMANAGER, body)
    assert notice.fingerprint == label_fingerprint(body["alerts"][0]["labels"])
    reordered = dict(reversed(list(body["alerts"][0]["labels"].items())))
    assert label_fingerprint(reordered) == notice.fingerprint


def test_end_counts_only_on_resolved_alerts() -> None:
    planned = START + minutes(30)
    (firing,) = parse(Source.ALERTMANAGER, alertmanager([alert("firing", START, ends=planned)]))
    assert firing.ends_at is None
    (done,) = parse(Source.ALERTMANAGER, alertmanager([alert("resolved", START, ends=planned)]))
    assert done.ends_at == planned


async def test_truncated_deliveries_mark_the_incident_partial(book: IncidentBook) -> None:
    await book.ingest(
        parse(Source.ALERTMANAGER, alertmanager([alert("firing", START)], truncated=3))
    )
    (incident,) = await book.listing()
    assert incident.partial


async def _ran(book: IncidentBook, skill: str, slots: dict[str, str], at: datetime) -> None:
    async with book.store.transaction() as tx:
        tx.add(
            Action(
                requester="bob",
                skill=skill,
                slots=json.dumps(slots),
                state="succeeded",
                platform="web",
                channel="web",
                created_at=at,
                updated_at=at,
            )
        )


async def test_a_deploy_minutes_before_impact_is_the_first_suspected_change(
    book: IncidentBook,
) -> None:
    here = {"service": "checkout", "env": "prod", "version": "2.4.1"}
    await _ran(book, "deploy", here, START - minutes(8))
    await _ran(book, "service.restart", {"service": "checkout", "env": "prod"}, START - minutes(30))
    await _ran(book, "deploy", {"service": "payments-api", "env": "prod"}, START - minutes(3))
    await _ran(book, "deploy", {"service": "search", "env": "prod"}, START - minutes(2))
    await _ran(book, "deploy", {**here, "version": "2.4.0"}, START - minutes(120))
    await _ran(book, "deploy", {**here, "env": "staging"}, START - minutes(1))
    async with book.store.transaction() as tx:
        found = await suspected_changes(
            tx, "checkout", "prod", START, 60, book.settings.dependencies
        )
    assert [(c.skill, c.service, round(c.minutes_before)) for c in found] == [
        ("deploy", "checkout", 8),
        ("service.restart", "checkout", 30),
        ("deploy", "payments-api", 3),
    ]
    assert found[0].version == "2.4.1" and found[2].relation == "dependency"


async def test_people_move_incidents_only_along_the_state_machine(book: IncidentBook) -> None:
    await book.ingest(parse(Source.ALERTMANAGER, alertmanager([alert("firing", START)])))
    acked = await book.move(1, IncidentState.ACKNOWLEDGED, "carol")
    assert acked.acknowledged_by == "carol" and acked.acknowledged_at == START + minutes(1)
    with pytest.raises(UserError, match="cannot become acknowledged"):
        await book.move(1, IncidentState.ACKNOWLEDGED, "dave")
    with pytest.raises(UserError, match="cannot become closed"):
        await book.move(1, IncidentState.CLOSED, "dave")
    await book.move(1, IncidentState.RESOLVED, "carol")
    with pytest.raises(UserError, match="no incident INC-9"):
        await book.move(9, IncidentState.RESOLVED, "carol")
    kinds = [(e.kind, e.actor) for e in await book.timeline(1)]
    assert kinds[-2:] == [("state", "carol"), ("state", "carol")]


def test_incident_references_read_both_ways() -> None:
    assert parse_ref("INC-12") == parse_ref("12") == parse_ref("inc-12") == 12
    with pytest.raises(UserError):
        parse_ref("INC0001234x")
