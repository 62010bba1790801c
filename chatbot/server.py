"""The one ASGI app: web chat, health, metrics, and the adapters' endpoints.

`chatops serve` refuses to listen beyond loopback while the web chat lets anyone pick who they
are (`web.auth = "none"`): on a shared network that would let anyone act as anyone.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from chatbot import console
from chatbot.adapters import admin_api, admin_openapi, slack, teams
from chatbot.adapters.guard import EdgeGuard
from chatbot.adapters.web import api as web_api
from chatbot.app import Runtime, background, keep_for_life, runtime
from chatbot.config import Settings
from chatbot.directory import endpoint as scim_endpoint
from chatbot.errors import ConfigError
from chatbot.governance import storage
from chatbot.governance.clock import Clock, system_clock
from chatbot.incidents import api as incidents_api
from chatbot.incidents import intake
from chatbot.metrics import CONTENT_TYPE, observe_approvals
from chatbot.openapi import Operation, document
from intents import Understander
from skills.replicas import replica_id

log = logging.getLogger(__name__)
# A last guard only: the probe itself never waits for another writer's lock (storage.probe).
WRITE_PROBE_SECONDS = 1.0
STATIC = Path(__file__).parent / "adapters" / "web" / "static"
# Routes that verify a signature over the raw body before anything parses it.
SIGNED_PATHS = ("/slack/events",)
# Every HTTP API the server offers, described in /api/openapi.json (and so fuzzed by
# tests/fuzz): a new API (SCIM, webhooks) adds its module's `operations` here.
API_OPERATIONS: tuple[Operation, ...] = (
    *web_api.operations,
    *admin_openapi.operations,
    *incidents_api.operations,
    *intake.operations,
)
# Read-only probes that hold no personal data: answered whatever the Host header says.
PROBES = ("/healthz", "/readyz", "/metrics")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, host: str) -> None:
    """Raise ConfigError when the server would be reachable without authentication."""
    if settings.web.auth == "proxy" and not settings.web.shared_secret:
        raise ConfigError(
            "web.shared_secret",
            "",
            'web.auth = "proxy" needs a shared secret that the proxy sends in '
            "X-Chatops-Proxy-Secret; without one anyone who reaches the port names "
            "themselves in the identity header (set CHATOPS_WEB__SHARED_SECRET)",
        )
    if settings.teams.allow_unauthenticated and not is_loopback(host):
        raise ConfigError(
            "--host",
            host,
            "CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED accepts Teams activities without a token, "
            "so it is for a local emulator on loopback only; unset it to listen on "
            "other addresses",
        )
    if settings.web.auth == "none" and not is_loopback(host):
        raise ConfigError(
            "--host",
            host,
            "the web chat lets anyone pick who they are, so it listens on loopback only; "
            'put an authenticating proxy in front and set web.auth = "proxy" '
            "(CHATOPS_WEB__AUTH=proxy) to listen on other addresses",
        )


async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html")


async def openapi(request: Request) -> Response:
    return JSONResponse(document(API_OPERATIONS, version("chatops-assistant")))


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when the database answers a read, takes a write, the pipeline's last write did
    not fail in the last seconds (a read-only or full database is not ready), and every
    readiness hook in `app.state.ready_checks` (the job engine's) says so.

    The write probe is a no-op update given `WRITE_PROBE_SECONDS`: one that has to wait for
    another writer's lock is busy, not broken, so readiness never queues behind a long write.
    """
    rt = request.app.state.runtime
    running = _registry(rt)
    try:
        await rt.store.ping()
        for check in getattr(request.app.state, "ready_checks", ()):
            await check()
    except Exception as exc:  # the database is what readiness is about
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__, **running}, 503)
    try:
        problem = await asyncio.wait_for(storage.probe(rt.store), WRITE_PROBE_SECONDS)
    except TimeoutError:
        problem = None  # another writer holds the lock: the database does take writes
    if problem is None and rt.assistant.health.failing:
        problem = rt.assistant.health.reason
    if problem is not None:  # the detail goes to the log, not to whoever asks
        log.warning("not ready: the database does not take writes: %s", problem)
        reason = "the database does not take writes (read-only, full or unreachable)"
        return JSONResponse({"status": "unavailable", "reason": reason, **running}, 503)
    return JSONResponse({"status": "ready", **running})


def _registry(rt: Runtime) -> dict[str, object]:
    """Which skill registry version this replica runs (-1: none loaded yet; null: the
    registry is not reloaded from the database here), and the replica's name, as
    `chatops skills list` shows them: a rollout can wait until every replica is current."""
    reloader = rt.reloader
    if reloader is None:
        return {"registry_version": None, "replica": replica_id()}
    return {"registry_version": reloader.loaded, "replica": reloader.replica}


async def metrics(request: Request) -> Response:
    rt = request.app.state.runtime
    await observe_approvals(rt.store, request.app.state.metrics)
    return PlainTextResponse(request.app.state.metrics.render(), media_type=CONTENT_TYPE)


def scim_error(status: int, text: str) -> dict[str, object]:
    """A refusal of the edge guard, in SCIM's error format (RFC 7644 section 3.12)."""
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": str(status),
        "detail": text,
    }


def create_app(
    settings: Settings,
    database_url: str | None = None,
    understander: Understander | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = system_clock,
) -> Starlette:
    """The app; tests pass a database and a trained model to share across apps, the
    transport of the outbound HTTP client (fakes of remote systems), and a clock they move
    (timed starts: the start date of a joiner)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            runtime(settings, database_url, understander, transport, clock=clock) as rt,
            background(rt),
            slack.running(app.state, rt),
            teams.running(app.state, rt),
            intake.running(app.state, rt),
        ):
            app.state.runtime = rt
            app.state.scim = scim_endpoint.build(rt)
            app.state.metrics = rt.assistant.metrics
            app.state.console = console.build(rt)
            keep_for_life()  # Slack's 3-second ack and its p99 notice GC pauses first
            yield
            app.state.console.stop()

    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/api/openapi.json", openapi, methods=["GET"]),
        *web_api.routes,
        *slack.routes,
        *teams.routes,
        *admin_api.routes,
        *intake.routes,
        *incidents_api.routes,
        *console.routes(),
        Mount("/scim", app=scim_endpoint.endpoint),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    guard = Middleware(
        EdgeGuard,
        allowed_hosts=settings.server.allowed_hosts,
        max_body=settings.server.max_body_bytes,
        verify_first=SIGNED_PATHS,
        any_host=PROBES,
        own_bodies={"/scim/": scim_error},
    )
    return Starlette(routes=routes, lifespan=lifespan, middleware=[guard])


async def serve(settings: Settings, host: str | None, port: int | None) -> int:
    host = host or settings.server.host
    port = port or settings.server.port
    check_exposure(settings, host)
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_settings[0].lower(),
        log_config=None,  # uvicorn's lines go through our handler (chatbot.logs): one format
        lifespan="on",
    )
    shown = f"[{host}]" if ":" in host else host
    where = settings.data_dir.resolve()
    print(f"chatops: web chat on http://{shown}:{port} (data in {where})", flush=True)
    await uvicorn.Server(config).serve()
    return 0
