"""The Teams channel's side of the wire: activities posted to /api/messages as Teams sends
them, with `serviceUrl` pointing at the local fake connector."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.fakes.botframework import FakeConnector, Sent

BOT = {"id": "28:chatops-bot", "name": "chatops"}
_ids = itertools.count(1)


def personal(user: str) -> str:
    return f"a:personal-{user}"


class TeamsSide:
    def __init__(self, app: Starlette, http: httpx.AsyncClient, connector: FakeConnector) -> None:
        self.app, self.http, self.connector = app, http, connector

    def activity(self, user: str, conversation: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return {
            "type": "message",
            "id": f"msg-{next(_ids)}",
            "timestamp": datetime.now(UTC).isoformat(),
            "serviceUrl": self.connector.url,
            "channelId": "msteams",
            "from": {"id": f"29:{user}", "name": user.title(), "aadObjectId": f"aad-{user}"},
            "conversation": conversation,
            "recipient": BOT,
            "channelData": {"tenant": {"id": "tenant-1"}},
            **fields,
        }

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None):
        response = await self.http.post("/api/messages", json=activity, headers=headers or {})
        if self.app.state.teams is not None:
            await self.app.state.teams.drain()
        return response

    async def say(self, user: str, text: str, **fields: Any) -> httpx.Response:
        conversation = {"id": personal(user), "conversationType": "personal", "tenantId": "t"}
        return await self.post(self.activity(user, conversation, text=text, **fields))

    async def mention(self, user: str, channel: str, text: str) -> httpx.Response:
        conversation = {
            "id": f"{channel};messageid={next(_ids)}",
            "conversationType": "channel",
            "isGroup": True,
        }
        at = f"<at>{BOT['name']}</at>"
        activity = self.activity(
            user,
            conversation,
            text=f"{at} {text}",
            entities=[{"type": "mention", "mentioned": BOT, "text": at}],
            channelData={
                "tenant": {"id": "t"},
                "team": {"id": "19:team"},
                "channel": {"id": channel},
            },
        )
        return await self.post(activity)

    async def click(self, user: str, card: Sent, title: str) -> httpx.Response:
        """Press an Action.Submit button: a message activity with `value` and `replyToId`."""
        chosen = [b for b in card.buttons if b["title"] == title]
        assert chosen, f"no button {title!r}; offered {[b['title'] for b in card.buttons]}"
        kind = "channel" if card.conversation.startswith("19:") else "personal"
        conversation = {"id": card.conversation, "conversationType": kind}
        activity = self.activity(
            user, conversation, value=chosen[0]["data"], replyToId=card.activity_id
        )
        return await self.post(activity)
