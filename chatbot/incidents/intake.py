"""`POST /hooks/alertmanager` and `POST /hooks/grafana`: authenticate, read, keep, answer;
process after.

Authentication comes first and compares in constant time; a delivery without it changes
nothing (401). A body we cannot read is the sender's mistake (4xx, not retried). A delivery
that passes is kept with one INSERT, committed, and answered 202 at once; only a database
that cannot take that INSERT answers 503, which Alertmanager retries. Grouping into
incidents, the timeline and telling people happen after the answer (inbox.py), so neither a
burst of alerts nor a slow chat platform makes the monitoring system time out and send again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.adapters.bodies import BadBody, parse_json
from chatbot.config import AlertSettings
from chatbot.errors import StoreError
from chatbot.incidents import auto
from chatbot.incidents.announce import Announcer
from chatbot.incidents.book import IncidentBook
from chatbot.incidents.inbox import FollowUp, Inbox
from chatbot.incidents.payloads import BadPayload, Notice, Source, parse
from chatbot.openapi import Operation, Schema

if TYPE_CHECKING:
    from chatbot.jobs.registry import JobContext

log = logging.getLogger(__name__)
JOB = "incidents.drain"
# How often the job looks for deliveries nobody processed (a process died after answering,
# a delivery failed and waits for its retry).
LEFTOVERS_SECONDS = 10.0


class Refused(Exception):
    """An answer other than 200, with its status and a sentence for the sender."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _same(given: str, expected: SecretStr) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.get_secret_value().encode("utf-8"))


def _bearer(request: Request, expected: SecretStr) -> None:
    header = request.headers.getlist("authorization")
    if len(header) != 1 or not header[0].startswith("Bearer "):
        raise Refused(401, "send the configured token as Authorization: Bearer TOKEN")
    if not _same(header[0].removeprefix("Bearer ").strip(), expected):
        raise Refused(401, "the token is not the one configured for this source")


def _grafana_signature(request: Request, body: bytes, settings: AlertSettings) -> None:
    """Grafana signs `timestamp:body` with HMAC-SHA256 when its webhook sets a secret and a
    timestamp header; older than the allowed age is refused so a captured call cannot be
    replayed later."""
    secret = settings.grafana_hmac_secret.get_secret_value().encode("utf-8")
    signature = request.headers.get(settings.grafana_signature_header, "")
    stamp = request.headers.get(settings.grafana_timestamp_header, "")
    if not signature or not stamp:
        raise Refused(
            401,
            f"signed deliveries need {settings.grafana_signature_header} and "
            f"{settings.grafana_timestamp_header}",
        )
    try:
        sent = float(stamp)
    except ValueError:
        raise Refused(401, "the signature timestamp is not a Unix time") from None
    if not math.isfinite(sent) or abs(time.time() - sent) > settings.max_signature_age_seconds:
        raise Refused(401, "the signature timestamp is too old or in the future")
    expected = hmac.new(secret, stamp.encode("ascii", "replace") + b":" + body, hashlib.sha256)
    if not hmac.compare_digest(signature.strip().lower().encode(), expected.hexdigest().encode()):
        raise Refused(401, "the signature does not match the body")


def authenticate(request: Request, source: Source, body: bytes, settings: AlertSettings) -> None:
    if source is Source.ALERTMANAGER:
        if not settings.alertmanager_token.get_secret_value():
            raise Refused(401, "alert intake from Alertmanager is not configured")
        _bearer(request, settings.alertmanager_token)
        return
    token, secret = settings.grafana_token, settings.grafana_hmac_secret
    if not token.get_secret_value() and not secret.get_secret_value():
        raise Refused(401, "alert intake from Grafana is not configured")
    if token.get_secret_value():
        _bearer(request, token)
    if secret.get_secret_value():
        _grafana_signature(request, body, settings)


def decode(body: bytes) -> object:
    try:
        return parse_json(body)
    except BadBody as bad:
        raise Refused(bad.status, bad.text) from None


def book_of(runtime: Any) -> IncidentBook:
    """The running server's book; a job's runtime may not hold one, its assistant does."""
    book: IncidentBook = runtime.incidents or runtime.assistant.incidents.book
    return book


def announcer(runtime: Any) -> Announcer:
    """The new incidents' cards and on-call look-up, with the running server's parts."""
    return Announcer(
        book_of(runtime),
        runtime.settings,
        runtime.http,
        runtime.assistant.directory,
        runtime.relay,
    )


def follow_up(runtime: Any) -> FollowUp:
    """After new incidents are committed: their cards where people work, then the automatic
    remediation policy allows."""

    async def after(opened: Sequence[int]) -> None:
        await announcer(runtime).announce(opened)
        await auto.remediate(runtime.assistant, opened)

    return after


def inbox_of(runtime: Any) -> Inbox:
    return Inbox(book_of(runtime), follow_up(runtime))


@contextlib.asynccontextmanager
async def running(state: Any, runtime: Any) -> AsyncIterator[Inbox]:
    """The server's inbox (`state.alert_inbox`) and its drainer, which starts with what a
    previous process accepted and did not process."""
    inbox = inbox_of(runtime)
    state.alert_inbox = inbox
    drainer = asyncio.create_task(inbox.run(), name="alert intake")
    try:
        yield inbox
    finally:
        drainer.cancel()  # a batch cut short rolls back: its deliveries wait for the next start
        with contextlib.suppress(asyncio.CancelledError):
            await drainer
        await inbox.stop()


async def drain_job(ctx: JobContext) -> int:
    """The `incidents.drain` job: process what is waiting (left by a process that died after
    answering, or due for a retry). Returns how many deliveries it recorded."""
    return await inbox_of(ctx.runtime).drain()


def endpoint(source: Source) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        inbox: Inbox = request.app.state.alert_inbox
        with inbox.answering():  # processing steps aside while deliveries are answered
            return await _answer(request, source, inbox)

    return receive


async def _answer(request: Request, source: Source, inbox: Inbox) -> Response:
    settings: AlertSettings = request.app.state.runtime.settings.alerts
    try:
        body = await request.body()  # bounded by the edge guard (server.max_body_bytes)
        authenticate(request, source, body, settings)
        notices: list[Notice] = parse(source, decode(body))
    except Refused as refused:
        return JSONResponse({"error": str(refused)}, refused.status)
    except BadPayload as bad:
        return JSONResponse({"error": f"not a {source} delivery: {bad}"}, 422)
    delivery = None
    try:
        if notices:
            delivery = await inbox.record(source, notices)
    except (StoreError, OperationalError, DBAPIError) as exc:
        log.warning("alert intake from %s could not be recorded: %s", source, exc)
        return JSONResponse({"error": "storage is unavailable; retry later"}, 503)
    answer = {"status": "accepted", "alerts": len(notices), "delivery": delivery}
    return JSONResponse(answer, 202)


routes = [
    Route("/hooks/alertmanager", endpoint(Source.ALERTMANAGER), methods=["POST"]),
    Route("/hooks/grafana", endpoint(Source.GRAFANA), methods=["POST"]),
]


ACCEPTED: Schema = {
    "type": "object",
    "required": ["status", "alerts", "delivery"],
    "properties": {
        "status": {"enum": ["accepted"]},
        "alerts": {"type": "integer"},
        "delivery": {"type": ["integer", "null"]},
    },
}
_DELIVERY: Schema = {
    "type": "object",
    "required": ["version", "groupKey", "status", "alerts"],
    "properties": {
        "version": {"type": "string"},
        "groupKey": {"type": "string"},
        "status": {"enum": ["firing", "resolved"]},
        "truncatedAlerts": {"type": "integer", "minimum": 0},
        "alerts": {"type": "array", "items": {"type": "object"}},
    },
}
_ANSWERS: dict[int, tuple[str, Schema | None]] = {
    202: ("kept; grouped into incidents and announced right after the answer", ACCEPTED),
    401: ("no valid token or signature; nothing was recorded", None),
    413: ("the body is larger than server.max_body_bytes", None),
    422: ("not a delivery of this source's format", None),
    503: ("storage unavailable; retry", None),
}
operations = tuple(
    Operation(
        "POST",
        f"/hooks/{source}",
        f"hook_{source}",
        f"Receive a {title} webhook delivery",
        "alert intake",
        _ANSWERS,
        body={"application/json": _DELIVERY},
        bearer=True,
    )
    for source, title in (
        ("alertmanager", "Prometheus Alertmanager (v4)"),
        ("grafana", "Grafana Alerting"),
    )
)
