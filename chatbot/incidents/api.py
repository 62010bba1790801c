"""`GET /api/kpi`: the KPI figures as JSON, for admins (the admin API's bearer token).

`?step=day` or `?step=week` adds `series`: the same figures per day or week since `since`
(chatbot/insights/trends.py), each as `{"values": [...], "counts": [...]}` beside `buckets`,
the start date of each. `satisfaction` (thumbs up and down on answers) is always there.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.adapters.admin_api import admin_caller
from chatbot.errors import UserError
from chatbot.incidents import kpi
from chatbot.insights import satisfaction
from chatbot.insights.period import Period, parse_step
from chatbot.insights.trends import trends
from chatbot.openapi import Operation, Schema, query_parameter
from chatbot.times import parse_since
from chatbot.types import utcnow

KNOWN = frozenset({"since", "step"})


async def kpi_endpoint(request: Request) -> Response:
    who = admin_caller(request)
    if isinstance(who, JSONResponse):
        return who
    rt = request.app.state.runtime
    unknown = sorted(set(request.query_params) - KNOWN)
    if unknown:  # a misspelt "sinc" would otherwise quietly give the default 30 days
        said = f"unknown parameter {unknown[0]!r}; the parameters are since and step"
        return JSONResponse({"error": said}, 400)
    try:
        since = parse_since(request.query_params.get("since", "30d"))
        step = parse_step(request.query_params.get("step"))
        period = Period.of(since, utcnow(), step) if step is not None else None
    except UserError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    lookback = rt.settings.incidents.change_lookback_minutes
    body = (await kpi.report(rt.store, since, lookback)).as_json()
    sat = await satisfaction.from_feedback(rt.store, since)
    body["satisfaction"] = sat.as_json() if sat is not None else None
    if period is not None:
        body["series"] = (await trends(rt.store, period, lookback)).as_json()
    return JSONResponse(body)


routes = [Route("/api/kpi", kpi_endpoint, methods=["GET"])]

_SPREAD: Schema = {
    "type": "object",
    "properties": {k: {"type": ["number", "null"]} for k in ("mean", "median", "p90")},
}
KPI: Schema = {
    "type": "object",
    "required": ["since", "incidents", "mtta_seconds", "mttr_seconds", "change_failure_rate"],
    "properties": {
        "since": {"type": "string"},
        "incidents": {"type": "integer"},
        "mtta_seconds": _SPREAD,
        "mttr_seconds": _SPREAD,
        "change_failure_rate": {"type": ["number", "null"]},
        "deflection_rate": {"type": ["number", "null"]},
        "satisfaction": {"type": ["object", "null"]},
        "series": {"type": "object", "required": ["step", "buckets"]},
    },
}
operations = (
    Operation(
        "GET",
        "/api/kpi",
        "kpi",
        "MTTA, MTTR, change failure rate, automation, noise reduction, approval latency",
        "admin: kpi",
        {
            200: ("the figures; durations end in _seconds, rates are fractions", KPI),
            400: ("since or step is not understood, or an unknown parameter", None),
            401: ("no token, or an unknown one", None),
            403: ("the token's person is not an admin", None),
        },
        parameters=(
            query_parameter("since", "ISO date, 'yesterday' or an age such as 7d"),
            query_parameter("step", "day or week: add the figures per day or week as series"),
        ),
        bearer=True,
    ),
)
