"""`GET /api/kpi`: the KPI figures as JSON, for admins (the admin API's bearer token)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.adapters.admin_api import admin_caller
from chatbot.errors import UserError
from chatbot.incidents import kpi
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
