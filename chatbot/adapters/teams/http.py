"""Teams on the one server: `POST /api/messages` and the adapter's lifetime.

The aiohttp helper in botbuilder expects an aiohttp request, so this route does what it does
inside: deserialize the Activity, hand the Authorization header to the library's validation,
then process the activity. A token the library refuses, in whatever way it refuses it (its own
PermissionError, PyJWT's errors, a key id it does not know), is a 401; only failing to reach the
OpenID metadata is a 503, said in one line.

Without a Bot Framework registration the endpoint refuses every request, unless
CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED=1 (a local emulator): `chatops serve` then listens on
loopback only, and activities whose `serviceUrl` is not on loopback are refused, since the
replies would go there.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from botbuilder.schema import Activity
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.adapters.bodies import BadBody, parse_object
from chatbot.adapters.teams.adapter import PLATFORM, TeamsAdapter
from chatbot.app import Runtime
from chatbot.config import TeamsSettings

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024
NOT_CONFIGURED = (
    "Teams is not configured: set MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppType and "
    "MicrosoftAppTenantId (or CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED=1 for a local emulator)"
)


EMULATOR_ONLY = (
    "without a Bot Framework token only a local emulator is served: its serviceUrl must be on "
    "loopback"
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
    if emulator(adapter.settings) and not loopback_url(activity.service_url or ""):
        log.warning("teams: ignored an activity with serviceUrl %r", activity.service_url)
        return _error(400, EMULATOR_ONLY)
    try:
        await adapter.accept(activity, request.headers.get("Authorization", ""))
    except PermissionError as exc:  # the library's refusal (an OSError, so caught first)
        log.info("teams: token refused: %s", str(exc)[:200])
        return _error(401, "the request's Bot Framework token is missing or invalid")
    except OSError as exc:  # requests' errors reaching the metadata are OSErrors
        log.warning("teams: cannot read the Bot Framework signing keys: %s", type(exc).__name__)
        return _error(503, "could not validate the request's token; try again")
    except Exception as exc:  # every other failure is the token's
        log.info("teams: token refused (%s: %s)", type(exc).__name__, str(exc)[:200])
        return _error(401, "the request's Bot Framework token is missing or invalid")
    return Response(status_code=201)


def emulator(settings: TeamsSettings) -> bool:
    """Activities are accepted without a token: a local emulator, on loopback only."""
    return settings.allow_unauthenticated and not settings.app_id


def loopback_url(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


routes = [Route("/api/messages", messages, methods=["POST"])]


@asynccontextmanager
async def running(state: object, runtime: Runtime) -> AsyncIterator[TeamsAdapter | None]:
    settings = runtime.settings.teams
    state.teams = None  # type: ignore[attr-defined]
    if settings.allow_unauthenticated:
        log.warning(
            "teams: CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED is set%s; use this with a local "
            "emulator only",
            " (ignored: MicrosoftAppId is set, so every request needs a token)"
            if settings.app_id
            else ": /api/messages accepts requests without a Bot Framework token, only while "
            "the server listens on loopback, and only for a serviceUrl on loopback",
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
