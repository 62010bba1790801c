"""A local stand-in for Slack's Web API (and its Socket Mode WebSocket) that records every call.

Like bolt-python's tests/mock_web_api_server, but async (aiohttp) and on a free loopback port:
point CHATOPS_SLACK_API_URL (settings.slack.api_url) at `url`. It speaks the documented shapes
of the methods the adapter uses: auth.test, users.info, users.lookupByEmail, conversations.open,
chat.postMessage, chat.update, chat.postEphemeral, apps.connections.open, conversations.info,
conversations.list (paged by `cursor`, as documented).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_USER = "UBOT"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float


@dataclass
class FakeSlackApi:
    users: dict[str, str] = field(default_factory=dict)  # Slack user id -> email
    # Slack user id -> the workspace they belong to (T1 unless said: Slack Connect users differ)
    teams: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)  # channel id -> name
    rate_limit: dict[str, int] = field(default_factory=dict)  # method -> Retry-After, once
    delay: dict[str, float] = field(default_factory=dict)  # method -> seconds before answering
    acks: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # name -> text, at files_url(name)
    url: str = ""
    _runner: web.AppRunner | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/files/{name}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"
        return self

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests look at ---------------------------------------------------------------

    def named(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts_to(self, channel: str) -> list[dict[str, Any]]:
        return [c.args for c in self.named("chat.postMessage") if c.args.get("channel") == channel]

    def updates_of(self, posted: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            c.args
            for c in self.named("chat.update")
            if c.args.get("channel") == posted["channel"] and c.args.get("ts") == posted["ts"]
        ]

    def files_url(self, name: str) -> str:
        """A shared file's `url_private_download`, on this server (as Slack's file host)."""
        return self.url.removesuffix("api/") + f"files/{name}"

    async def _file(self, request: web.Request) -> web.Response:
        """Slack serves private files to the bot token only (Authorization: Bearer)."""
        name = request.match_info["name"]
        self.calls.append(
            Call(
                "files.get",
                {"name": name},
                dict(request.headers),
                asyncio.get_running_loop().time(),
            )
        )
        if request.headers.get("Authorization") != "Bearer xoxb-test" or name not in self.files:
            return web.Response(status=404)
        return web.Response(text=self.files[name])

    # -- the Web API ----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update(dict(await request.post()))
        for key in ("blocks",):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        self.calls.append(
            Call(method, args, dict(request.headers), asyncio.get_running_loop().time())
        )
        await asyncio.sleep(self.delay.get(method, 0))
        if method in self.rate_limit:
            retry_after = self.rate_limit.pop(method)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        return web.json_response(self._answer(method, args, request))

    def _answer(self, method: str, args: dict[str, Any], request: web.Request) -> dict[str, Any]:
        match method:
            case "auth.test":
                return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": "T1"}
            case "users.info":
                user = args.get("user", "")
                if user not in self.users:
                    return {"ok": False, "error": "user_not_found"}
                found = {"id": user, "team_id": self.teams.get(user, "T1")}
                return {"ok": True, "user": {**found, "profile": {"email": self.users[user]}}}
            case "users.lookupByEmail":
                found = [u for u, e in self.users.items() if e == args.get("email")]
                if not found:
                    return {"ok": False, "error": "users_not_found"}
                return {"ok": True, "user": {"id": found[0]}}
            case "conversations.open":
                return {"ok": True, "channel": {"id": "D" + str(args.get("users", ""))}}
            case "chat.postMessage":
                ts = f"1700000000.{next(self._ts):06d}"
                args["ts"] = ts  # recorded with the call, so a test can click on this message
                return {"ok": True, "channel": args.get("channel"), "ts": ts}
            case "chat.update":
                return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}
            case "conversations.info":
                channel = str(args.get("channel", ""))
                if channel not in self.channels:
                    return {"ok": False, "error": "channel_not_found"}
                name = self.channels[channel]
                return {"ok": True, "channel": {"id": channel, "name": name, "is_channel": True}}
            case "conversations.list":
                every = sorted(self.channels.items())
                start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
                page = [{"id": i, "name": n, "is_channel": True} for i, n in every][
                    start : start + limit
                ]
                following = str(start + limit) if start + limit < len(every) else ""
                return {
                    "ok": True,
                    "channels": page,
                    "response_metadata": {"next_cursor": following},
                }
            case "apps.connections.open":
                host = request.host
                return {"ok": True, "url": f"ws://{host}/socket"}
        return {"ok": False, "error": "unknown_method"}

    # -- Socket Mode ----------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1})
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
        return ws

    async def connected(self, timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._sockets:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the adapter never opened the Socket Mode connection")
            await asyncio.sleep(0.01)

    async def envelope(self, envelope_id: str, kind: str, payload: dict[str, Any]) -> None:
        """Send one Socket Mode envelope and wait for its acknowledgement."""
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )
        deadline = asyncio.get_running_loop().time() + 5
        while not any(a.get("envelope_id") == envelope_id for a in self.acks):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"envelope {envelope_id} was never acknowledged")
            await asyncio.sleep(0.01)
