"""Slack under attack: other workspaces, Slack Connect strangers, markup in our own edits,
clicks by people who may not decide, forged button values, bodies that are not Slack's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatbot import texts
from chatbot.types import ButtonValue
from tests.adapters.conftest import SIGNING_SECRET, running, server_settings
from tests.adapters.slackside import SlackSide
from tests.fakes.slack_api import FakeSlackApi


def settings_for(model_dir: Path, database_url: str, api: FakeSlackApi, **extra: str):
    values = {"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET, "api_url": api.url}
    return server_settings(model_dir, database_url, slack={**values, **extra})


async def test_requests_from_another_workspace_are_ignored(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    settings = settings_for(model_dir, database_url, slack_api, team_id="T1")
    async with running(settings) as (app, http):
        side = SlackSide(app, http, SIGNING_SECRET)
        side.team = "T2"  # the same app installed elsewhere: signed by Slack all the same
        assert (await side.dm("UALICE", "reset my vpn")).status_code == 200
        assert (await side.command("UALICE", "CHELP", "reset my vpn")).status_code == 200
        assert slack_api.named("chat.postMessage") == []
        side.team = "T1"
        await side.dm("UALICE", "reset my vpn")
        assert slack_api.posts_to("DUALICE")


async def test_another_organisation_is_checked_when_set(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    settings = settings_for(model_dir, database_url, slack_api, team_id="T1", enterprise_id="E1")
    async with running(settings) as (app, http):
        side = SlackSide(app, http, SIGNING_SECRET)
        await side.dm("UALICE", "reset my vpn")  # the event names no organisation at all
        assert slack_api.named("chat.postMessage") == []


async def test_a_slack_connect_user_is_a_guest_whatever_their_email(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    slack_api.users["UMALLORY"] = "dave@example.com"  # their own workspace says so
    slack_api.teams["UMALLORY"] = "TOTHER"
    async with running(settings_for(model_dir, database_url, slack_api)) as (app, http):
        side = SlackSide(app, http, SIGNING_SECRET)
        await side.mention("UMALLORY", "CSHARED", "deploy payments-api 2.3.1 to prod")
        [answer] = slack_api.posts_to("CSHARED")
        assert answer["text"] == texts.GUEST


async def test_every_edit_is_escaped_like_the_first_post(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    async with running(settings_for(model_dir, database_url, slack_api)) as (app, http):
        side = SlackSide(app, http, SIGNING_SECRET)
        await side.dm(
            "UALICE",
            "create ticket printer broken <!channel> <https://evil.example|Click to approve>",
        )
        [asked] = slack_api.posts_to("DUALICE")
        assert "<!channel>" not in asked["text"] and "&lt;!channel&gt;" in asked["text"]
        await side.click("UALICE", asked, "Confirm")
        updates = slack_api.updates_of(asked)
        assert updates
        for update in updates:
            shown = json.dumps(update)
            assert "<!channel>" not in shown and "<https://evil" not in shown
        assert "&lt;!channel&gt;" in updates[-1]["text"]
        assert "<@UALICE>" in updates[-1]["text"]  # our own mention of the clicker stays one


async def test_progress_updates_are_escaped(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    async with running(settings_for(model_dir, database_url, slack_api)) as (app, http):
        side = SlackSide(app, http, SIGNING_SECRET)
        await side.dm("UBOB", "deploy web 5.2.0 to dev")
        [asked] = slack_api.posts_to("DUBOB")
        pressed = ButtonValue.parse(asked["blocks"][1]["elements"][0]["value"])
        assert pressed is not None and pressed.action_id is not None
        await app.state.slack.on_progress(pressed.action_id, "<!here> step <https://evil.ex|x>")
        shown = slack_api.updates_of(asked)[-1]["text"]
        assert "<!here>" not in shown and "&lt;!here&gt;" in shown


@pytest.mark.parametrize("value", ["approve:²", "approve:2**70", f"approve:{2**70}", "approve:-1"])
async def test_forged_button_values_get_a_plain_answer(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi, value: str
) -> None:
    async with running(settings_for(model_dir, database_url, slack_api)) as (app, http):
        side = SlackSide(app, http, SIGNING_SECRET)
        await side.dm("UALICE", "reset my vpn")
        [asked] = slack_api.posts_to("DUALICE")
        body = side.click_body("UALICE", asked, "Confirm", value)
        assert (await side.send(body, "application/x-www-form-urlencoded")).status_code == 200
        [answer] = slack_api.named("chat.postEphemeral")
        assert answer.args["text"] == texts.UNKNOWN_BUTTON
        assert slack_api.updates_of(asked) == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{" * 3000, "application/json"),
        ('{"type": "event_callback", "team_id": "T1", "n": 1e999}', "application/json"),
        ("payload=" + "%5B" * 3000, "application/x-www-form-urlencoded"),
        ("payload=%7B%22n%22%3A%20NaN%7D", "application/x-www-form-urlencoded"),
    ],
    ids=["deep-json", "1e999", "deep-payload", "nan-payload"],
)
async def test_bodies_are_verified_before_they_are_parsed(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi, body: str, content_type: str
) -> None:
    async with running(settings_for(model_dir, database_url, slack_api)) as (app, http):
        side = SlackSide(app, http, SIGNING_SECRET)
        unsigned = await http.post(
            "/slack/events", content=body, headers={"content-type": content_type}
        )
        assert unsigned.status_code == 401  # not parsed: refused for the missing signature
        signed = await side.send(body, content_type)
        assert signed.status_code == 400, signed.text
    assert slack_api.calls == []


async def test_a_non_utf8_body_is_refused(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    async with running(settings_for(model_dir, database_url, slack_api)) as (app, http):
        side = SlackSide(app, http, SIGNING_SECRET)
        raw = b'{"type": "event_callback", "x": "\xff"}'
        headers = side.headers(raw.decode("latin-1"), "application/json")
        response = await http.post("/slack/events", content=raw, headers=headers)
        assert response.status_code == 400 and "UTF-8" in response.json()["error"]


@pytest.mark.parametrize("stamp", ["", "soon", "12.5", "9" * 40])
async def test_a_malformed_timestamp_is_401(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi, stamp: str
) -> None:
    async with running(settings_for(model_dir, database_url, slack_api)) as (_, http):
        headers = {"content-type": "application/json", "x-slack-request-timestamp": stamp}
        response = await http.post("/slack/events", content=b"{}", headers=headers)
        assert response.status_code == 401
