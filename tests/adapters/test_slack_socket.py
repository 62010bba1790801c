"""Socket Mode: with SLACK_APP_TOKEN the adapter dials out (apps.connections.open on the fake
Web API returns the fake's ws:// URL) and takes the same payloads over the WebSocket."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import parse_qs

from tests.adapters.conftest import running, server_settings
from tests.adapters.slackside import SlackSide
from tests.fakes.slack_api import FakeSlackApi


async def settled(app, api: FakeSlackApi, channel: str, count: int) -> list[dict]:
    for _ in range(200):
        await app.state.slack.drain()
        if len(api.posts_to(channel)) >= count:
            break
        await asyncio.sleep(0.01)
    return api.posts_to(channel)


async def test_socket_mode_request_confirm_result(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi
) -> None:
    slack = {"bot_token": "xoxb-test", "app_token": "xapp-test", "api_url": slack_api.url}
    async with running(server_settings(model_dir, database_url, slack=slack)) as (app, http):
        await slack_api.connected()
        opened = slack_api.named("apps.connections.open")
        assert opened and opened[0].headers["Authorization"] == "Bearer xapp-test"

        event = {
            "type": "message",
            "channel_type": "im",
            "channel": "DUALICE",
            "user": "UALICE",
            "text": "reset my vpn",
            "ts": "1.000001",
        }
        body = json.loads(SlackSide.event_body(event, "EvSOCK1"))
        await slack_api.envelope("env-1", "events_api", body)
        await slack_api.envelope("env-1b", "events_api", body)  # redelivered: runs once
        [asked] = await settled(app, slack_api, "DUALICE", 1)

        payload = json.loads(
            parse_qs(SlackSide.click_body("UALICE", asked, "Confirm"))["payload"][0]
        )
        await slack_api.envelope("env-2", "interactive", payload)
        posts = await settled(app, slack_api, "DUALICE", 2)
        assert "VPN reset for alice" in posts[-1]["text"]
        assert len(posts) == 2

        # the HTTP endpoint is not used in Socket Mode, and says so
        assert (await http.post("/slack/events", content="{}")).status_code == 404
