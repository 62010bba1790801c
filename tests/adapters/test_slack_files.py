"""Issue 17, item 3 on Slack: an admin shares a manifest file with the bot (a `file_share`
message); the adapter fetches it from Slack's file host with the bot token and the pipeline
answers with the CLI's check and the Add / Preview / Cancel card. Files elsewhere, or not
named as manifests, are never fetched."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from skills import admin
from tests.adapters.conftest import SIGNING_SECRET, running, server_settings
from tests.adapters.slackside import SlackSide
from tests.fakes.slack_api import FakeSlackApi

CACHE = (Path(__file__).parents[2] / "deploy" / "examples" / "cache-flush.toml").read_text()


def _shared(user: str, files: list[dict[str, Any]], text: str = "") -> str:
    ts = f"{time.time():.6f}"
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "files": files,
    }
    return SlackSide.event_body(event)


async def test_a_manifest_shared_as_a_file_is_checked_and_offered(
    model_dir: Path,
    database_url: str,
    slack_api: FakeSlackApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", "cdn-s3cret-token-123")
    slack_api.files["cache-flush.toml"] = CACHE
    settings = server_settings(
        model_dir,
        database_url,
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SIGNING_SECRET,
            "api_url": slack_api.url,
        },
        skills={"allowed_hosts": ("cdn.example.com",)},
    )
    async with running(settings) as (app, http):
        slack = SlackSide(app, http, SIGNING_SECRET)
        manifest = {
            "name": "cache-flush.toml",
            "size": len(CACHE),
            "url_private_download": slack_api.files_url("cache-flush.toml"),
        }
        elsewhere = {**manifest, "url_private_download": "https://evil.example.net/x.toml"}
        picture = {**manifest, "name": "cat.png"}
        body = _shared("UDAVE", [picture, elsewhere, manifest])
        assert (await slack.send(body, "application/json")).status_code == 200
        fetched = slack_api.named("files.get")
        assert [c.args["name"] for c in fetched] == ["cache-flush.toml"]  # only that one
        assert fetched[0].headers["Authorization"] == "Bearer xoxb-test"
        posts = slack_api.posts_to("DUDAVE")
        said = "\n".join(p["text"] for p in posts)
        assert "cache-flush.toml: ok (cache.flush, 8 examples)" in said
        card = next(p for p in posts if "Add the skill cache.flush" in p["text"])
        assert (await slack.click("UDAVE", card, "Confirm")).status_code == 200
        assert "Skill cache.flush added (version 1)" in "\n".join(
            p["text"] for p in slack_api.posts_to("DUDAVE")
        )
        store = app.state.runtime.store
        (version,) = await admin.versions(store, "cache.flush")
        assert version.source == CACHE and version.created_by == "dave"
        # A person who is not an admin gets a refusal, and nothing to press.
        slack_api.files["again.toml"] = CACHE
        other = {
            **manifest,
            "name": "again.toml",
            "url_private_download": slack_api.files_url("again.toml"),
        }
        await slack.send(_shared("UBOB", [other]), "application/json")
        (refused,) = slack_api.posts_to("DUBOB")
        assert "Only admins can add skills" in refused["text"]
        assert json.dumps(refused.get("blocks", [])).count('"actions"') == 0
