"""Change windows and freeze periods, case by case (who, what, when -> decision), through
Assistant.handle with an injected clock; and their config validated at start."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from chatbot.errors import ConfigError
from chatbot.governance import audit
from chatbot.governance.clock import ManualClock
from chatbot.testing import text_of
from chatbot.types import ReplyKind
from tests.governance.harness import MakeChat, settings_from

CALENDAR = """
[[windows]]
name = "prod-business-hours"
skill = "deploy"
where = { env = ["prod"] }
days = ["mon", "tue", "wed", "thu"]
start = 09:00:00
end = 17:00:00
timezone = "Europe/Berlin"

[[windows]]
name = "new-york-mornings"
skill = "deploy.rollback"
where = { env = ["prod"] }
days = ["mon", "tue", "wed", "thu", "fri"]
start = 09:00:00
end = 12:00:00
timezone = "America/New_York"

[[freezes]]
name = "year-end"
skill = "deploy*"
where = { env = ["prod"] }
start = 2026-12-20T00:00:00
end = 2027-01-04T00:00:00
timezone = "Europe/Berlin"
"""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# who, what, when (UTC), expected kind, words the reply must contain
CASES = [
    (
        "carol",
        "deploy payments-api 2.3.1 to prod",
        "2026-12-01T09:00",
        ReplyKind.CONFIRM,
        ["needs approval"],
    ),
    (
        "carol",
        "deploy payments-api 2.3.1 to prod",
        "2026-12-01T17:00",
        ReplyKind.ERROR,
        ["prod-business-hours", "next window opens Wed 2026-12-02 09:00 Europe/Berlin (08:00 UTC)"],
    ),
    (
        "carol",
        "deploy payments-api 2.3.1 to prod",
        "2026-12-04T09:00",
        ReplyKind.ERROR,
        ["next window opens Mon 2026-12-07 09:00 Europe/Berlin"],
    ),
    (
        "carol",
        "deploy payments-api 2.3.1 to prod",
        "2026-12-24T09:00",
        ReplyKind.ERROR,
        ["frozen for year-end until Mon 2027-01-04 00:00 Europe/Berlin (23:00 UTC)"],
    ),
    (
        "carol",
        "deploy payments-api 2.3.1 to prod",
        "2027-01-04T08:30",
        ReplyKind.CONFIRM,
        ["needs approval"],
    ),
    (
        "bob",
        "deploy payments-api 2.3.1 to staging",
        "2026-12-24T23:00",
        ReplyKind.CONFIRM,
        ["Deploy payments-api 2.3.1 to staging?"],
    ),
    # New York left daylight saving time on 2026-11-01: 09:00 there is now 14:00 UTC.
    (
        "carol",
        "roll back checkout in prod",
        "2026-11-02T13:30",
        ReplyKind.ERROR,
        ["next window opens Mon 2026-11-02 09:00 America/New_York (14:00 UTC)"],
    ),
    (
        "carol",
        "roll back checkout in prod",
        "2026-11-02T14:30",
        ReplyKind.CONFIRM,
        ["needs approval"],
    ),
    # RBAC comes first: bob may not deploy to prod at all, in or out of a window.
    (
        "bob",
        "deploy payments-api 2.3.1 to prod",
        "2026-12-01T09:00",
        ReplyKind.ERROR,
        ["developer", "carol"],
    ),
]


async def test_windows_and_freezes_case_by_case(make_chat: MakeChat) -> None:
    clock = ManualClock(utc("2026-12-01T09:00"))
    chat = await make_chat(CALENDAR, clock=clock)
    for who, text, when, kind, words in CASES:
        clock.now = utc(when)
        replies = await chat.say(who, text)
        assert replies[0].kind is kind, (who, text, when, text_of(replies))
        for word in words:
            assert word in text_of(replies), (who, text, when, text_of(replies))
        await chat.say(who, "cancel")


async def test_the_denial_is_audited_with_the_window_rule(make_chat: MakeChat) -> None:
    chat = await make_chat(CALENDAR, clock=ManualClock(utc("2026-12-05T12:00")))
    await chat.say("carol", "deploy payments-api 2.3.1 to prod")
    async with chat.runtime.store.transaction() as tx:
        decided = [e async for e in audit.entries(tx) if e.event == "decided"]
    assert decided[-1].outcome == "deny"
    assert "windows[0] (prod-business-hours)" in decided[-1].detail


async def test_a_dry_run_is_allowed_outside_the_window(make_chat: MakeChat) -> None:
    chat = await make_chat(CALENDAR, clock=ManualClock(utc("2026-12-24T09:00")))
    replies = await chat.say("carol", "deploy web 5.2.0 to prod --dry-run")
    assert "(dry run) Would deploy web 5.2.0 to prod" in text_of(replies)


@pytest.mark.parametrize(
    ("toml", "key", "words"),
    [
        (
            '[[windows]]\nname="w"\nskill="deploy"\nstart=09:00:00\nend=17:00:00\n'
            'timezone="Mars/Olympus"',
            "windows.0.timezone",
            "unknown time zone",
        ),
        (
            '[[windows]]\nname="w"\nskill="deploy"\nstart=17:00:00\nend=09:00:00',
            "windows.0",
            "must be after start",
        ),
        (
            '[[windows]]\nname="w"\nskill="deploy"\nstart=09:00:00\nend=17:00:00\ndays=["funday"]',
            "windows.0.days.0",
            "input should be",
        ),
        (
            '[[freezes]]\nname="f"\nstart=2026-12-20T00:00:00\nend=2026-12-01T00:00:00',
            "freezes.0",
            "must be after start",
        ),
        (
            '[[freezes]]\nname="f"\nstrat=2026-12-20T00:00:00\nend=2026-12-01T00:00:00',
            "freezes.0.start",
            "field required",
        ),
        ('[[rate_limits]]\nskill="deploy"\nmax=0', "rate_limits.0.max", "greater than"),
        (
            '[[rate_limits]]\nskill="deploy"\nmax=3\nper="fortnight"',
            "rate_limits.0.per",
            "input should be",
        ),
        ("[approvals]\nttl_seconds=0", "approvals.ttl_seconds", "greater than"),
        ('[approvals]\nchanel="#ops"', "approvals.chanel", "unknown key"),
    ],
)
def test_bad_governance_config_names_the_key(
    tmp_path: Path, toml: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, toml)
    assert caught.value.key == key, str(caught.value)
    assert words in str(caught.value).lower()


async def test_an_approval_after_the_window_closed_runs_nothing(make_chat: MakeChat) -> None:
    clock = ManualClock(utc("2026-12-01T15:50"))  # Tue 16:50 in Berlin: ten minutes left
    chat = await make_chat(CALENDAR, clock=clock)
    asked = await chat.say("carol", "deploy payments-api 2.3.1 to prod")
    sent = await chat.click("carol", asked, "Send for approval")
    clock.advance(minutes=15)  # dave approves at 17:05 Berlin time
    late = await chat.click("dave", sent, "Approve")
    assert late[0].kind is ReplyKind.ERROR and "may not run now" in late[0].text
    assert "next window opens Wed 2026-12-02 09:00" in late[0].text
    assert any(r.to == "carol" and "Nothing was done" in r.text for r in late)
    assert "payments-api" not in text_of(await chat.say("carol", "what is deployed"))
