"""Slack's side of the wire: signed Events API, interactivity and slash-command requests,
built exactly as Slack sends them (JSON events; form-encoded `payload=` for clicks)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette

from tests.fakes.slack_api import BOT_USER

_ids = itertools.count(1)


class SlackSide:
    def __init__(self, app: Starlette, http: httpx.AsyncClient, secret: str) -> None:
        self.app, self.http, self.signer = app, http, SignatureVerifier(secret)
        self.team = "T1"  # the workspace requests say they come from

    def headers(self, body: str, content_type: str, age: int = 0) -> dict[str, str]:
        ts = str(int(time.time()) - age)
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self.signer.generate_signature(timestamp=ts, body=body),
        }

    async def send(
        self, body: str, content_type: str, extra: dict[str, str] | None = None, age: int = 0
    ) -> httpx.Response:
        headers = {**self.headers(body, content_type, age), **(extra or {})}
        response = await self.http.post("/slack/events", content=body, headers=headers)
        if self.app.state.slack is not None:
            await self.app.state.slack.drain()
        return response

    @staticmethod
    def event_body(event: dict[str, Any], event_id: str | None = None, team: str = "T1") -> str:
        return json.dumps(
            {
                "token": "legacy",
                "team_id": team,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(_ids):08d}",
                "event_time": int(time.time()),
                "event": event,
            }
        )

    async def dm(
        self, user: str, text: str, event_id: str | None = None, **kw: Any
    ) -> httpx.Response:
        ts = f"1699999999.{next(_ids):06d}"
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{user}",
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
        }
        return await self.send(
            self.event_body(event, event_id, self.team), "application/json", **kw
        )

    async def mention(self, user: str, channel: str, text: str) -> httpx.Response:
        ts = f"1699999999.{next(_ids):06d}"
        event = {
            "type": "app_mention",
            "channel": channel,
            "user": user,
            "text": f"<@{BOT_USER}> {text}",
            "ts": ts,
            "event_ts": ts,
        }
        return await self.send(self.event_body(event, None, self.team), "application/json")

    async def command(
        self, user: str, channel: str, text: str, name: str = "/ops"
    ) -> httpx.Response:
        form = {
            "command": name,
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "team_id": self.team,
            "trigger_id": f"trig{next(_ids)}",
            "response_url": "http://127.0.0.1:9/unused",
        }
        return await self.send(urlencode(form), "application/x-www-form-urlencoded")

    async def click(self, user: str, posted: dict[str, Any], label: str) -> httpx.Response:
        """Click the button labelled `label` on a message the bot posted (a recorded call)."""
        body = self.click_body(user, posted, label, None, self.team)
        return await self.send(body, "application/x-www-form-urlencoded")

    @staticmethod
    def click_body(
        user: str, posted: dict[str, Any], label: str, value: str | None = None, team: str = "T1"
    ) -> str:
        """The click's form body; `value` forges the button's value (as an attacker could)."""
        buttons = [e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]]
        chosen = [b for b in buttons if b["text"]["text"] == label]
        assert chosen, f"no button {label!r}; offered {[b['text']['text'] for b in buttons]}"
        message = {
            "type": "message",
            "ts": posted["ts"],
            "text": posted["text"],
            "blocks": posted["blocks"],
            "user": BOT_USER,
        }
        if posted.get("thread_ts"):
            message["thread_ts"] = posted["thread_ts"]
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": team},
            "api_app_id": "A1",
            "trigger_id": f"trig{next(_ids)}",
            "channel": {"id": posted["channel"]},
            "container": {
                "type": "message",
                "message_ts": posted["ts"],
                "channel_id": posted["channel"],
            },
            "message": message,
            "actions": [
                {
                    **chosen[0],
                    **({"value": value} if value is not None else {}),
                    "block_id": "chatops",
                    "action_ts": f"{time.time():.6f}{next(_ids)}",
                }
            ],
        }
        return urlencode({"payload": json.dumps(payload)})
