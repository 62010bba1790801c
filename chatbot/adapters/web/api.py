"""The web chat's JSON API. It only translates: JSON in, `Message` out; `Reply` in, JSON out.

Who is speaking: with `web.auth = "none"` (loopback only) the page's person picker says; with
`web.auth = "proxy"` the authenticating proxy's header does, and the picker is ignored. The
proxy proves itself with `web.shared_secret` in X-Chatops-Proxy-Secret (compared as bytes, so
no header value can make the comparison raise); an identity header sent twice is refused,
since the proxy may have set one and the client the other.

Each person sees only what is theirs (delivery.py routes every reply to its reader and keeps
it in their conversation): `GET /api/history` reads it back, `GET /events` streams it live
(server-sent events, live.py), `POST /api/feedback` takes a thumbs up or down on an answer.
The stream resolves the person exactly as a chat message does, and is refused cross-site.

Nothing changes state on GET, but for the stream: `GET /api/inbox` reads the cards waiting
for a person, `POST /api/inbox` (with the same origin check as `/api/chat`) also hands over,
once, the notifications waiting for them, and keeps them in their conversation. The stream
does the same (EventSource can only GET): it moves the person's own notifications into their
own conversation, which a cross-site page could trigger but never read.
"""

from __future__ import annotations

import hmac
from typing import Any

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot import feedback, texts
from chatbot.adapters.bodies import BadBody, parse_object
from chatbot.adapters.shell import as_json
from chatbot.adapters.web import history, live, views
from chatbot.adapters.web.delivery import WebChat
from chatbot.adapters.web.history import Change, Step
from chatbot.adapters.web.openapi import MAX_CURSOR, operations
from chatbot.app import Runtime
from chatbot.governance import storage
from chatbot.types import Attachment, ButtonPress, Message, Reply

__all__ = ["operations", "routes", "secret_matches"]

PLATFORM = "web"
MAX_BODY = 256 * 1024
MAX_FILE = 64 * 1024  # a manifest; the page states the same limit under its file picker


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
    if len(sent["text"].encode()) > MAX_FILE:
        return _error(413, f"the file is over {MAX_FILE // 1024} KB; a manifest must be smaller")
    return (Attachment(sent["name"][:200], sent["text"]),)


def _web(request: Request) -> WebChat:
    """The web chat of this app (made on first use, for the runtime the lifespan opened)."""
    state = request.app.state
    web: WebChat | None = getattr(state, "web_chat", None)
    if web is None or web.runtime is not state.runtime:
        web = state.web_chat = WebChat(state.runtime)
    return web


def _person(request: Request, body: dict[str, Any]) -> str | JSONResponse:
    """Whose conversation this request may read or add to: the speaker as `_who` finds
    them, a demo person only when the directory knows them."""
    who = _who(request, body)
    if isinstance(who, JSONResponse):
        return who
    runtime = _runtime(request)
    if runtime.settings.web.auth != "proxy" and runtime.assistant.directory.find(who) is None:
        return _error(400, f"unknown person {who!r}; pick one of the demo people")
    return _web(request).person(who)


def _cursor(request: Request, *names: str) -> int | JSONResponse | None:
    """A cursor from the query (`after`) or a reconnecting stream's Last-Event-ID."""
    raw = request.query_params.get("after")
    if raw is None and "last-event-id" in names:
        raw = request.headers.get("last-event-id")
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()):
        return _error(400, '"after" must be a cursor from an earlier answer (a whole number)')
    return min(int(raw[:25]), MAX_CURSOR)


async def _shown(web: WebChat, person: str, steps: list[Step]) -> list[dict[str, Any]]:
    """Each entry the steps touched, once, as it now stands."""
    latest = {step.entry.ref: step.entry for step in steps}
    return await web.shown(person, list(latest.values()))


def _unavailable(exc: Exception) -> JSONResponse:
    if not storage.unavailable(exc):
        raise exc
    return _error(503, "the database is unavailable; nothing was kept, try again shortly")


async def _posted(request: Request) -> tuple[dict[str, Any], str] | JSONResponse:
    """A POST's checks, in order: this site's page, a JSON object, a speaker we know."""
    if not _same_origin(request):
        return _error(403, "cross-site request refused")
    body = await _body(request)
    if isinstance(body, JSONResponse):
        return body
    person = _person(request, body)
    if isinstance(person, JSONResponse):
        return person
    return body, person


async def chat(request: Request) -> Response:
    posted = await _posted(request)
    if isinstance(posted, JSONResponse):
        return posted
    body, person = posted
    text, press = body.get("text", ""), body.get("press")
    if not isinstance(text, str) or (press is not None and not isinstance(press, str)):
        return _error(400, '"text" and "press" must be strings')
    files = _files(body.get("file"))
    if isinstance(files, JSONResponse):
        return files
    runtime, web = _runtime(request), _web(request)
    who = _who(request, body)
    assert isinstance(who, str)
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
    try:
        answered, said = await web.pressed(person, press) if press else (None, [])
        said = said if press else await web.said(person, text)
        replies = await runtime.assistant.handle(message)
        request.app.state.metrics.count(replies)
        steps = said + await web.deliver(person, replies, answered)
        entries = await _shown(web, person, steps)
    except Exception as exc:
        return _unavailable(exc)
    mine = [r for r in replies if _addressed(web, person, r)]
    return JSONResponse({"replies": as_json(mine), "entries": entries})


def _addressed(web: WebChat, person: str, reply: Reply) -> bool:
    return reply.channel is None and (reply.to is None or web.person(reply.to) == person)


async def people(request: Request) -> Response:
    runtime = _runtime(request)
    labels = texts.WEB_LABELS  # the page's own words, kept with every other text
    if runtime.settings.web.auth == "proxy":
        return JSONResponse({"people": [], "picker": False, "labels": labels})
    # The demo picker: sorted, and capped so a company-sized directory stays a small page.
    names = sorted(runtime.assistant.directory.principals)[:500]
    principals = runtime.assistant.directory.principals
    listed = [{"name": n, "display_name": principals[n].display_name} for n in names]
    return JSONResponse({"people": listed, "picker": True, "labels": labels})


async def inbox(request: Request) -> Response:
    """GET: the approval cards waiting for a person (a read; nothing is consumed).
    POST: the same, and the notifications waiting for them, handed over once and kept in
    their conversation (with any card it does not show yet)."""
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
    try:
        cards = await runtime.assistant.approvals.inbox(principal)
        notes = await _web(request).take(principal.name) if taking else []
    except Exception as exc:
        return _unavailable(exc)
    return JSONResponse({"replies": as_json(cards), "notifications": as_json(notes)})


async def read_history(request: Request) -> Response:
    """The person's own conversation: the last entries, or what changed after `after`."""
    person = _person(request, {"as": request.query_params.get("as", "")})
    if isinstance(person, JSONResponse):
        return person
    after = _cursor(request)
    if isinstance(after, JSONResponse):
        return after
    web = _web(request)
    try:
        if after is None:
            entries, cursor = await history.recent(web.store, person)
            shown = await web.shown(person, entries)
        else:
            steps = await history.since(web.store, person, after)
            cursor = steps[-1].cursor if steps else after
            shown = await _shown(web, person, steps)
    except Exception as exc:
        return _unavailable(exc)
    return JSONResponse({"entries": shown, "cursor": cursor})


async def give_feedback(request: Request) -> Response:
    posted = await _posted(request)
    if isinstance(posted, JSONResponse):
        return posted
    body, person = posted
    ref, verdict = body.get("reply"), body.get("verdict")
    if not isinstance(ref, str) or verdict not in [str(v) for v in feedback.Verdict]:
        return _error(400, 'send {"reply": the answer\'s id, "verdict": "up" or "down"}')
    web = _web(request)
    try:
        entry = await history.find(web.store, person, ref)
        if entry is None or not views.asks_feedback(entry):
            return _error(404, "there is no such answer in your conversation to rate")
        vote = feedback.Verdict(verdict)
        await feedback.record(
            web.store, person=person, reply_id=ref, verdict=vote, skill=entry.skill
        )
        await web.keep([(person, Change.UPDATE, entry)])  # every open screen shows the vote
    except Exception as exc:
        return _unavailable(exc)
    return JSONResponse({"reply": ref, "verdict": str(vote), "text": texts.FEEDBACK_THANKS})


async def events(request: Request) -> Response:
    """The person's conversation, live (server-sent events): `entry` adds one, `update`
    replaces one by its id; each event's id is the cursor to resume from."""
    if not _same_origin(request):
        return _error(403, "cross-site request refused")
    person = _person(request, {"as": request.query_params.get("as", "")})
    if isinstance(person, JSONResponse):
        return person
    after = _cursor(request, "last-event-id")
    if isinstance(after, JSONResponse):
        return after
    web = _web(request)
    if after is None:
        try:
            _, after = await history.recent(web.store, person, limit=1)
        except Exception as exc:
            return _unavailable(exc)
    return EventSourceResponse(live.stream(web, person, after), ping=15)


routes = [
    Route("/api/chat", chat, methods=["POST"]),
    Route("/api/people", people, methods=["GET"]),
    Route("/api/inbox", inbox, methods=["GET", "POST"]),
    Route("/api/history", read_history, methods=["GET"]),
    Route("/api/feedback", give_feedback, methods=["POST"]),
    Route("/events", events, methods=["GET"]),
]
