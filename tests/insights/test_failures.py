"""The database's judgement of failed deploys agrees with `chatops kpi`'s, deploy by deploy
totals, on a week of deploys, rollbacks and incidents that touch every edge of the rule."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from chatbot.incidents.kpi import change_outcomes
from chatbot.incidents.tables import Incident
from chatbot.insights.failures import failures
from chatbot.insights.period import Period, Step
from chatbot.store.engine import Store
from chatbot.store.tables import Action
from tests.insights.fixture import MONDAY

SERVICES = ("checkout", "billing", "search")
ENVS = ("prod", "staging", "")


def _week() -> list[Action | Incident]:
    pick = random.Random(16)
    rows: list[Action | Incident] = []
    for n in range(1, 121):
        at = MONDAY + timedelta(minutes=pick.randrange(0, 7 * 24 * 60))
        where = {"service": pick.choice(SERVICES), "env": pick.choice(ENVS[:2])}
        skill = "deploy.rollback" if n % 9 == 0 else "deploy"
        rows.append(
            Action(
                id=n,
                requester="bob",
                skill=skill,
                state="succeeded",
                platform="web",
                channel="web",
                slots=json.dumps(where),
                created_at=at,
                updated_at=at,
            )
        )
        if n % 3 == 0:  # an incident soon after, or at the same minute, or much later
            later = timedelta(minutes=pick.choice((0, 5, 30, 59, 61, 300)))
            rows.append(
                Incident(
                    id=n,
                    group_key=f"g{n}",
                    source="alertmanager",
                    title="Errors",
                    service=where["service"],
                    env=pick.choice(ENVS),
                    state="open",
                    started_at=at + later,
                    created_at=at + later,
                    updated_at=at + later,
                )
            )
    return rows


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store(database_url)
    await store.migrate()
    async with store.transaction() as tx:
        tx.add_all(_week())
    yield store
    await store.close()


async def test_the_database_and_the_summary_judge_deploys_alike(store: Store) -> None:
    period = Period.of(MONDAY, MONDAY + timedelta(days=7), Step.DAY)
    async with store.read() as tx:
        judged = await failures(tx, period, 60)
        one_by_one = await change_outcomes(tx, period.since, 60, period.until)
    by_day: dict[int, tuple[int, int]] = {}
    for o in one_by_one:
        b = Period.bucket_of(Step.DAY, o.at)
        n, f = by_day.get(b, (0, 0))
        by_day[b] = (n + 1, f + o.failed)
    assert judged == by_day
    failed = sum(f for _, f in judged.values())
    assert 10 < failed < sum(n for n, _ in judged.values())  # the data has both kinds
