"""The pipeline end to end through Assistant.handle, on SQLite and PostgreSQL."""

from __future__ import annotations

from chatbot.governance import audit
from chatbot.testing import Chat, button, text_of
from chatbot.types import ReplyKind


async def test_vpn_reset_asks_then_acts_on_the_sandbox(chat: Chat) -> None:
    asked = await chat.say("alice", "reset my vpn")
    assert asked[0].kind is ReplyKind.CONFIRM
    assert [b.label for b in asked[0].buttons][:2] == ["Confirm", "Cancel"]

    done = await chat.click("alice", asked, "Confirm")
    assert done[0].kind is ReplyKind.RESULT
    assert "Sandbox" in done[0].text and "ended 2 session(s)" in done[0].text

    again = await chat.click("alice", await chat.say("alice", "reset my vpn"), "Confirm")
    assert "no open sessions" in text_of(again)  # the sandbox kept the state


async def test_typed_yes_confirms_the_pending_request(chat: Chat) -> None:
    await chat.say("alice", "reset my vpn")
    done = await chat.say("alice", "yes")
    assert "VPN reset for alice" in text_of(done)


async def test_deploy_to_staging_is_visible_afterwards(chat: Chat) -> None:
    asked = await chat.say("bob", "deploy payments-api 2.3.1 to staging")
    assert "payments-api" in asked[0].text and "2.3.1" in asked[0].text
    done = await chat.click("bob", asked, "Confirm")
    assert "Deployed payments-api 2.3.1 to staging" in text_of(done)

    status = await chat.say("alice", "what is deployed")
    assert "payments-api 2.3.1 in staging" in text_of(status)


async def test_cancel_does_nothing(chat: Chat) -> None:
    asked = await chat.say("bob", "deploy web 5.2.0 to dev")
    cancelled = await chat.click("bob", asked, "Cancel")
    assert "nothing was done" in text_of(cancelled)
    status = await chat.say("bob", "what is deployed")
    assert "web" not in text_of(status)


async def test_confirming_twice_runs_once(chat: Chat) -> None:
    asked = await chat.say("bob", "deploy web 5.2.0 to dev")
    value = button(asked, "Confirm")
    first = await chat.press("bob", value)
    second = await chat.press("bob", value)
    assert "Deployed web 5.2.0 to dev" in text_of(first)
    assert "already" in text_of(second)


async def test_someone_else_cannot_confirm_my_request(chat: Chat) -> None:
    asked = await chat.say("alice", "reset my vpn")
    refused = await chat.press("bob", button(asked, "Confirm"))
    assert refused[0].kind is ReplyKind.ERROR and "alice" in refused[0].text


async def test_denied_request_names_the_rule_and_whom_to_ask(chat: Chat) -> None:
    denied = await chat.say("bob", "deploy payments-api 2.3.1 to prod")
    assert denied[0].kind is ReplyKind.ERROR
    assert "developer" in denied[0].text and "carol" in denied[0].text
    nothing = await chat.say("alice", "deploy payments-api 2.3.1 to staging")
    assert nothing[0].kind is ReplyKind.ERROR


async def test_prod_deploy_needs_another_persons_approval(chat: Chat) -> None:
    asked = await chat.say("carol", "deploy payments-api 2.3.1 to prod")
    sent = await chat.click("carol", asked, "Send for approval")
    cards = [r for r in sent if r.kind is ReplyKind.APPROVAL]
    assert [c.to for c in cards] == ["dave"]

    own = await chat.press("carol", button(cards, "Approve"))
    assert "your own request" in text_of(own)

    approved = await chat.press("dave", button(cards, "Approve"))
    assert "Deployed payments-api 2.3.1 to prod" in text_of(approved)
    assert any(r.to == "carol" for r in approved)  # the requester is told


async def test_missing_slot_is_asked_for_with_buttons(chat: Chat) -> None:
    asked = await chat.say("bob", "deploy checkout 1.4.0")
    assert asked[0].kind is ReplyKind.QUESTION
    assert [b.label for b in asked[0].buttons] == ["dev", "staging", "prod"]
    confirm = await chat.click("bob", asked, "staging")
    assert confirm[0].kind is ReplyKind.CONFIRM and "staging" in confirm[0].text


async def test_cancel_ends_an_open_question(chat: Chat) -> None:
    await chat.say("bob", "deploy checkout 1.4.0")
    assert "nothing was done" in text_of(await chat.say("bob", "cancel"))


async def test_yes_with_nothing_pending_does_nothing(chat: Chat) -> None:
    replies = await chat.say("alice", "yes")
    assert "nothing waiting" in text_of(replies)


async def test_unknown_person_is_a_guest(chat: Chat) -> None:
    replies = await chat.say("mallory", "reset my vpn")
    assert replies[0].kind is ReplyKind.ERROR and "don't know you" in replies[0].text


async def test_bad_input_gets_a_clear_answer(chat: Chat) -> None:
    assert "empty" in text_of(await chat.say("alice", ""))
    assert "empty" in text_of(await chat.say("alice", "\x00\x07\x1b"))
    huge = await chat.say("alice", "reset my vpn " * 8000)
    assert "at most 4,000" in text_of(huge)
    control = await chat.say("alice", "reset\x00 my\x1b vpn")
    assert control[0].kind is ReplyKind.CONFIRM


async def test_redelivered_event_is_handled_once(chat: Chat) -> None:
    first = await chat.say("alice", "reset my vpn", event_id="Ev1")
    again = await chat.say("alice", "reset my vpn", event_id="Ev1")
    assert first and again == []


async def test_every_step_is_audited_and_the_chain_verifies(chat: Chat) -> None:
    await chat.click("alice", await chat.say("alice", "reset my vpn"), "Confirm")
    async with chat.runtime.store.transaction() as tx:
        events = [e.event async for e in audit.entries(tx)]
        checked = await audit.verify(tx)
    assert events[:3] == ["message.received", "understood", "decided"]
    assert "action.finished" in events
    assert checked.ok and checked.checked == len(events)


async def test_unlock_runs_on_its_sandbox(chat: Chat) -> None:
    replies = await chat.click("alice", await chat.say("alice", "unlock my account"), "Confirm")
    assert "Sandbox" in text_of(replies) and "unlocked" in text_of(replies)
