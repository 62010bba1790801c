"""The web chat's JSON API. It only translates: JSON in, `Message` out; `Reply` in, JSON out.

Who is speaking: with `web.auth = "none"` (loopback only) the page's person picker says; with
`web.auth = "proxy"` the authenticating proxy's header does, and the picker is ignored. The
proxy proves itself with `web.shared_secret` in X-Chatops-Proxy-Secret (compared as bytes, so
no header value can make the comparison raise); an identity header sent twice is refused,
since the proxy may have set one and the client the other.

Nothing changes state on GET: `GET /api/inbox` reads the cards waiting for a person, and
`POST /api/inbox` (with the same origin check as `/api/chat`) also hands over, once, the
notifications waiting for them.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.adapters.bodies import BadBody, parse_object
from chatbot.adapters.shell import as_json
from chatbot.app import Runtime
from chatbot.openapi import Operation, Schema, query_parameter
from chatbot.types import Attachment, ButtonPress, ButtonStyle, Message, ReplyKind

PLATFORM = "web"
MAX_BODY = 256 * 1024


def _error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime  # set by the lifespan; State is untyped
    return runtime


def _same_origin(request: Request) -> bool:
    """Refuse cross-site posts: a page elsewhere must not chat as whoever it likes."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def secret_matches(sent: str, secret: str) -> bool:
    """Constant-time comparison that never raises: Starlette decodes headers as Latin-1, so
    encoding back gives the bytes on the wire, whatever they are."""
    return bool(secret) and hmac.compare_digest(sent.encode("latin-1"), secret.encode("utf-8"))


def _who(request: Request, body: dict[str, Any]) -> str | JSONResponse:
    web = _runtime(request).settings.web
    if web.auth == "proxy":
        if not web.shared_secret:  # `chatops serve` refuses this; an app built otherwise too
            return _error(503, 'web.auth = "proxy" needs web.shared_secret; nobody is let in')
        sent = request.headers.getlist("x-chatops-proxy-secret")
        if len(sent) != 1 or not secret_matches(sent[0], web.shared_secret):
            return _error(401, "request did not come through the authenticating proxy")
        named = request.headers.getlist(web.user_header)
        if len(named) > 1 or any("," in value for value in named):
            return _error(400, f"the {web.user_header} header must name one person, once")
        email = named[0].strip() if named else ""
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
        return parse_object(raw)
    except BadBody as exc:
        return _error(exc.status, exc.text)


def _files(sent: Any) -> tuple[Attachment, ...] | JSONResponse:
    """An uploaded text file: {"name": "cache-flush.toml", "text": "..."} (the page reads it)."""
    if sent is None:
        return ()
    if not isinstance(sent, dict) or not all(
        isinstance(sent.get(k), str) for k in ("name", "text")
    ):
        return _error(400, '"file" must be {"name": "...", "text": "..."}')
    return (Attachment(sent["name"][:200], sent["text"]),)


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
    files = _files(body.get("file"))
    if isinstance(files, JSONResponse):
        return files
    runtime = _runtime(request)
    proxy = runtime.settings.web.auth == "proxy"
    message = Message(
        platform=PLATFORM,
        user_id=who,
        email=who if proxy else None,
        text=text,
        channel="web",
        press=ButtonPress(press) if press else None,
        attachments=files,
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
    """GET: the approval cards waiting for a person (a read; nothing is consumed).
    POST: the same, and the notifications waiting for them, handed over once."""
    runtime = _runtime(request)
    taking = request.method == "POST"
    if taking and not _same_origin(request):
        return _error(403, "cross-site request refused")
    body: dict[str, Any] = {"as": request.query_params.get("as", "")}
    if taking:
        sent = await _body(request)
        if isinstance(sent, JSONResponse):
            return sent
        body = sent
    who = _who(request, body)
    if isinstance(who, JSONResponse):
        return who
    principal = runtime.assistant.directory.find(who)
    if principal is None:
        return _error(400, f"unknown person {who!r}")
    cards = await runtime.assistant.approvals.inbox(principal)
    notes = await runtime.assistant.approvals.deliver(principal.name) if taking else []
    return JSONResponse({"replies": as_json(cards), "notifications": as_json(notes)})


routes = [
    Route("/api/chat", chat, methods=["POST"]),
    Route("/api/people", people, methods=["GET"]),
    Route("/api/inbox", inbox, methods=["GET", "POST"]),
]


BUTTON: Schema = {
    "type": "object",
    "required": ["label", "value", "style"],
    "properties": {
        "label": {"type": "string"},
        "value": {"type": "string"},
        "style": {"enum": [str(s) for s in ButtonStyle]},
    },
}
REPLY: Schema = {
    "type": "object",
    "required": ["text", "kind", "buttons"],
    "properties": {
        "text": {"type": "string"},
        "kind": {"enum": [str(k) for k in ReplyKind]},
        "buttons": {"type": "array", "items": BUTTON},
        "action_id": {"type": ["integer", "null"]},
        "to": {"type": ["string", "null"]},
        "private": {"type": "boolean"},
        "channel": {"type": ["string", "null"]},
        "updates": {"type": ["integer", "null"]},
    },
}
REPLIES: Schema = {
    "type": "object",
    "required": ["replies"],
    "properties": {"replies": {"type": "array", "items": REPLY}},
}
INBOX: Schema = {
    "type": "object",
    "required": ["replies", "notifications"],
    "properties": {
        "replies": {"type": "array", "items": REPLY},
        "notifications": {"type": "array", "items": REPLY},
    },
}
WHO: Schema = {"type": "string", "description": "the demo person (web.auth = none)"}
REFUSED = {
    401: ("the authenticating proxy's headers are missing or wrong", None),
    403: ("a cross-site request", None),
    503: ("proxy mode without web.shared_secret", None),
}
operations = (
    Operation(
        "POST",
        "/api/chat",
        "chat",
        "Say something, or press a button, as a person; the assistant's replies",
        "web chat",
        {200: ("the replies", REPLIES), **REFUSED},
        body={
            "application/json": {
                "type": "object",
                "properties": {
                    "as": WHO,
                    "text": {"type": "string"},
                    "press": {"type": "string", "description": "a button's value"},
                    "file": {
                        "type": "object",
                        "description": "an uploaded text file (a skill manifest, by admins)",
                        "required": ["name", "text"],
                        "properties": {"name": {"type": "string"}, "text": {"type": "string"}},
                    },
                },
            }
        },
    ),
    Operation(
        "GET",
        "/api/people",
        "people",
        "The demo people for the picker (none behind a proxy)",
        "web chat",
        {
            200: (
                "the people",
                {
                    "type": "object",
                    "required": ["people", "picker"],
                    "properties": {
                        "people": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "display_name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "display_name": {"type": "string"},
                                },
                            },
                        },
                        "picker": {"type": "boolean"},
                    },
                },
            )
        },
    ),
    Operation(
        "GET",
        "/api/inbox",
        "readInbox",
        "The approval cards waiting for a person (reads only)",
        "web chat",
        {200: ("the cards; notifications stay for the POST", INBOX), **REFUSED},
        parameters=(query_parameter("as", "the demo person (web.auth = none)"),),
    ),
    Operation(
        "POST",
        "/api/inbox",
        "takeInbox",
        "The approval cards and, once, the notifications waiting for a person",
        "web chat",
        {200: ("the cards and the notifications, now delivered", INBOX), **REFUSED},
        body={"application/json": {"type": "object", "properties": {"as": WHO}}},
        body_required=False,
    ),
)
