"""The web chat's JSON API. It only translates: JSON in, `Message` out; `Reply` in, JSON out.

Who is speaking: with `web.auth = "none"` (loopback only) the page's person picker says; with
`web.auth = "proxy"` the authenticating proxy's header does, and the picker is ignored.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.adapters.shell import as_json
from chatbot.app import Runtime
from chatbot.types import ButtonPress, Message

PLATFORM = "web"
MAX_BODY = 256 * 1024


def _error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status)


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _same_origin(request: Request) -> bool:
    """Refuse cross-site posts: a page elsewhere must not chat as whoever it likes."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def _who(request: Request, body: dict[str, Any]) -> str | JSONResponse:
    web = _runtime(request).settings.web
    if web.auth == "proxy":
        secret = request.headers.get("x-chatops-proxy-secret", "")
        if web.shared_secret and not hmac.compare_digest(secret, web.shared_secret):
            return _error(401, "request did not come through the authenticating proxy")
        email = request.headers.get(web.user_header, "").strip()
        return email or _error(401, f"missing {web.user_header} header from the proxy")
    who = body.get("as")
    if not isinstance(who, str) or not who.strip():
        return _error(400, 'say who you are: {"as": "alice", ...}')
    return who.strip()


async def _body(request: Request) -> dict[str, Any] | JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _error(413, f"request body over {MAX_BODY // 1024} KB")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "request body is not JSON")
    return body if isinstance(body, dict) else _error(400, "request body must be a JSON object")


async def chat(request: Request) -> Response:
    if not _same_origin(request):
        return _error(403, "cross-site request refused")
    body = await _body(request)
    if isinstance(body, JSONResponse):
        return body
    who = _who(request, body)
    if isinstance(who, JSONResponse):
        return who
    text, press = body.get("text", ""), body.get("press")
    if not isinstance(text, str) or (press is not None and not isinstance(press, str)):
        return _error(400, '"text" and "press" must be strings')
    runtime = _runtime(request)
    proxy = runtime.settings.web.auth == "proxy"
    message = Message(
        platform=PLATFORM,
        user_id=who,
        email=who if proxy else None,
        text=text,
        channel="web",
        press=ButtonPress(press) if press else None,
    )
    if not proxy and runtime.assistant.directory.find(who) is None:
        return _error(400, f"unknown person {who!r}; pick one of the demo people")
    replies = await runtime.assistant.handle(message)
    request.app.state.metrics.count(replies)
    return JSONResponse({"replies": as_json(replies)})


async def people(request: Request) -> Response:
    runtime = _runtime(request)
    if runtime.settings.web.auth == "proxy":
        return JSONResponse({"people": [], "picker": False})
    # The demo picker: sorted, and capped so a company-sized directory stays a small page.
    names = sorted(runtime.assistant.directory.principals)[:500]
    principals = runtime.assistant.directory.principals
    listed = [{"name": n, "display_name": principals[n].display_name} for n in names]
    return JSONResponse({"people": listed, "picker": True})


async def inbox(request: Request) -> Response:
    runtime = _runtime(request)
    if runtime.settings.web.auth == "proxy":
        who = _who(request, {})
    else:
        who = request.query_params.get("as", "")
    if isinstance(who, JSONResponse):
        return who
    principal = runtime.assistant.directory.find(who)
    if principal is None:
        return _error(400, f"unknown person {who!r}")
    cards = await runtime.assistant.approvals.inbox(principal)
    notes = await runtime.assistant.approvals.deliver(principal.name)
    return JSONResponse({"replies": as_json(cards), "notifications": as_json(notes)})


routes = [
    Route("/api/chat", chat, methods=["POST"]),
    Route("/api/people", people, methods=["GET"]),
    Route("/api/inbox", inbox, methods=["GET"]),
]
