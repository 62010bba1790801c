"""Channel-scoped grants: prod restarts only from the ops channel; a grant for direct messages
only. Through Assistant.handle, as Slack and as Teams users (ids the adapters pass on)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chatbot.config import Grant, Settings
from chatbot.testing import Chat, chat_harness, text_of
from chatbot.types import Message
from intents import Understander

OPS_SLACK, OPS_TEAMS = "C0OPS", "19:ops@thread.tacv2"


@pytest.fixture
async def chat(
    settings: Settings, database_url: str, understander: Understander
) -> AsyncIterator[Chat]:
    roles = dict(settings.roles)
    developer = roles["developer"]
    employee = roles["employee"]
    roles["developer"] = developer.model_copy(
        update={
            "grants": (
                *developer.grants,
                Grant(
                    skill="service.restart",
                    where={"env": ("prod",)},
                    channels=(OPS_SLACK, f"#{OPS_TEAMS}"),
                ),
            )
        }
    )
    roles["employee"] = employee.model_copy(
        update={
            "grants": (
                *employee.grants,
                Grant(skill="service.restart", where={"env": ("dev",)}, channels=("direct",)),
            )
        }
    )
    custom = settings.model_copy(update={"roles": roles})
    async with chat_harness(custom, database_url, understander) as harness:
        yield harness


async def said(chat: Chat, platform: str, who: str, channel: str, text: str) -> str:
    message = Message(
        platform=platform,
        user_id=f"{platform}-{who}",
        text=text,
        channel=channel,
        email=f"{who}@example.com",
    )
    return text_of(await chat.assistant.handle(message))


@pytest.mark.parametrize(
    ("platform", "ops", "elsewhere", "direct"),
    [("slack", OPS_SLACK, "C0RANDOM", "D0BOB"), ("teams", OPS_TEAMS, "19:x@thread.tacv2", "a:1b")],
)
async def test_prod_restarts_only_from_the_ops_channel(
    chat: Chat, platform: str, ops: str, elsewhere: str, direct: str
) -> None:
    allowed = await said(chat, platform, "bob", ops, "restart billing in prod")
    assert "Restart billing in prod?" in allowed
    for place in (elsewhere, direct):
        refused = await said(chat, platform, "bob", place, "restart billing in prod")
        assert "Sorry, you may not do that" in refused and "(only in" in refused


async def test_a_grant_for_direct_messages_only(chat: Chat) -> None:
    in_slack = await said(chat, "slack", "alice", "D0ALICE", "restart web in dev")
    in_teams = await said(chat, "teams", "alice", "a:1alice", "restart web in dev")
    assert "Restart web in dev?" in in_slack and "Restart web in dev?" in in_teams
    refused = await said(chat, "slack", "alice", OPS_SLACK, "restart web in dev")
    assert "Sorry, you may not do that" in refused
