"""A named but unresolved target is asked about, never replaced by the requester (issue 10,
item 13): erin asking for bob must never get a confirmation for erin."""

from __future__ import annotations

import pytest

from chatbot.governance.actions import slots_of
from chatbot.store.tables import Action
from chatbot.testing import Chat, text_of
from chatbot.types import Reply, ReplyKind


async def target_of(chat: Chat, replies: list[Reply]) -> str:
    action_id = replies[0].action_id
    assert action_id is not None, text_of(replies)
    async with chat.runtime.store.transaction() as tx:
        action = await tx.get(Action, action_id)
        assert action is not None
        return slots_of(action)["user"]


async def test_an_email_of_a_known_person_is_that_person(chat: Chat) -> None:
    asked = await chat.say("erin", "reset the password for bob@example.com")
    assert asked[0].kind is ReplyKind.CONFIRM, text_of(asked)
    assert await target_of(chat, asked) == "bob"


@pytest.mark.parametrize(
    ("text", "named", "offered"),
    [
        ("reset the password of robert", "robert", "bob"),
        ("unlock the account of bobby", "bobby", "bob"),
        ("please unlock bobby's account", "bobby", "bob"),
        ("unlock bobby", "bobby", "bob"),
        ("reset the vpn for robert", "robert", "bob"),
    ],
)
async def test_an_unknown_name_is_asked_about_with_close_matches(
    chat: Chat, text: str, named: str, offered: str
) -> None:
    asked = await chat.say("erin", text)
    assert asked[0].kind is ReplyKind.QUESTION, text_of(asked)
    assert "Which person did you mean?" in asked[0].text and named in asked[0].text
    labels = [b.label for b in asked[0].buttons]
    assert offered in labels and "erin" not in labels
    confirmed = await chat.click("erin", asked, offered)
    assert confirmed[0].kind is ReplyKind.CONFIRM, text_of(confirmed)
    assert await target_of(chat, confirmed) == offered


async def test_an_unknown_email_is_asked_about_and_never_becomes_the_requester(
    chat: Chat,
) -> None:
    asked = await chat.say("erin", "reset the password for frank@example.com")
    assert asked[0].kind is ReplyKind.QUESTION
    assert "frank@example.com" in asked[0].text and "Which person" in asked[0].text
    assert not any(r.kind is ReplyKind.CONFIRM for r in asked)
    typed = await chat.say("erin", "bob")
    assert typed[0].kind is ReplyKind.CONFIRM and await target_of(chat, typed) == "bob"


@pytest.mark.parametrize(
    "text", ["reset my password", "reset my vpn", "unlock my account", "reset the vpn for me"]
)
async def test_a_request_that_names_nobody_is_for_the_requester(chat: Chat, text: str) -> None:
    asked = await chat.say("erin", text)
    assert asked[0].kind is ReplyKind.CONFIRM, text_of(asked)
    assert await target_of(chat, asked) == "erin"
