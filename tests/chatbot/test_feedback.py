"""Thumbs up and down: one vote per person and answer, audited, counted since a time."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from chatbot import feedback
from chatbot.feedback import Satisfaction, Verdict
from chatbot.governance import audit
from chatbot.store.engine import Store
from chatbot.types import utcnow


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = Store(database_url)
    await opened.migrate()
    yield opened
    await opened.close()


async def test_a_second_vote_replaces_the_first(store: Store) -> None:
    await feedback.record(store, person="alice", reply_id="r1", verdict=Verdict.DOWN, skill=None)
    await feedback.record(
        store, person="alice", reply_id="r1", verdict=Verdict.UP, skill="kb.search"
    )
    await feedback.record(store, person="bob", reply_id="r1", verdict=Verdict.DOWN, skill=None)
    await feedback.record(store, person="alice", reply_id="r2", verdict=Verdict.UP, skill=None)
    counted = await feedback.tally(store)
    assert counted == Satisfaction(up=2, down=1)
    assert counted.rate == pytest.approx(2 / 3)


async def test_every_vote_is_audited(store: Store) -> None:
    await feedback.record(store, person="alice", reply_id="r1", verdict=Verdict.DOWN, skill=None)
    await feedback.record(
        store, person="alice", reply_id="r1", verdict=Verdict.UP, skill="kb.search"
    )
    async with store.read() as tx:
        entries = [e async for e in audit.entries(tx)]
    votes = [e for e in entries if e.event == feedback.EVENT]
    assert [(v.actor, v.outcome, v.skill) for v in votes] == [
        ("alice", "down", None),
        ("alice", "up", "kb.search"),
    ]
    assert json.loads(votes[1].detail) == {"reply_id": "r1", "replaces": "down"}
    async with store.snapshot() as tx:
        assert (await audit.verify(tx)).ok


async def test_counting_since_a_time(store: Store) -> None:
    await feedback.record(store, person="alice", reply_id="r1", verdict=Verdict.UP, skill=None)
    assert await feedback.tally(store, since=utcnow() + timedelta(minutes=1)) == Satisfaction(0, 0)
    assert await feedback.tally(store, since=utcnow() - timedelta(minutes=1)) == Satisfaction(1, 0)


def test_no_votes_is_no_rate_not_zero() -> None:
    assert Satisfaction(up=0, down=0).rate is None
    assert Satisfaction(up=3, down=1).rate == 0.75
    assert Verdict("up") is Verdict.UP and str(Verdict.DOWN) == "down"
