"""Slack on the one server: the `/slack/events` route and the adapter's lifetime.

HTTP mode: the route verifies the signature and the timestamp (older than five minutes is
refused) over the raw body and answers 401 before anything parses it (Bolt parses first and
verifies afterwards, so a malformed unsigned body would reach its JSON parser); then the body
is checked like every other (`bodies.parse_json`) and handed to Bolt's Starlette handler, which
verifies again. Socket Mode (SLACK_APP_TOKEN set):
the adapter dials out to Slack, and `/slack/events` answers 404 saying so. Not configured: 503
with what to set; the rest of the server starts as usual.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.adapters.bodies import BadBody, decode, parse_json
from chatbot.adapters.slack.adapter import PLATFORM, SlackAdapter
from chatbot.app import Runtime
from chatbot.governance.rbac import written_channels

log = logging.getLogger(__name__)
NOT_CONFIGURED = (
    "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
    "(or SLACK_APP_TOKEN for Socket Mode)"
)
SOCKET_MODE = "Slack runs in Socket Mode (SLACK_APP_TOKEN is set); this endpoint is not used"


async def events(request: Request) -> Response:
    handler: AsyncSlackRequestHandler | None = getattr(request.app.state, "slack_http", None)
    adapter: SlackAdapter | None = getattr(request.app.state, "slack", None)
    if adapter is None:
        return JSONResponse({"error": NOT_CONFIGURED}, status_code=503)
    if handler is None:
        return JSONResponse({"error": SOCKET_MODE}, status_code=404)
    raw = await request.body()  # bounded by the edge guard; Starlette keeps it for Bolt
    try:
        text = decode(raw)  # Slack sends UTF-8, and the verifier needs text
    except BadBody as exc:
        return JSONResponse({"error": exc.text}, status_code=exc.status)
    secret = adapter.settings.signing_secret.get_secret_value()
    stamp = request.headers.get("x-slack-request-timestamp", "")
    well_formed = stamp.isascii() and stamp.isdigit() and len(stamp) < 12
    signed = well_formed and SignatureVerifier(secret).is_valid(
        text, stamp, request.headers.get("x-slack-signature", "")
    )
    if not signed:
        return JSONResponse({"error": "invalid request signature"}, status_code=401)
    try:
        _check(text, request.headers.get("content-type", ""))
    except BadBody as exc:
        return JSONResponse({"error": exc.text}, status_code=exc.status)
    return await handler.handle(request)


def _check(text: str, content_type: str) -> None:
    """What Bolt will parse, parsed strictly first: a JSON event, or a form whose `payload`
    field is JSON (clicks). Raises BadBody."""
    if content_type.split(";")[0].strip() == "application/json" or text.startswith("{"):
        parse_json(text)
        return
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        parse_json(form["payload"])


routes = [Route("/slack/events", events, methods=["POST"])]


@asynccontextmanager
async def running(state: object, runtime: Runtime) -> AsyncIterator[SlackAdapter | None]:
    """Build the adapter when Slack is configured and keep it on `state` (the app's state)."""
    settings = runtime.settings.slack
    state.slack = state.slack_http = None  # type: ignore[attr-defined]
    if not settings.configured:
        log.info("slack: not configured; /slack/events answers 503")
        yield None
        return
    async with aiohttp.ClientSession() as session:
        adapter = SlackAdapter(settings, runtime, session)
        state.slack = adapter  # type: ignore[attr-defined]
        await adapter.channels.resolve_grants(written_channels(runtime.settings))
        socket: AsyncSocketModeHandler | None = None
        if settings.socket_mode:
            socket = AsyncSocketModeHandler(adapter.app, settings.app_token.get_secret_value())
            await socket.connect_async()
            log.info("slack: connected in Socket Mode")
        else:
            state.slack_http = AsyncSlackRequestHandler(adapter.app)  # type: ignore[attr-defined]
        try:
            with runtime.relay.joined(PLATFORM, adapter):
                yield adapter
        finally:
            adapter.stop_listening()
            if socket is not None:
                await socket.close_async()
            await adapter.drain()
