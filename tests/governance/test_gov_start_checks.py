"""The start gate (issue 10, items 12, 14, 15): every move to `running` re-checks everything
at that moment; previews are for the requester and those who may decide, and audited;
access durations are capped per resource at request and at grant."""

from __future__ import annotations

from datetime import UTC, datetime

from chatbot.governance import audit
from chatbot.governance.actions import State
from chatbot.governance.clock import ManualClock
from chatbot.store.tables import Action
from chatbot.testing import Chat, button, text_of
from chatbot.types import ReplyKind
from tests.governance.harness import MakeChat

FREEZE = """
[[freezes]]
name = "year-end"
skill = "deploy"
where = { env = ["staging"] }
start = 2026-12-20T00:00:00
end = 2027-01-04T00:00:00
timezone = "Europe/Berlin"
"""

WINDOW = """
[[windows]]
name = "office-hours"
skill = "deploy"
where = { env = ["staging"] }
days = ["mon", "tue", "wed", "thu", "fri"]
start = 09:00:00
end = 17:00:00
timezone = "UTC"
"""

STAGING = "deploy payments-api 2.3.1 to staging"
PROD = "deploy payments-api 2.3.1 to prod"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def action_row(chat: Chat, action_id: int) -> Action:
    async with chat.runtime.store.transaction() as tx:
        action = await tx.get(Action, action_id, populate_existing=True)
        assert action is not None
        return action


async def events_of(chat: Chat, action_id: int) -> list[str]:
    async with chat.runtime.store.snapshot() as tx:
        return [e.event async for e in audit.entries(tx) if e.action_id == action_id]


async def test_confirmed_inside_a_freeze_that_began_after_the_request_does_not_run(
    make_chat: MakeChat,
) -> None:
    clock = ManualClock(utc("2026-12-19T22:55"))  # 23:55 in Berlin: before the freeze
    chat = await make_chat(FREEZE, clock=clock)
    asked = await chat.say("carol", STAGING)
    assert asked[0].kind is ReplyKind.CONFIRM
    clock.advance(minutes=10)  # 00:05 in Berlin: frozen
    done = await chat.click("carol", asked, "Confirm")
    assert done[0].kind is ReplyKind.ERROR
    assert "may not run now" in done[0].text and "frozen for year-end" in done[0].text
    action_id = asked[0].action_id
    assert action_id is not None
    assert (await action_row(chat, action_id)).state == State.DENIED
    events = await events_of(chat, action_id)
    assert "action.denied" in events and "action.started" not in events


async def test_confirmed_after_the_change_window_closed_does_not_run(make_chat: MakeChat) -> None:
    clock = ManualClock(utc("2026-12-01T16:58"))  # a Tuesday, inside office hours
    chat = await make_chat(WINDOW, clock=clock)
    asked = await chat.say("carol", STAGING)
    assert asked[0].kind is ReplyKind.CONFIRM
    clock.advance(minutes=3)
    done = await chat.click("carol", asked, "Confirm")
    assert done[0].kind is ReplyKind.ERROR and "office-hours" in done[0].text
    assert "deploy" not in text_of(done).split("may not run now")[0].replace("Request", "")


async def test_approved_after_the_requester_left_the_directory_does_not_run(
    make_chat: MakeChat,
) -> None:
    before = await make_chat()
    asked = await before.say("carol", PROD)
    sent = await before.click("carol", asked, "Send for approval")
    action_id = sent[0].action_id
    assert action_id is not None
    # Carol leaves: the directory of a restarted replica no longer has her.
    people = (
        '[people]\nreplace = true\n[people.dave]\nemail = "dave@example.com"\nroles = ["admin"]\n'
    )
    after = await make_chat(people)
    decided = await after.press("dave", f"approve:{action_id}")
    assert "no longer in the directory" in text_of(decided)
    assert "succeeded" not in text_of(decided).lower()
    row = await action_row(after, action_id)
    assert row.state == State.DENIED and "carol is no longer in the directory" in (row.result or "")
    assert "action.started" not in await events_of(after, action_id)


TWO_ADMINS = """
[[policy]]
skill = "deploy"
where = { env = ["prod"] }
requires = "approval"
approvers = "admin"
approvals = 2
"""


def people(dave_role: str) -> str:
    return (
        '[people.carol]\nemail = "carol@example.com"\nroles = ["release-manager"]\n'
        f'[people.dave]\nemail = "dave@example.com"\nroles = ["{dave_role}"]\n'
        '[people.erin]\nemail = "erin@example.com"\nroles = ["admin"]\n'
    )


async def test_approvals_from_people_who_lost_the_role_do_not_count(make_chat: MakeChat) -> None:
    before = await make_chat(people("admin") + TWO_ADMINS)
    sent = await before.click("carol", await before.say("carol", PROD), "Send for approval")
    action_id = sent[0].action_id or 0
    await before.press("dave", f"approve:{action_id}")
    # dave is no longer an admin when the second approval lands (on a restarted replica):
    # his vote no longer counts, so two votes are one valid approval and nothing runs.
    after = await make_chat(people("employee") + TWO_ADMINS)
    decided = await after.press("erin", f"approve:{action_id}")
    assert "has 1" in text_of(decided) and "may not run now" in text_of(decided)
    assert (await action_row(after, action_id)).state == State.DENIED


async def test_start_now_is_the_public_entry_for_timed_starts(make_chat: MakeChat) -> None:
    clock = ManualClock(utc("2026-12-19T22:55"))
    chat = await make_chat(FREEZE, clock=clock)
    asked = await chat.say("carol", STAGING)
    action_id = asked[0].action_id
    assert action_id is not None
    clock.advance(minutes=10)
    approvals = chat.assistant.approvals
    waiting = frozenset({State.AWAITING_CONFIRMATION})
    refused = await approvals.start_now(action_id, waiting=waiting)
    assert refused[0].to == "carol" and "frozen" in refused[0].text
    assert (await action_row(chat, action_id)).state == State.DENIED
    # After the freeze a new request started by the scheduler runs as carol.
    clock.advance(days=17)
    again = await chat.say("carol", STAGING)
    ran = await approvals.start_now(again[0].action_id or 0, waiting=waiting)
    assert ran[0].to == "carol" and ran[0].kind is ReplyKind.RESULT
    assert (await action_row(chat, again[0].action_id or 0)).state == State.SUCCEEDED
    # A second start of the same action does nothing.
    twice = await approvals.start_now(again[0].action_id or 0, waiting=waiting)
    assert twice[0].kind is ReplyKind.ERROR


async def test_preview_only_for_requester_and_deciders_and_always_audited(chat: Chat) -> None:
    asked = await chat.say("carol", PROD)
    sent = await chat.click("carol", asked, "Send for approval")
    action_id = sent[0].action_id
    value = button(asked, "Preview")
    stranger = await chat.press("bob", value)
    assert stranger[0].kind is ReplyKind.ERROR
    assert "Only the person who asked" in stranger[0].text and "Would" not in text_of(stranger)
    for who in ("carol", "dave"):
        shown = await chat.press(who, value)
        assert shown[0].kind is ReplyKind.RESULT and "(preview)" in shown[0].text
    async with chat.runtime.store.snapshot() as tx:
        previews = [
            (e.actor, e.outcome)
            async for e in audit.entries(tx)
            if e.event == "action.previewed" and e.action_id == action_id
        ]
    assert previews == [("bob", "refused"), ("carol", "ok"), ("dave", "ok")]


async def test_access_duration_is_capped_at_request(chat: Chat) -> None:
    asked = await chat.say("alice", "request access to grafana for 9999 hours")
    assert asked[0].kind is ReplyKind.ERROR
    assert "at most 30d" in asked[0].text and "9999h" in asked[0].text
    assert not asked[0].buttons
    ok = await chat.say("alice", "request access to grafana for 2 days")
    assert ok[0].kind is ReplyKind.CONFIRM


async def test_access_duration_cap_per_resource_is_enforced_again_at_grant(
    make_chat: MakeChat,
) -> None:
    generous = '[catalog.resources.grafana]\nowner_role = "admin"\nmax_duration = "3d"\n'
    before = await make_chat(generous)
    refused = await before.say("alice", "request access to grafana for 4 days")
    assert refused[0].kind is ReplyKind.ERROR and "at most 3d" in refused[0].text
    asked = await before.say("alice", "request access to grafana for 2 days")
    sent = await before.click("alice", asked, "Send for approval")
    action_id = sent[0].action_id or 0
    # The owner tightens the cap while the request waits: the grant is checked again.
    strict = '[catalog.resources.grafana]\nowner_role = "admin"\nmax_duration = "8h"\n'
    after = await make_chat(strict)
    decided = await after.press("dave", f"approve:{action_id}")
    assert "at most 8h" in text_of(decided)
    assert (await action_row(after, action_id)).state == State.DENIED


async def test_a_start_in_a_later_rate_limit_period_counts_again(make_chat: MakeChat) -> None:
    """Asked at 10:58 (counted in the 10:00 hour), started at 11:01: the start counts in the
    11:00 hour, where the one allowed deploy was already asked for."""
    limit = '[[rate_limits]]\nskill = "deploy"\nmax = 1\nper = "hour"\n'
    clock = ManualClock(utc("2026-12-01T10:58"))
    chat = await make_chat(limit, clock=clock)
    first = await chat.say("carol", STAGING)
    assert first[0].kind is ReplyKind.CONFIRM
    clock.advance(minutes=2)
    elsewhere = await make_chat(limit, clock=clock, platform="web")  # another conversation
    second = await elsewhere.say("carol", "deploy web 5.2.0 to staging")
    assert second[0].kind is ReplyKind.CONFIRM  # the 11:00 hour's one deploy
    clock.advance(minutes=1)
    late = await chat.click("carol", first, "Confirm")
    assert late[0].kind is ReplyKind.ERROR and "at most 1 time(s) per hour" in late[0].text
    assert (await action_row(chat, first[0].action_id or 0)).state == State.DENIED
