"""The one ASGI app: web chat, health, metrics, and the adapters' endpoints.

`chatops serve` refuses to listen beyond loopback while the web chat lets anyone pick who they
are (`web.auth = "none"`): on a shared network that would let anyone act as anyone.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from chatbot.adapters import admin_api, slack, teams
from chatbot.adapters.web import api as web_api
from chatbot.app import background, runtime
from chatbot.config import Settings
from chatbot.errors import ConfigError
from chatbot.governance import storage
from chatbot.metrics import Metrics
from intents import Understander

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "adapters" / "web" / "static"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, host: str) -> None:
    """Raise ConfigError when the web chat would be reachable without authentication."""
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


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when the database takes a write now and the pipeline's last write did not fail
    in the last seconds (a read-only or full database is not ready)."""
    rt = request.app.state.runtime
    problem = await storage.probe(rt.store)
    if problem is None and rt.assistant.health.failing:
        problem = rt.assistant.health.reason
    if problem is not None:  # the detail goes to the log, not to whoever asks
        log.warning("not ready: the database does not take writes: %s", problem)
        reason = "the database does not take writes (read-only, full or unreachable)"
        return JSONResponse({"status": "unavailable", "reason": reason}, 503)
    return JSONResponse({"status": "ready"})


async def metrics(request: Request) -> Response:
    return PlainTextResponse(
        request.app.state.metrics.render(), media_type="text/plain; version=0.0.4"
    )


def create_app(
    settings: Settings, database_url: str | None = None, understander: Understander | None = None
) -> Starlette:
    """The app; tests pass a database and a trained model to share across apps."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            runtime(settings, database_url, understander) as rt,
            background(rt),
            slack.running(app.state, rt),
            teams.running(app.state, rt),
        ):
            app.state.runtime = rt
            app.state.metrics = Metrics()
            # What start-up loaded (language model, catalog) lives as long as the process;
            # frozen out of garbage collection, it no longer makes collections pause for tens
            # of milliseconds, which Slack's 3-second ack and its p99 notice first.
            gc.freeze()
            yield

    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        *web_api.routes,
        *slack.routes,
        *teams.routes,
        *admin_api.routes,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def serve(settings: Settings, host: str | None, port: int | None) -> int:
    host = host or settings.server.host
    port = port or settings.server.port
    check_exposure(settings, host)
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        lifespan="on",
    )
    shown = f"[{host}]" if ":" in host else host
    where = settings.data_dir.resolve()
    print(f"chatops: web chat on http://{shown}:{port} (data in {where})", flush=True)
    await uvicorn.Server(config).serve()
    return 0
