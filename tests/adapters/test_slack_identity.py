"""Slack end to end for the directory: a person provisioned over SCIM asks on Slack, the
card goes to their manager (from the enterprise extension) and the manager's click decides;
a prod restart is allowed only from the ops channel. Signed requests to the real server app,
a local fake of Slack's Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatbot.config import Grant, IdentitySettings, PolicyRule
from tests.adapters.conftest import SIGNING_SECRET, running, server_settings
from tests.adapters.slackside import SlackSide
from tests.fakes.slack_api import FakeSlackApi

TOKEN = "scim-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
async def slack(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> AsyncIterator[SlackSide]:
    values = {"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET, "api_url": slack_api.url}
    settings = server_settings(model_dir, database_url, slack=values, scim={"token": TOKEN})
    roles = dict(settings.roles)
    developer = roles["developer"]
    ops_only = Grant(skill="service.restart", where={"env": ("prod",)}, channels=("C0OPS",))
    roles["developer"] = developer.model_copy(update={"grants": (*developer.grants, ops_only)})
    settings = settings.model_copy(
        update={
            "roles": roles,
            "identity": IdentitySettings(domains=("example.com",)),
            "policy": (
                *settings.policy,
                PolicyRule(skill="ticket.close", requires="approval", approvers="@manager"),
            ),
        }
    )
    async with running(settings) as (app, http):
        yield SlackSide(app, http, SIGNING_SECRET)


def texts(posts: list[dict]) -> str:
    return "\n".join(p["text"] for p in posts)


async def test_the_card_goes_to_the_requesters_manager(
    slack: SlackSide, slack_api: FakeSlackApi
) -> None:
    async def provision(body: dict) -> dict:
        made = await slack.http.post("/scim/v2/Users", json=body, headers=AUTH)
        assert made.status_code == 201, made.text
        return made.json()

    mia = await provision({"schemas": [USER], "userName": "mia@example.com"})
    await provision(
        {
            "schemas": [USER, ENTERPRISE],
            "userName": "rick@example.com",
            "emails": [{"value": "rick@example.com", "primary": True}],
            ENTERPRISE: {"manager": {"value": mia["id"]}},
        }
    )
    slack_api.users.update({"URICK": "rick@example.com", "UMIA": "mia@example.com"})
    await slack.dm("URICK", "close INC0012345")
    [asked] = slack_api.posts_to("DURICK")
    assert "your manager mia@example.com" in asked["text"]
    await slack.click("URICK", asked, "Send for approval")
    lookups = [c.args["email"] for c in slack_api.named("users.lookupByEmail")]
    assert lookups == ["mia@example.com"]
    [card] = slack_api.posts_to("DUMIA")
    assert "Approval needed" in card["text"]
    await slack.click("UDAVE", card, "Approve")  # an admin, but not rick's manager
    # Still undecided: a refused click never touches the card (the refusal goes to dave alone).
    assert all(u["blocks"] == card["blocks"] for u in slack_api.updates_of(card))
    await slack.click("UMIA", card, "Approve")
    assert "INC0012345" in texts(slack_api.posts_to("DURICK")[1:])
    assert "Approved by <@UMIA>" in slack_api.updates_of(card)[-1]["text"]


async def test_prod_restarts_only_from_the_ops_channel(
    slack: SlackSide, slack_api: FakeSlackApi
) -> None:
    await slack.mention("UBOB", "C0OPS", "restart billing in prod")
    assert "Restart billing in prod?" in texts(slack_api.posts_to("C0OPS"))
    await slack.mention("UBOB", "C0RANDOM", "restart billing in prod")
    refused = texts(slack_api.posts_to("C0RANDOM"))
    assert "Sorry, you may not do that" in refused and "(only in C0OPS)" in refused
