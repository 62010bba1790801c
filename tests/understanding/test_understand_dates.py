"""Dates and times people type, resolved to ISO 8601 against an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatbot.config import Catalog
from intents import Understander
from intents.dates import find_dates
from skills.api import Risk, SkillSpec, SlotSpec, SlotType
from tests.understanding.conftest import NOW  # Thursday 2026-11-26 18:30 UTC

PEOPLE = ("alice", "bob", "carol", "dave", "erin")
SCHEDULE = SkillSpec(
    name="restart.schedule",
    description="Schedule a restart of a service for later.",
    examples=(
        "schedule a restart of web tomorrow",
        "plan a restart of billing on friday",
        "schedule restart of checkout at 9am",
        "book a restart for search next monday",
        "schedule a reboot of payments-api",
    ),
    keywords=("schedule", "plan"),
    slots=(SlotSpec("service", SlotType.SERVICE), SlotSpec("when", SlotType.DATE)),
    risk=Risk.MEDIUM,
)


@pytest.mark.parametrize(
    ("text", "value", "typed"),
    [
        ("today", "2026-11-26", "today"),
        ("tomorrow", "2026-11-27", "tomorrow"),
        ("tmrw", "2026-11-27", "tmrw"),
        ("tonight", "2026-11-26", "tonight"),
        ("tonight at 10", "2026-11-26T22:00+00:00", "tonight at 10"),
        ("on friday", "2026-11-27", "friday"),
        ("on thursday", "2026-11-26", "thursday"),
        ("next thursday", "2026-12-03", "next thursday"),
        ("next monday", "2026-11-30", "next monday"),
        ("by sat", "2026-11-28", "sat"),
        ("2026-12-01", "2026-12-01", "2026-12-01"),
        ("2026-12-01 14:05", "2026-12-01T14:05+00:00", "2026-12-01 14:05"),
        ("in 2 hours", "2026-11-26T20:30+00:00", "in 2 hours"),
        ("in an hour", "2026-11-26T19:30+00:00", "in an hour"),
        ("in 3 days", "2026-11-29", "in 3 days"),
        ("at 22:15", "2026-11-26T22:15+00:00", "at 22:15"),
        ("at 10:30", "2026-11-27T10:30+00:00", "at 10:30"),  # already past today
        ("10pm", "2026-11-26T22:00+00:00", "10pm"),
        ("at 12am", "2026-11-27T00:00+00:00", "at 12am"),
        ("tomorrow at 10pm", "2026-11-27T22:00+00:00", "tomorrow at 10pm"),
        ("at 9am on friday", "2026-11-27T09:00+00:00", "at 9am on friday"),
        ("next monday 9:15 am", "2026-11-30T09:15+00:00", "next monday 9:15 am"),
    ],
)
def test_dates_resolve(text: str, value: str, typed: str) -> None:
    found = find_dates(f"do it {text} please", NOW)
    assert [(f.value, f"do it {text} please"[f.start : f.end]) for f in found] == [(value, typed)]


@pytest.mark.parametrize(
    "text",
    [
        "12/01",
        "2026-13-45",
        "for 2 hours",
        "deploy web 5.2.0",
        "close INC0012345",
        "at 25:00",
        "the sun is out",
        "i sat down",
        "13pm",
    ],
)
def test_not_dates(text: str) -> None:
    assert find_dates(text, NOW) == []


def test_same_clock_same_answer_and_other_zones_become_utc() -> None:
    assert find_dates("in 2 hours", NOW) == find_dates("in 2 hours", NOW)
    berlin = NOW.astimezone(timezone(timedelta(hours=1)))
    assert find_dates("in 2 hours", berlin)[0].value == "2026-11-26T20:30+00:00"


def test_durations_stay_durations(nlu: Understander) -> None:
    got = nlu.parse("i need access to grafana for 2 hours")
    assert got.skill == "access.request" and got.slots["duration"].value == "2h"
    labels = {(e.label, e.text) for e in nlu.entities("restart web in 2 hours")}
    assert ("DATE", "in 2 hours") in labels and not any(lb == "DURATION" for lb, _ in labels)


@pytest.fixture(scope="module")
def scheduler(demo_catalog: Catalog) -> Understander:
    return Understander(demo_catalog, PEOPLE, (SCHEDULE,), clock=lambda: NOW)


def test_date_slot_through_parse(scheduler: Understander) -> None:
    got = scheduler.parse("schedule restart of web tomorrow at 10pm")
    assert got.skill == "restart.schedule"
    when = got.slots["when"]
    assert when.value == "2026-11-27T22:00+00:00" and when.text == "tomorrow at 10pm"
    assert got.text[when.start : when.end] == "tomorrow at 10pm"
    assert got.slots["service"].value == "web"


def test_clock_is_injected(demo_catalog: Catalog) -> None:
    later = Understander(
        demo_catalog, PEOPLE, (SCHEDULE,), clock=lambda: datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert later.parse("schedule restart of web tomorrow").slots["when"].value == "2027-01-02"


def test_date_answer_is_read(scheduler: Understander) -> None:
    slot = SCHEDULE.slots[1]
    assert scheduler.read_slot(slot, "next monday at 9am").value == "2026-11-30T09:00+00:00"
    assert scheduler.read_slot(slot, "whenever").value is None


@given(st.text(max_size=300), st.datetimes(timezones=st.just(UTC)))
def test_any_text_any_now(text: str, now: datetime) -> None:
    for found in find_dates(text, now):
        assert 0 <= found.start < found.end <= len(text)
        datetime.fromisoformat(found.value)


@pytest.mark.parametrize(
    "text",
    ["can you go in and restart checkout", "log in and reset my vpn", "drop in anytime"],
)
def test_in_followed_by_a_word_that_starts_like_a_count_is_no_time(text: str) -> None:
    """ "in and" was once read as "in an d" (a day from now): a request would have waited."""
    assert find_dates(text, NOW) == []


@pytest.mark.parametrize(
    ("text", "when"),
    [("in 10min", NOW + timedelta(minutes=10)), ("in an hour", NOW + timedelta(hours=1))],
)
def test_in_a_count_and_a_unit_is_a_moment(text: str, when: datetime) -> None:
    [found] = find_dates(text, NOW)
    assert found.value == when.strftime("%Y-%m-%dT%H:%M+00:00")
