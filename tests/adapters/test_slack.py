"""Slack end to end: signed requests to the real server app, Bolt, the pipeline, and a local
fake of Slack's Web API that records what the assistant said and edited."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from chatbot.adapters.slack.adapter import Origin
from chatbot.store.tables import AuditEntry
from chatbot.types import Reply
from tests.adapters.conftest import SIGNING_SECRET, running, server_settings
from tests.adapters.slackside import SlackSide
from tests.fakes.slack_api import FakeSlackApi


def slack_settings(model_dir: Path, database_url: str, api: FakeSlackApi, **extra: str):
    values = {"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET, "api_url": api.url}
    return server_settings(model_dir, database_url, slack={**values, **extra})


@pytest.fixture
async def slack(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> AsyncIterator[SlackSide]:
    async with running(slack_settings(model_dir, database_url, slack_api)) as (app, http):
        yield SlackSide(app, http, SIGNING_SECRET)


async def audit_count(side: SlackSide) -> int:
    async with side.app.state.runtime.store.transaction() as tx:
        return len((await tx.exec(select(AuditEntry))).all())


def texts(posts: list[dict]) -> str:
    return "\n".join(p["text"] for p in posts)


async def test_dm_request_confirm_result(slack: SlackSide, slack_api: FakeSlackApi) -> None:
    response = await slack.dm("UALICE", "reset my vpn")
    assert response.status_code == 200
    [asked] = slack_api.posts_to("DUALICE")
    assert "thread_ts" not in asked or asked["thread_ts"] is None  # DMs stay flat
    assert [e["text"]["text"] for e in asked["blocks"][1]["elements"]][:2] == ["Confirm", "Cancel"]

    assert (await slack.click("UALICE", asked, "Confirm")).status_code == 200
    assert "VPN reset for alice" in texts(slack_api.posts_to("DUALICE"))
    updates = slack_api.updates_of(asked)
    assert updates[0]["text"].endswith("working on it…")  # progress, before the skill ran
    final = updates[-1]
    assert "Confirmed by <@UALICE>" in final["text"] and "VPN reset" in final["text"]
    assert all(b["type"] != "actions" for b in final["blocks"])  # buttons gone


async def test_mention_in_channel_replies_in_thread(
    slack: SlackSide, slack_api: FakeSlackApi
) -> None:
    await slack.mention("UBOB", "CDEV", "deploy payments-api 2.3.1 to staging")
    [asked] = slack_api.posts_to("CDEV")
    assert asked["thread_ts"] and "payments-api" in asked["text"]
    await slack.click("UBOB", asked, "Confirm")
    done = slack_api.posts_to("CDEV")[-1]
    assert "Deployed payments-api 2.3.1 to staging" in done["text"]
    assert done["thread_ts"] == asked["thread_ts"]


async def test_a_running_action_shows_its_steps_on_the_request_card(
    slack: SlackSide, slack_api: FakeSlackApi
) -> None:
    await slack.dm("UBOB", "deploy web 5.2.0 to dev")
    [asked] = slack_api.posts_to("DUBOB")
    await slack.click("UBOB", asked, "Confirm")
    shown = [u["text"] for u in slack_api.updates_of(asked)]
    steps = [t for t in shown if "⏳ step" in t]
    assert steps and "step 1 of 2: rolling out web 5.2.0 to dev" in steps[0]
    assert "Deployed web 5.2.0 to dev" in shown[-1]  # the final state replaces the steps


async def test_slash_command(slack: SlackSide, slack_api: FakeSlackApi) -> None:
    response = await slack.command("UALICE", "CHELP", "reset my vpn")
    assert response.status_code == 200
    assert "Reset your VPN sessions" in texts(slack_api.posts_to("CHELP"))


async def test_approval_by_another_person_updates_both_messages(
    slack: SlackSide, slack_api: FakeSlackApi
) -> None:
    await slack.dm("UCAROL", "deploy payments-api 2.3.1 to prod")
    [asked] = slack_api.posts_to("DUCAROL")
    await slack.click("UCAROL", asked, "Send for approval")
    assert [c.args["email"] for c in slack_api.named("users.lookupByEmail")] == ["dave@example.com"]
    [card] = slack_api.posts_to("DUDAVE")
    assert "Approval needed" in card["text"]
    assert "Sent for approval by <@UCAROL>" in slack_api.updates_of(asked)[-1]["text"]

    posted = len(slack_api.named("chat.postMessage"))
    own = await slack.click("UCAROL", card, "Approve")  # carol cannot approve her own request
    assert own.status_code == 200
    assert slack_api.updates_of(card) == []  # the card never showed "Approved by" her
    assert len(slack_api.named("chat.postMessage")) == posted  # nothing said to the channel
    [refusal] = slack_api.named("chat.postEphemeral")
    assert refusal.args["user"] == "UCAROL" and "approve" in refusal.args["text"].lower()

    await slack.click("UDAVE", card, "Approve")
    told = texts(slack_api.posts_to("DUCAROL"))
    assert "Deployed payments-api 2.3.1 to prod" in told
    for message in (asked, card):
        final = slack_api.updates_of(message)[-1]
        assert "Approved by <@UDAVE>" in final["text"]
        assert "Deployed payments-api 2.3.1 to prod" in final["text"]
        assert all(b["type"] != "actions" for b in final["blocks"])


async def test_approvals_channel_gets_one_card(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    settings = slack_settings(model_dir, database_url, slack_api, approvals_channel="CAPPROVE")
    async with running(settings) as (app, http):
        side = SlackSide(app, http, SIGNING_SECRET)
        await side.dm("UCAROL", "deploy payments-api 2.3.1 to prod")
        await side.click("UCAROL", slack_api.posts_to("DUCAROL")[0], "Send for approval")
        [card] = slack_api.posts_to("CAPPROVE")
        await side.click("UDAVE", card, "Reject")
        assert "rejected request" in texts(slack_api.posts_to("DUCAROL"))
        assert "Rejected by <@UDAVE>" in slack_api.updates_of(card)[-1]["text"]


async def test_governance_approvals_channel_is_honoured(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    values = {"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET, "api_url": slack_api.url}
    settings = server_settings(model_dir, database_url, slack=values, approvals={"channel": "CGOV"})
    async with running(settings) as (app, http):
        side = SlackSide(app, http, SIGNING_SECRET)
        await side.dm("UCAROL", "deploy payments-api 2.3.1 to prod")
        await side.click("UCAROL", slack_api.posts_to("DUCAROL")[0], "Send for approval")
        [card] = slack_api.posts_to("CGOV")
        assert slack_api.posts_to("DUDAVE") == []  # one card in the channel, no DMs
        await side.click("UDAVE", card, "Approve")
        assert "Deployed payments-api 2.3.1 to prod" in slack_api.updates_of(card)[-1]["text"]
        later = slack_api.posts_to("CGOV")[1:]  # the approver's answers go in the card's thread
        assert later and all(p.get("thread_ts") == card["ts"] for p in later)


async def test_denied_request(slack: SlackSide, slack_api: FakeSlackApi) -> None:
    await slack.dm("UBOB", "deploy payments-api 2.3.1 to prod")
    [denied] = slack_api.posts_to("DUBOB")
    assert "may not" in denied["text"] and len(denied["blocks"]) == 1


async def test_unknown_person_is_a_guest(slack: SlackSide, slack_api: FakeSlackApi) -> None:
    await slack.dm("UNOBODY", "reset my vpn")
    assert "I don't know you yet" in texts(slack_api.posts_to("DUNOBODY"))


@pytest.mark.parametrize("forgery", ["bad-signature", "stale"])
async def test_forged_or_stale_request_is_refused(
    slack: SlackSide, slack_api: FakeSlackApi, forgery: str
) -> None:
    body = slack.event_body(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DUALICE",
            "user": "UALICE",
            "text": "reset my vpn",
            "ts": "1.1",
        }
    )
    before = await audit_count(slack)
    if forgery == "stale":
        response = await slack.send(body, "application/json", age=6 * 60)
    else:
        extra = {"X-Slack-Signature": "v0=" + "0" * 64}
        response = await slack.send(body, "application/json", extra)
    assert response.status_code == 401
    assert await audit_count(slack) == before
    assert slack_api.named("chat.postMessage") == []


async def test_retried_event_runs_once(slack: SlackSide, slack_api: FakeSlackApi) -> None:
    await slack.dm("UALICE", "reset my vpn", event_id="EvSAME")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    await slack.dm("UALICE", "reset my vpn", event_id="EvSAME", extra=retry)
    assert len(slack_api.posts_to("DUALICE")) == 1


async def test_double_click_runs_once(slack: SlackSide, slack_api: FakeSlackApi) -> None:
    await slack.dm("UBOB", "deploy web 5.2.0 to dev")
    [asked] = slack_api.posts_to("DUBOB")
    body = slack.click_body("UBOB", asked, "Confirm")
    await slack.send(body, "application/x-www-form-urlencoded")
    await slack.send(body, "application/x-www-form-urlencoded")  # the same click delivered twice
    assert texts(slack_api.posts_to("DUBOB")).count("Deployed web 5.2.0 to dev") == 1
    final = slack_api.updates_of(asked)[-1]  # the repeat did not bring the buttons back
    assert "Confirmed by <@UBOB>" in final["text"] and len(final["blocks"]) == 1


async def test_click_on_a_decided_card_says_so(slack: SlackSide, slack_api: FakeSlackApi) -> None:
    await slack.dm("UBOB", "deploy web 5.2.0 to dev")
    [asked] = slack_api.posts_to("DUBOB")
    await slack.click("UBOB", asked, "Confirm")
    await slack.click("UBOB", asked, "Cancel")  # an old copy of the card, clicked later
    final = slack_api.updates_of(asked)[-1]
    assert final["text"].endswith("Already succeeded.") and len(final["blocks"]) == 1


async def test_ack_does_not_wait_for_slow_work(slack: SlackSide, slack_api: FakeSlackApi) -> None:
    slack_api.delay["users.info"] = 1.0  # Slack itself is slow today
    body = slack.event_body(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DUALICE",
            "user": "UALICE",
            "text": "reset my vpn",
            "ts": "1.2",
        }
    )
    started = time.perf_counter()
    response = await slack.http.post(
        "/slack/events", content=body, headers=slack.headers(body, "application/json")
    )
    acked = time.perf_counter() - started
    assert response.status_code == 200 and acked < 0.5
    assert slack_api.posts_to("DUALICE") == []  # the work is still going on
    await slack.app.state.slack.drain()
    assert "Reset your VPN sessions" in texts(slack_api.posts_to("DUALICE"))


async def test_rate_limit_is_honoured(slack: SlackSide, slack_api: FakeSlackApi) -> None:
    slack_api.rate_limit["chat.postMessage"] = 1
    await slack.dm("UALICE", "help")
    posts = slack_api.named("chat.postMessage")
    assert len(posts) == 2 and posts[1].at - posts[0].at >= 1.0


async def test_not_configured_answers_503(model_dir: Path, database_url: str) -> None:
    async with running(server_settings(model_dir, database_url)) as (_, http):
        response = await http.post("/slack/events", content="{}")
        assert response.status_code == 503
        assert "SLACK_BOT_TOKEN" in response.json()["error"]
        assert (await http.get("/healthz")).status_code == 200


async def test_private_reply_is_ephemeral(slack: SlackSide, slack_api: FakeSlackApi) -> None:
    origin = Origin("CDEV", "1699999999.000001", "UALICE")
    await slack.app.state.slack.deliver([Reply("your new password: ...", private=True)], origin)
    [ephemeral] = slack_api.named("chat.postEphemeral")
    assert ephemeral.args["user"] == "UALICE" and ephemeral.args["channel"] == "CDEV"
    assert slack_api.named("chat.postMessage") == []
