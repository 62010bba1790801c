"""Exactly once: fifty approvers clicking at once, one approver clicking fifty times, and the
same platform event delivered twice at once all start the action exactly once. On PostgreSQL
these are real concurrent connections; on SQLite, concurrent connections from aiosqlite's
threads."""

from __future__ import annotations

import asyncio

from chatbot.governance import audit
from chatbot.testing import Chat, button, text_of
from tests.governance.harness import MakeChat

APPROVERS = [f"approver{n:02d}" for n in range(1, 51)]
FIFTY = '[people.carol]\nemail = "carol@example.com"\nroles = ["release-manager"]\n' + "".join(
    f'[people.{name}]\nemail = "{name}@example.com"\nroles = ["release-manager"]\n'
    for name in APPROVERS
)


async def runs_of(chat: Chat, action_id: int) -> list[str]:
    async with chat.runtime.store.transaction() as tx:
        events = [e async for e in audit.entries(tx) if e.action_id == action_id]
        assert (await audit.verify(tx)).ok
    assert [e.event for e in events].count("action.started") == 1
    return [e.outcome for e in events if e.event == "action.finished"]


async def test_fifty_approvers_at_once_run_it_once(make_chat: MakeChat) -> None:
    chat = await make_chat(FIFTY)
    asked = await chat.say("carol", "deploy payments-api 2.3.1 to prod")
    sent = await chat.click("carol", asked, "Send for approval")
    approve = button(sent, "Approve")
    results = await asyncio.gather(*(chat.press(name, approve) for name in APPROVERS))
    deployed = [r for r in results if "Deployed payments-api 2.3.1 to prod" in text_of(r)]
    assert len(deployed) == 1
    assert await runs_of(chat, sent[0].action_id or 0) == ["succeeded"]


async def test_one_approver_clicking_fifty_times_runs_it_once(chat: Chat) -> None:
    asked = await chat.say("carol", "deploy payments-api 2.3.1 to prod")
    sent = await chat.click("carol", asked, "Send for approval")
    approve = button(sent, "Approve")
    results = await asyncio.gather(*(chat.press("dave", approve) for _ in range(50)))
    assert sum("Deployed payments-api" in text_of(r) for r in results) == 1
    assert await runs_of(chat, sent[0].action_id or 0) == ["succeeded"]


async def test_confirm_clicked_fifty_times_runs_once(chat: Chat) -> None:
    asked = await chat.say("bob", "deploy web 5.2.0 to dev")
    confirm = button(asked, "Confirm")
    results = await asyncio.gather(*(chat.press("bob", confirm) for _ in range(50)))
    assert sum("Deployed web 5.2.0 to dev" in text_of(r) for r in results) == 1
    assert await runs_of(chat, asked[0].action_id or 0) == ["succeeded"]


async def test_the_same_event_delivered_twice_at_once_runs_once(chat: Chat) -> None:
    asked = await chat.say("bob", "deploy web 5.2.0 to dev")
    confirm = button(asked, "Confirm")
    results = await asyncio.gather(
        *(chat.press("bob", confirm, event_id="Ev-confirm-1") for _ in range(2))
    )
    assert sorted(len(r) for r in results)[0] == 0  # the second delivery is dropped
    assert sum("Deployed web 5.2.0 to dev" in text_of(r) for r in results) == 1
    async with chat.runtime.store.transaction() as tx:
        received = [e async for e in audit.entries(tx) if e.event == "message.received"]
    assert sum('"Ev-confirm-1"' in e.detail for e in received) == 1
