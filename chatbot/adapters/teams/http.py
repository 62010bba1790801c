"""Teams on the one server: `POST /api/messages` and the adapter's lifetime.

The aiohttp helper in botbuilder expects an aiohttp request, so this route does what it does
inside: deserialize the Activity, hand the Authorization header to the library's validation,
then process the activity. Without a Bot Framework registration the endpoint refuses every
request, unless CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED=1 (local emulator; warned about at start).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from botbuilder.schema import Activity
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.adapters.bodies import BadBody, parse_object
from chatbot.adapters.teams.adapter import PLATFORM, TeamsAdapter
from chatbot.app import Runtime

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024
NOT_CONFIGURED = (
    "Teams is not configured: set MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppType and "
    "MicrosoftAppTenantId (or CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED=1 for a local emulator)"
)


def _error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status)


async def messages(request: Request) -> Response:
    adapter: TeamsAdapter | None = getattr(request.app.state, "teams", None)
    if adapter is None:
        return _error(401, NOT_CONFIGURED)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _error(413, "activity over 256 KB")
    try:
        activity = Activity().deserialize(parse_object(raw, empty_ok=False))
    except BadBody as exc:
        return _error(exc.status, exc.text)
    except Exception:  # msrest's deserializer raises its own kinds for wrong shapes
        return _error(400, "the body is not a Bot Framework activity")
    if not activity.type:
        return _error(400, "the activity has no type")
    try:
        await adapter.accept(activity, request.headers.get("Authorization", ""))
    except PermissionError:
        return _error(401, "the request's Bot Framework token is missing or invalid")
    except Exception:
        log.exception("teams: token validation could not complete")
        return _error(503, "could not validate the request's token; try again")
    return Response(status_code=201)


routes = [Route("/api/messages", messages, methods=["POST"])]


@asynccontextmanager
async def running(state: object, runtime: Runtime) -> AsyncIterator[TeamsAdapter | None]:
    settings = runtime.settings.teams
    state.teams = None  # type: ignore[attr-defined]
    if settings.allow_unauthenticated:
        log.warning(
            "teams: CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED is set%s; use this with a local "
            "emulator only",
            ""
            if settings.app_id
            else ": /api/messages accepts requests without a Bot Framework token",
        )
    if not settings.app_id and not settings.allow_unauthenticated:
        log.info("teams: not configured; /api/messages refuses every request (401)")
        yield None
        return
    adapter = TeamsAdapter(settings, runtime)
    state.teams = adapter  # type: ignore[attr-defined]
    try:
        with runtime.relay.joined(PLATFORM, adapter):
            yield adapter
    finally:
        adapter.stop_listening()
        await adapter.drain()
