"""Across platforms: carol asks on Slack, her approver dave only uses Teams. The approval card
reaches dave in Teams, his click there decides, carol hears the result on Slack, and her
request message there shows the decision."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.adapters.conftest import SIGNING_SECRET, SLACK_USERS, running, server_settings
from tests.adapters.slackside import SlackSide
from tests.adapters.teamsside import TeamsSide, personal
from tests.fakes.botframework import FakeConnector
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
async def both(
    model_dir: Path, database_url: str
) -> AsyncIterator[tuple[SlackSide, FakeSlackApi, TeamsSide, FakeConnector]]:
    on_slack = {user: email for user, email in SLACK_USERS.items() if user != "UDAVE"}
    slack_api = await FakeSlackApi(users=on_slack).start()
    connector = await FakeConnector(
        members={"29:dave": {"name": "Dave", "email": "dave@example.com"}}
    ).start()
    slack = {"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET, "api_url": slack_api.url}
    settings = server_settings(
        model_dir, database_url, slack=slack, teams={"allow_unauthenticated": True}
    )
    try:
        async with running(settings) as (app, http):
            yield (
                SlackSide(app, http, SIGNING_SECRET),
                slack_api,
                TeamsSide(app, http, connector),
                connector,
            )
    finally:
        await slack_api.stop()
        await connector.stop()


async def test_a_slack_request_is_approved_in_teams(
    both: tuple[SlackSide, FakeSlackApi, TeamsSide, FakeConnector],
) -> None:
    slack, slack_api, teams, connector = both
    await teams.say("dave", "hello")  # dave has opened his chat with the bot in Teams
    await slack.dm("UCAROL", "deploy payments-api 2.3.1 to prod")
    [asked] = slack_api.posts_to("DUCAROL")
    await slack.click("UCAROL", asked, "Send for approval")

    assert slack_api.posts_to("DUDAVE") == []  # dave has no Slack account ...
    [card] = [s for s in connector.messages_in(personal("dave")) if s.buttons]
    assert "Approval needed" in card.text and "payments-api" in card.text  # ... but Teams
    assert "could not reach" not in "\n".join(p["text"] for p in slack_api.posts_to("DUCAROL"))

    await teams.click("dave", card, "Approve")
    told = "\n".join(p["text"] for p in slack_api.posts_to("DUCAROL"))
    assert "Deployed payments-api 2.3.1 to prod" in told
    assert "Approved by Dave" in connector.updates_of(card)[-1].text
    final = slack_api.updates_of(asked)[-1]  # carol's request on Slack shows it as well
    assert "Approved by Dave (admin)" in final["text"]  # his directory name, not a Teams id
    assert "Deployed payments-api" in final["text"]
    assert all(b["type"] != "actions" for b in final["blocks"])
