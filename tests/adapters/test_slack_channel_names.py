"""Slack channels by name: a grant written `#ops-deploys` is resolved through Slack's Web API
(conversations.list) to the channel's id and kept by id, so renaming the channel keeps the
grant; people read `#name`, never the id (conversations.info, cached). Signed requests to the
real server app, a local fake of Slack's Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette

from chatbot import channel_names
from chatbot.adapters.slack.channels import SlackChannels
from chatbot.config import Grant, Settings
from chatbot.governance.rbac import ChannelBook
from chatbot.store.engine import Store
from tests.adapters.conftest import SIGNING_SECRET, running, server_settings
from tests.adapters.slackside import SlackSide
from tests.fakes.slack_api import FakeSlackApi


def settings_for(model_dir: Path, database_url: str, api: FakeSlackApi) -> Settings:
    values = {"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET, "api_url": api.url}
    settings = server_settings(model_dir, database_url, slack=values)
    roles = dict(settings.roles)
    developer = roles["developer"]
    by_name = Grant(skill="service.restart", where={"env": ("prod",)}, channels=("#ops-deploys",))
    roles["developer"] = developer.model_copy(update={"grants": (*developer.grants, by_name)})
    return settings.model_copy(update={"roles": roles})


@asynccontextmanager
async def slack_app(settings: Settings) -> AsyncIterator[tuple[Starlette, SlackSide]]:
    async with running(settings) as (app, http):
        yield app, SlackSide(app, http, SIGNING_SECRET)


def said_in(api: FakeSlackApi, channel: str) -> str:
    return "\n".join(p["text"] for p in api.posts_to(channel))


async def test_a_grant_written_by_channel_name_applies_in_that_channel(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    slack_api.channels.update({"C0OPS": "ops-deploys", "C0RND": "random", "C0GEN": "general"})
    settings = settings_for(model_dir, database_url, slack_api)
    async with slack_app(settings) as (app, slack):
        assert slack_api.named("conversations.list")  # the name was resolved at start
        await slack.mention("UBOB", "C0OPS", "restart billing in prod")
        assert "Restart billing in prod?" in said_in(slack_api, "C0OPS")
        await slack.mention("UBOB", "C0RND", "restart billing in prod")
        await slack.mention("UBOB", "C0RND", "restart search in prod")
        refused = said_in(slack_api, "C0RND")
        assert "Sorry, you may not do that" in refused and "(only in #ops-deploys)" in refused
        assert "C0OPS" not in refused
        # One conversations.info per channel while its name is fresh, not one per message.
        asked = [c.args["channel"] for c in slack_api.named("conversations.info")]
        assert asked.count("C0RND") == 1
        known = await channel_names.names(app.state.runtime.store)
        assert known["C0RND"] == "#random" and known["C0OPS"] == "#ops-deploys"
    # The channel is renamed; the grant stays with the channel it was resolved to.
    slack_api.channels["C0OPS"] = "ops-2027"
    slack_api.channels["C0NEW"] = "ops-deploys"  # someone takes the old name: not ours
    async with slack_app(settings) as (app, slack):
        await slack.mention("UBOB", "C0OPS", "restart web in prod")
        assert "Restart web in prod?" in said_in(slack_api, "C0OPS")
        await slack.mention("UBOB", "C0NEW", "restart web in prod")
        assert "Sorry, you may not do that" in said_in(slack_api, "C0NEW")


async def test_a_name_slack_does_not_know_grants_nothing(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    slack_api.channels.update({"C0RND": "random"})
    settings = settings_for(model_dir, database_url, slack_api)
    async with slack_app(settings) as (_, slack):
        await slack.mention("UBOB", "C0RND", "restart billing in prod")
        refused = said_in(slack_api, "C0RND")
        assert "Sorry, you may not do that" in refused and "(only in #ops-deploys)" in refused


async def test_a_slack_out_of_reach_leaves_names_as_written(database_url: str) -> None:
    store = Store(database_url)
    await store.migrate()
    try:
        # Nothing listens on port 9: every Web API call fails to connect.
        client = AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/")
        book = ChannelBook()
        channels = SlackChannels(client, store, book)
        # The name cannot be resolved (it grants nothing); the id still applies, unnamed.
        unknown = await channels.resolve_grants({"#ops-deploys", "C0OPS", "direct"})
        assert unknown == ["#ops-deploys"]
        assert await channels.name_of("C0OPS") is None
        assert book.shown("C0OPS") == "C0OPS" and not book.ids
    finally:
        await store.close()
