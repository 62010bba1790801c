"""A local stand-in for the Bot Framework connector service (the activity's `serviceUrl`).

It speaks the documented v3 REST API the adapter uses: send to a conversation, reply to an
activity, update an activity, and get a conversation (or team) member; it records every call.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Sent:
    op: str  # "send" | "reply" | "update"
    conversation: str
    activity_id: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        parts = [self.body.get("text") or ""]
        for attachment in self.body.get("attachments") or []:
            for block in attachment.get("content", {}).get("body", []):
                parts.append(block.get("text", ""))
        return "\n".join(p for p in parts if p)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for attachment in self.body.get("attachments") or []:
            found += attachment.get("content", {}).get("actions", [])
        return found


@dataclass
class FakeConnector:
    members: dict[str, dict[str, str]] = field(default_factory=dict)  # member id -> account
    sent: list[Sent] = field(default_factory=list)
    member_lookups: list[str] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> FakeConnector:
        app = web.Application()
        base = "/v3/conversations/{conversation}"
        app.router.add_post(base + "/activities", self._send)
        app.router.add_post(base + "/activities/{activity}", self._send)
        app.router.add_put(base + "/activities/{activity}", self._update)
        app.router.add_get(base + "/members/{member}", self._member)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def messages_in(self, conversation: str) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.conversation == conversation
            and s.op != "update"
            and s.body.get("type") == "message"
        ]

    def updates_of(self, sent: Sent) -> list[Sent]:
        return [s for s in self.sent if s.op == "update" and s.activity_id == sent.activity_id]

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        new_id = f"act-{next(self._ids)}"
        op = "reply" if "activity" in request.match_info else "send"
        self.sent.append(Sent(op, request.match_info["conversation"], new_id, body))
        return web.json_response({"id": new_id})

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        activity_id = request.match_info["activity"]
        self.sent.append(Sent("update", request.match_info["conversation"], activity_id, body))
        return web.json_response({"id": activity_id})

    async def _member(self, request: web.Request) -> web.Response:
        member = request.match_info["member"]
        self.member_lookups.append(member)
        if member not in self.members:
            error = {"code": "MemberNotFoundInConversation", "message": "not found"}
            return web.json_response({"error": error}, status=404)
        return web.json_response({"id": member, **self.members[member]})
