"""`GET /api/kpi`: the KPI figures as JSON, for admins (the admin API's bearer token)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.adapters.admin_api import admin_caller
from chatbot.errors import UserError
from chatbot.incidents import kpi
from chatbot.openapi import Operation, Schema, query_parameter
from chatbot.times import parse_since


async def kpi_endpoint(request: Request) -> Response:
    who = admin_caller(request)
    if isinstance(who, JSONResponse):
        return who
    rt = request.app.state.runtime
    try:
        since = parse_since(request.query_params.get("since", "30d"))
    except UserError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    result = await kpi.report(rt.store, since, rt.settings.incidents.change_lookback_minutes)
    return JSONResponse(result.as_json())


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
            401: ("no token, or an unknown one", None),
            403: ("the token's person is not an admin", None),
        },
        parameters=(query_parameter("since", "ISO date, 'yesterday' or an age such as 7d"),),
        bearer=True,
    ),
)
