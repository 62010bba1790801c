"""KPI series from a week of known records, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from chatbot import feedback
from chatbot.errors import UserError
from chatbot.feedback import Verdict
from chatbot.incidents import kpi
from chatbot.insights.period import Period, Step
from chatbot.insights.requests import Ending
from chatbot.insights.satisfaction import Satisfaction, no_votes
from chatbot.insights.trends import trends
from chatbot.store.engine import Store
from tests.insights.fixture import MONDAY, seed

WEEK = Period.of(MONDAY, MONDAY + timedelta(days=7), Step.DAY)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store(database_url)
    await store.migrate()
    await seed(store)
    yield store
    await store.close()


async def test_each_day_has_its_own_figures(store: Store) -> None:
    found = await trends(store, WEEK)
    assert [d.isoformat() for d in found.buckets][:2] == ["2026-11-23", "2026-11-24"]
    assert found["incidents"].values == (2, None, 1, 1, None, None, None)
    assert found["mtta_seconds"].values == (120, None, None, 300, None, None, None)
    assert found["mtta_seconds"].counts == (2, 0, 0, 1, 0, 0, 0)
    assert found["mttr_seconds"].values == (1200, None, 3600, None, None, None, None)
    assert found["automation_rate"].values[:4] == (0.5, None, 1.0, 0.0)
    assert found["auto_remediation_rate"].values[:3] == (0.5, None, 0.0)
    assert found["deflection_rate"].values[:2] == (None, 0.25)
    assert found["support_offers"].counts[1] == 4
    assert found["change_failure_rate"].values[3] == 0.5
    assert found["deploys"].values[3] == 2
    assert found["approval_latency_seconds"].values[4] == 900


async def test_weeks_add_up_the_days(store: Store) -> None:
    found = await trends(store, Period.of(MONDAY, MONDAY + timedelta(days=7), Step.WEEK))
    assert found.buckets == (MONDAY.date(),)
    assert found["incidents"].values == (4,)
    assert found["mtta_seconds"].values == (180,)  # (60 + 180 + 300) / 3
    assert found["automation_rate"].values == (0.5,)  # 2 of 4


async def test_requests_by_skill_and_how_they_ended(store: Store) -> None:
    found = {r.skill: r for r in (await trends(store, WEEK)).requests}
    assert found["deploy"].counts == {Ending.DONE: 2, Ending.REFUSED: 1}
    assert found["access.request"].counts == {Ending.DONE: 1, Ending.REFUSED: 1}
    assert found["ticket.status"].counts == {Ending.DONE: 1}
    assert (await trends(store, WEEK)).requests[0].skill == "deploy"


async def test_satisfaction_is_the_share_of_thumbs_up(store: Store) -> None:
    found = await trends(store, WEEK)
    assert found.satisfaction == Satisfaction(3, 1)
    assert found.as_json()["satisfaction"] == {"up": 3, "down": 1, "rate": 0.75}
    assert found["satisfaction_rate"].values[4] == 0.75
    assert found["satisfaction_rate"].counts == (0, 0, 0, 0, 4, 0, 0)
    await feedback.record(store, person="dave", reply_id="r2", verdict=Verdict.DOWN, skill=None)
    now = await trends(store, WEEK)  # dave voted today, after the week: the tally says since
    assert now.satisfaction == Satisfaction(3, 2)


async def test_a_build_without_votes_shows_no_satisfaction(store: Store) -> None:
    assert (await trends(store, WEEK, satisfaction=no_votes)).satisfaction is None


async def test_the_summary_report_counts_deflection_too(store: Store) -> None:
    report = await kpi.report(store, MONDAY)
    assert report.figures["deflection_rate"] == 0.25
    assert report.figures["change_failure_rate"] == 0.5


def test_a_range_is_checked_before_anything_is_read() -> None:
    with pytest.raises(UserError, match="after its start"):
        Period.of(MONDAY, MONDAY)
    with pytest.raises(UserError, match="at most"):
        Period.of(MONDAY, MONDAY + timedelta(days=2000), Step.DAY)
    assert (
        Period.of(MONDAY + timedelta(days=3), MONDAY + timedelta(days=9), Step.WEEK).since == MONDAY
    )
    assert Period.of(MONDAY, MONDAY + timedelta(days=365)).step is Step.WEEK


async def test_the_whole_range_is_the_days_weighted_by_their_rows(store: Store) -> None:
    days = await trends(store, WEEK)
    week = await trends(store, Period.of(MONDAY, MONDAY + timedelta(days=7), Step.WEEK))
    for key in ("mtta_seconds", "mttr_seconds", "automation_rate", "change_failure_rate"):
        assert days[key].overall() == week[key].values[0], key
    assert days["deflection_rate"].overall() == 0.25
