"""Approvals: cards with full context to DMs or a channel, updated after each decision;
N-of-M distinct approvers; no self-approval; expiry (lazy, by timer, across a restart);
dry runs; per-person rate limits shared by replicas."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from sqlalchemy import text

from chatbot.app import runtime
from chatbot.governance import audit, outbox
from chatbot.governance.clock import ManualClock
from chatbot.store.tables import Action
from chatbot.testing import Chat, text_of
from chatbot.types import Reply, ReplyKind
from tests.governance.harness import MakeChat, settings_from

PEOPLE = """
[people.alice]
email = "alice@example.com"
roles = ["employee"]

[people.carol]
email = "carol@example.com"
roles = ["release-manager"]

[people.dave]
email = "dave@example.com"
roles = ["admin"]

[people.rita]
email = "rita@example.com"
roles = ["release-manager"]
"""

TWO_OF_THREE = (
    PEOPLE
    + """
[[policy]]
skill = "deploy"
where = { env = ["prod"] }
requires = "approval"
risk = "high"
approvers = "release-manager"
approvals = 2
"""
)


def cards(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.kind is ReplyKind.APPROVAL]


async def send_for_approval(chat: Chat, who: str = "carol") -> list[Reply]:
    asked = await chat.say(who, "deploy payments-api 2.3.1 to prod")
    return await chat.click(who, asked, "Send for approval")


async def state_of(chat: Chat, action_id: int) -> str:
    async with chat.runtime.store.transaction() as tx:
        action = await tx.get(Action, action_id, populate_existing=True)
        assert action is not None
        return action.state


async def test_card_has_full_context_and_is_updated_after_the_decision(chat: Chat) -> None:
    sent = await send_for_approval(chat)
    [card] = cards(sent)
    assert card.to == "dave" and card.channel is None and card.updates is None
    for words in (
        "carol asks: Deploy payments-api 2.3.1 to prod?",
        "It changes production.",
        "needs someone with the role release-manager to approve (not carol)",
        "Needs 1 more approval.",
    ):
        assert words in card.text
    for internal in ("policy[0]", "0 of 1", "deploy (", "Risk:"):
        assert internal not in card.text
    assert [b.label for b in card.buttons] == ["Approve", "Reject", "Preview"]

    assert "your own request" in text_of(await chat.click("carol", sent, "Approve"))
    decided = await chat.click("dave", sent, "Approve")
    [update] = cards(decided)
    assert update.updates == card.action_id and update.to == "dave" and not update.buttons
    assert "approved by dave at" in update.text
    told = [r for r in decided if r.to == "carol"]
    assert told and "Deployed payments-api 2.3.1 to prod" in told[0].text
    again = await chat.click("dave", sent, "Approve")
    assert "already" in text_of(again)


async def test_cards_go_to_the_configured_channel(make_chat: MakeChat) -> None:
    chat = await make_chat('[approvals]\nchannel = "#change-approvals"\n')
    sent = await send_for_approval(chat)
    [card] = cards(sent)
    assert card.channel == "#change-approvals" and card.to is None
    assert "#change-approvals" in sent[0].text
    rejected = await chat.click("dave", sent, "Reject")
    [update] = cards(rejected)
    assert update.channel == "#change-approvals" and update.updates == card.action_id
    assert "rejected by dave" in update.text
    assert any(r.to == "carol" and "rejected" in r.text for r in rejected)
    assert await state_of(chat, card.action_id or 0) == "rejected"


async def test_two_of_three_counts_distinct_approvers(make_chat: MakeChat) -> None:
    chat = await make_chat(TWO_OF_THREE)
    sent = await send_for_approval(chat)
    assert sorted(c.to or "" for c in cards(sent)) == ["dave", "rita"]
    first = await chat.click("dave", sent, "Approve")
    assert "1 more approval(s) needed" in text_of(first)
    assert any("so far by dave" in c.text and c.buttons for c in cards(first))
    twice = await chat.click("dave", sent, "Approve")
    assert "already voted" in text_of(twice)
    action_id = cards(sent)[0].action_id or 0
    assert await state_of(chat, action_id) == "awaiting_approval"
    second = await chat.click("rita", sent, "Approve")
    assert "Deployed payments-api 2.3.1 to prod" in text_of(second)
    assert await state_of(chat, action_id) == "succeeded"


async def test_an_expired_request_cannot_be_approved(make_chat: MakeChat) -> None:
    clock = ManualClock(datetime.now(UTC))
    chat = await make_chat(PEOPLE + "[approvals]\nttl_seconds = 3600\n", clock=clock)
    sent = await send_for_approval(chat)
    action_id = cards(sent)[0].action_id or 0
    clock.advance(hours=1, seconds=1)
    late = await chat.click("dave", sent, "Approve")
    assert late[0].kind is ReplyKind.ERROR and "expired" in late[0].text
    assert await state_of(chat, action_id) == "expired"
    async with chat.runtime.store.transaction() as tx:
        told = {(n.recipient, n.channel) for n in await outbox.pending(tx)}
    assert {("carol", None), ("dave", None), ("rita", None)} <= told
    assert "already expired" in text_of(await chat.click("rita", sent, "Approve"))
    told = await chat.runtime.assistant.approvals.deliver("carol")
    assert any("expired without a decision" in r.text and r.to == "carol" for r in told)
    assert await chat.runtime.assistant.approvals.deliver("carol") == []  # delivered once


async def wait_for_state(chat: Chat, action_id: int, state: str, seconds: float = 15) -> None:
    for _ in range(int(seconds * 10)):
        if await state_of(chat, action_id) == state:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"action {action_id} is {await state_of(chat, action_id)}, not {state}")


async def test_the_expiry_timer_expires_and_tells_everyone(make_chat: MakeChat) -> None:
    chat = await make_chat(PEOPLE + "[approvals]\nttl_seconds = 1\n")
    sent = await send_for_approval(chat)
    action_id = cards(sent)[0].action_id or 0
    await wait_for_state(chat, action_id, "expired")
    async with chat.runtime.store.transaction() as tx:
        notes = await outbox.pending(tx)
        expired = [e async for e in audit.entries(tx) if e.event == "action.expired"]
    assert {n.recipient for n in notes} >= {"carol", "dave", "rita"}
    assert any(n.kind == "approval" and "expired by system" in n.text for n in notes)
    assert len(expired) == 1 and expired[0].actor == "system"


async def test_an_expiry_firing_during_a_transaction_stalls_no_one(make_chat: MakeChat) -> None:
    """The timer fires while a transaction holds SQLite's write lock. Its job store waits for
    that commit in the scheduler's thread; on the event loop it froze every conversation for
    5 s and then failed with 'database is locked'."""
    chat = await make_chat(PEOPLE + "[approvals]\nttl_seconds = 1\n")
    action_id = cards(await send_for_approval(chat))[0].action_id or 0
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            gaps.append(time.perf_counter() - last)
            last = time.perf_counter()

    ticking = asyncio.create_task(ticker())
    async with chat.runtime.store.transaction() as tx:
        await tx.exec(text("SELECT 1"))  # type: ignore[call-overload]  # the lock is taken
        await asyncio.sleep(2.0)  # the request expires meanwhile
    ticking.cancel()
    await wait_for_state(chat, action_id, "expired")
    assert max(gaps) < 1.0, f"the event loop stood still for {max(gaps):.1f} s"


async def test_the_expiry_job_survives_a_restart(tmp_path, database_url: str, understander) -> None:
    settings = settings_from(tmp_path, PEOPLE + "[approvals]\nttl_seconds = 2\n")
    async with runtime(settings, database_url, understander) as rt:
        chat = Chat(rt)
        sent = await send_for_approval(chat)
        action_id = cards(sent)[0].action_id or 0
        async with rt.store.transaction() as tx:
            jobs = (await tx.exec(text("SELECT id FROM apscheduler_jobs"))).all()
        assert [j[0] for j in jobs] == [f"expire-action-{action_id}"]
    await asyncio.sleep(2.5)  # nothing runs while no process is up
    async with runtime(settings, database_url, understander) as rt:
        await wait_for_state(Chat(rt), action_id, "expired")


async def test_dry_run_and_preview_change_nothing(chat: Chat) -> None:
    typed = await chat.say("bob", "deploy web 5.2.0 to dev --dry-run")
    assert typed[0].kind is ReplyKind.RESULT
    assert "(dry run) Would deploy web 5.2.0 to dev (nothing deployed yet)" in typed[0].text
    asked = await chat.say("bob", "deploy web 5.2.0 to staging")
    preview = await chat.click("bob", asked, "Preview")
    assert "(preview) Would deploy web 5.2.0 to staging" in text_of(preview)
    sent = await send_for_approval(chat)
    previewed = await chat.click("dave", sent, "Preview")
    assert "(preview) Would deploy payments-api 2.3.1 to prod" in text_of(previewed)
    assert "web" not in (await chat.say("bob", "what is deployed"))[0].text  # then a reminder
    async with chat.runtime.store.transaction() as tx:
        events = [e.event async for e in audit.entries(tx)]
    assert "action.started" not in events and "action.finished" not in events


RATE = '[[rate_limits]]\nskill = "vpn.reset"\nmax = 2\nper = "hour"\n'


async def test_rate_limit_is_per_person_and_shared_by_replicas(make_chat: MakeChat) -> None:
    clock = ManualClock(datetime(2026, 12, 1, 10, 15, tzinfo=UTC))
    one = await make_chat(RATE, clock=clock)
    other = await make_chat(RATE, clock=clock, platform="web")  # a second replica, same DB
    assert (await one.say("alice", "reset my vpn"))[0].kind is ReplyKind.CONFIRM
    await one.say("alice", "cancel")
    assert (await other.say("alice", "reset my vpn"))[0].kind is ReplyKind.CONFIRM
    await other.say("alice", "cancel")
    limited = await one.say("alice", "reset my vpn")
    assert limited[0].kind is ReplyKind.ERROR
    assert "at most 2 time(s) per hour; try again after Tue 01 Dec 11:00 UTC" in limited[0].text
    assert (await one.say("erin", "reset my vpn"))[0].kind is ReplyKind.CONFIRM  # per person
    dry = await one.say("alice", "reset my vpn --dry-run")
    assert dry[0].kind is ReplyKind.RESULT  # a dry run does nothing, so it is not counted
    clock.advance(hours=1)
    assert (await other.say("alice", "reset my vpn"))[0].kind is ReplyKind.CONFIRM
