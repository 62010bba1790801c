"""Teams end to end: activities posted to the real server app's /api/messages, CloudAdapter,
the pipeline, and a local fake Bot Framework connector that records replies and updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from chatbot.store.tables import AuditEntry
from tests.adapters.conftest import running, server_settings
from tests.adapters.teamsside import TeamsSide, personal
from tests.fakes.botframework import FakeConnector

MEMBERS = {
    "29:alice": {"name": "Alice", "email": "alice@example.com"},
    "29:bob": {"name": "Bob", "userPrincipalName": "bob@example.com"},
    "29:carol": {"name": "Carol", "email": "carol@example.com"},
    "29:dave": {"name": "Dave", "email": "dave@example.com"},
}


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
    async with running(settings) as (app, http):
        yield TeamsSide(app, http, connector)


def cards_in(connector: FakeConnector, conversation: str):
    return [s for s in connector.messages_in(conversation) if s.buttons]


def said(connector: FakeConnector, conversation: str) -> str:
    return "\n".join(s.text for s in connector.messages_in(conversation))


async def test_personal_chat_request_confirm_result(
    teams: TeamsSide, connector: FakeConnector
) -> None:
    assert (await teams.say("alice", "reset my vpn")).status_code == 201
    [asked] = cards_in(connector, personal("alice"))
    assert [b["title"] for b in asked.buttons][:2] == ["Confirm", "Cancel"]
    assert asked.buttons[0]["type"] == "Action.Submit"

    await teams.click("alice", asked, "Confirm")
    assert "VPN reset for alice" in said(connector, personal("alice"))
    [update] = connector.updates_of(asked)
    assert "Confirmed by Alice" in update.text and "VPN reset" in update.text
    assert update.buttons == []


async def test_a_running_action_shows_its_steps_on_the_request_card(
    teams: TeamsSide, connector: FakeConnector
) -> None:
    await teams.say("bob", "deploy web 5.2.0 to dev")
    [asked] = cards_in(connector, personal("bob"))
    await teams.click("bob", asked, "Confirm")
    shown = [u.text for u in connector.updates_of(asked)]
    assert any("⏳ step 1 of 2: rolling out web 5.2.0 to dev" in t for t in shown)
    assert "Deployed web 5.2.0 to dev" in shown[-1]


async def test_channel_mention_is_stripped_and_answered_in_thread(
    teams: TeamsSide, connector: FakeConnector
) -> None:
    await teams.mention("bob", "19:ops@thread.tacv2", "deploy payments-api 2.3.1 to staging")
    sent = [s for s in connector.sent if s.conversation.startswith("19:ops@thread.tacv2;")]
    assert any("payments-api" in s.text and s.buttons for s in sent)
    assert sent[0].op == "reply"  # in the thread of the mention
    assert connector.member_lookups == ["29:bob"]  # UPN maps bob to the directory


async def test_approval_by_another_person_updates_both_cards(
    teams: TeamsSide, connector: FakeConnector
) -> None:
    await teams.say("dave", "help")  # the approver has talked to the bot: reachable
    await teams.say("carol", "deploy payments-api 2.3.1 to prod")
    [asked] = cards_in(connector, personal("carol"))
    await teams.click("carol", asked, "Send for approval")
    [card] = cards_in(connector, personal("dave"))
    assert "Approval needed" in card.text

    await teams.click("dave", card, "Approve")
    assert "Deployed payments-api 2.3.1 to prod" in said(connector, personal("carol"))
    for message in (asked, card):
        final = connector.updates_of(message)[-1]
        assert "Approved by Dave" in final.text and "Deployed payments-api" in final.text
        assert final.buttons == []


async def test_approval_clicked_in_the_approvers_channel(
    model_dir: Path, database_url: str, connector: FakeConnector
) -> None:
    channel = "19:approvers@thread.tacv2"
    teams_settings = {"allow_unauthenticated": True, "approvals_channel": channel}
    settings = server_settings(model_dir, database_url, teams=teams_settings)
    async with running(settings) as (app, http):
        teams = TeamsSide(app, http, connector)
        await teams.mention("dave", channel, "help")  # the bot now knows the channel
        await teams.say("carol", "deploy payments-api 2.3.1 to prod")
        [asked] = cards_in(connector, personal("carol"))
        await teams.click("carol", asked, "Send for approval")
        [card] = cards_in(connector, channel)
        assert "Approval needed" in card.text
        assert cards_in(connector, personal("dave")) == []  # the channel, not a DM

        await teams.click("dave", card, "Approve")
        assert "Deployed payments-api 2.3.1 to prod" in said(connector, personal("carol"))
        for message in (asked, card):
            final = connector.updates_of(message)[-1]
            assert "Approved by Dave" in final.text and final.buttons == []


async def test_an_unknown_approvals_channel_is_reported(
    model_dir: Path, database_url: str, connector: FakeConnector
) -> None:
    teams_settings = {"allow_unauthenticated": True, "approvals_channel": "19:never@thread"}
    settings = server_settings(model_dir, database_url, teams=teams_settings)
    async with running(settings) as (app, http):
        teams = TeamsSide(app, http, connector)
        await teams.say("carol", "deploy payments-api 2.3.1 to prod")
        await teams.click("carol", cards_in(connector, personal("carol"))[0], "Send for approval")
        assert "could not reach the channel 19:never@thread" in said(connector, personal("carol"))


async def test_unreachable_approver_is_reported(teams: TeamsSide, connector: FakeConnector) -> None:
    await teams.say("carol", "deploy payments-api 2.3.1 to prod")
    await teams.click("carol", cards_in(connector, personal("carol"))[0], "Send for approval")
    assert "could not reach dave on Teams" in said(connector, personal("carol"))


async def test_denied_request(teams: TeamsSide, connector: FakeConnector) -> None:
    await teams.say("bob", "deploy payments-api 2.3.1 to prod")
    assert "may not" in said(connector, personal("bob"))
    assert cards_in(connector, personal("bob")) == []


async def test_duplicate_delivery_runs_once(teams: TeamsSide, connector: FakeConnector) -> None:
    await teams.say("alice", "reset my vpn")
    [asked] = cards_in(connector, personal("alice"))
    click = teams.activity(
        "alice",
        {"id": personal("alice"), "conversationType": "personal"},
        value=asked.buttons[0]["data"],
        replyToId=asked.activity_id,
    )
    await teams.post(click)
    await teams.post(click)
    assert said(connector, personal("alice")).count("VPN reset for alice") == 1


async def test_unknown_member_is_a_guest(teams: TeamsSide, connector: FakeConnector) -> None:
    await teams.say("mallory", "reset my vpn")
    assert "I don't know you yet" in said(connector, personal("mallory"))


async def audit_count(app) -> int:
    async with app.state.runtime.store.transaction() as tx:
        return len((await tx.exec(select(AuditEntry))).all())


async def test_without_token_when_auth_is_on_401(
    model_dir: Path, database_url: str, connector: FakeConnector
) -> None:
    registered = {"app_id": "11111111-2222-3333-4444-555555555555", "app_password": "secret"}
    settings = server_settings(model_dir, database_url, teams=registered)
    async with running(settings) as (app, http):
        side = TeamsSide(app, http, connector)
        before = await audit_count(app)
        response = await side.say("alice", "reset my vpn")
        assert response.status_code == 401
        assert await audit_count(app) == before
    assert connector.sent == [] and connector.member_lookups == []


async def test_not_configured_refuses_everything(
    model_dir: Path, database_url: str, connector: FakeConnector
) -> None:
    async with running(server_settings(model_dir, database_url)) as (app, http):
        response = await TeamsSide(app, http, connector).say("alice", "reset my vpn")
        assert response.status_code == 401
        assert "MicrosoftAppId" in response.json()["error"]
    assert connector.sent == []


async def test_unauthenticated_mode_warns_at_start(
    model_dir: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = server_settings(model_dir, database_url, teams={"allow_unauthenticated": True})
    with caplog.at_level("WARNING"):
        async with running(settings):
            pass
    assert any("CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED" in r.message for r in caplog.records)
