"""Teams end to end for the directory: the requester's manager (from the TOML directory this
time) gets the card in their chat and decides; a prod restart is allowed only from the ops
channel. Activities to the real server app, a local fake Bot Framework connector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatbot.config import Grant, Person, PolicyRule
from tests.adapters.conftest import running, server_settings
from tests.adapters.teamsside import TeamsSide, personal
from tests.fakes.botframework import FakeConnector

MEMBERS = {
    "29:bob": {"name": "Bob", "email": "bob@example.com"},
    "29:dave": {"name": "Dave", "email": "dave@example.com"},
    "29:mia": {"name": "Mia", "email": "mia@example.com"},
    "29:rick": {"name": "Rick", "email": "rick@example.com"},
}
OPS = "19:ops@thread.tacv2"


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector(members=dict(MEMBERS)).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def teams(
    model_dir: Path, database_url: str, connector: FakeConnector
) -> AsyncIterator[TeamsSide]:
    settings = server_settings(model_dir, database_url, teams={"allow_unauthenticated": True})
    roles = dict(settings.roles)
    developer = roles["developer"]
    ops_only = Grant(skill="service.restart", where={"env": ("prod",)}, channels=(OPS,))
    roles["developer"] = developer.model_copy(update={"grants": (*developer.grants, ops_only)})
    people = {
        **settings.people,
        "mia": Person(email="mia@example.com", roles=("employee",), tz="Europe/Berlin"),
        "rick": Person(email="rick@example.com", roles=("employee",), manager="mia"),
    }
    settings = settings.model_copy(
        update={
            "roles": roles,
            "people": people,
            "policy": (
                *settings.policy,
                PolicyRule(skill="ticket.close", requires="approval", approvers="@manager"),
            ),
        }
    )
    async with running(settings) as (app, http):
        yield TeamsSide(app, http, connector)


def said(connector: FakeConnector, conversation: str) -> str:
    return "\n".join(s.text for s in connector.messages_in(conversation))


async def test_the_card_goes_to_the_requesters_manager(
    teams: TeamsSide, connector: FakeConnector
) -> None:
    await teams.say("mia", "hello")  # Teams lets a bot write only where it was spoken to
    await teams.say("rick", "close INC0012345")
    [asked] = [s for s in connector.messages_in(personal("rick")) if s.buttons]
    assert "your manager mia" in asked.text
    await teams.click("rick", asked, "Send for approval")
    [card] = [s for s in connector.messages_in(personal("mia")) if s.buttons]
    assert "Approval needed" in card.text
    assert not [s for s in connector.messages_in(personal("dave")) if s.buttons]
    await teams.click("mia", card, "Approve")
    assert "INC0012345" in said(connector, personal("rick")).split(asked.text, 1)[1]


async def test_prod_restarts_only_from_the_ops_channel(
    teams: TeamsSide, connector: FakeConnector
) -> None:
    await teams.mention("bob", OPS, "restart billing in prod")
    sent = [s for s in connector.sent if s.conversation.startswith(f"{OPS};")]
    assert any("Restart billing in prod?" in s.text and s.buttons for s in sent)
    other = "19:random@thread.tacv2"
    await teams.mention("bob", other, "restart billing in prod")
    refused = "\n".join(s.text for s in connector.sent if s.conversation.startswith(f"{other};"))
    assert "Sorry, you may not do that" in refused and f"(only in {OPS})" in refused
