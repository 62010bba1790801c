"""The edge of the one HTTP server, in front of every route (ASGI middleware).

- Host: only names in `server.allowed_hosts` are served (400 otherwise). A page on
  evil.example whose DNS name is re-pointed at 127.0.0.1 sends `Host: evil.example`; without
  this check it could drive the loopback web chat with the browser's own origin. Probes that
  read no personal data (`any_host`: health, readiness, metrics) answer whatever the Host,
  because Kubernetes and Prometheus address a pod by its IP.
- Security headers on every answer, HTML or JSON: a Content-Security-Policy that allows no
  inline script or style, no framing (the approve buttons cannot be clickjacked), no referrer,
  no MIME sniffing.
- Bodies: the declared length is checked before anything is read, the streamed length while
  reading (413 after at most `server.max_body_bytes`, never the whole of a 200 MB upload);
  a JSON body is checked (depth, numbers, UTF-8) before a route sees it, except on paths whose
  route must verify a signature first (Slack), which use `bodies.parse_json` after verifying.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatbot.adapters.bodies import BadBody, parse_json

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# How an app under a path writes its errors: (status, text) -> the JSON body.
ErrorBody = Callable[[int, str], dict[str, object]]


class TooLarge(Exception):
    pass


def host_name(header: str) -> str:
    """The name in a Host header, without its port; IPv6 literals without brackets."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def host_allowed(name: str, allowed: Iterable[str]) -> bool:
    for pattern in allowed:
        pattern = pattern.strip().lower().strip("[]")
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


def is_json(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


class EdgeGuard:
    def __init__(
        self,
        app: ASGIApp,
        allowed_hosts: Iterable[str],
        max_body: int,
        verify_first: Iterable[str] = (),
        any_host: Iterable[str] = (),
        own_bodies: Mapping[str, ErrorBody] | None = None,
    ) -> None:
        self.app, self.allowed, self.max_body = app, tuple(allowed_hosts), max_body
        self.verify_first = frozenset(verify_first)
        self.any_host = frozenset(any_host)
        # Path prefixes whose app checks its own JSON and answers in its own error format
        # (SCIM's, RFC 7644 section 3.12): the guard still bounds their bodies, and says so in
        # that format.
        self.own_bodies = dict(own_bodies or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        headers = Headers(scope=scope)
        hosts = headers.getlist("host")
        wrong = len(hosts) != 1 or not host_allowed(host_name(hosts[0]), self.allowed)
        if wrong and scope["path"] not in self.any_host:
            text = (
                "this server does not answer to that host name; "
                "add it to server.allowed_hosts if it is really this server's"
            )
            await _answer(send_secured, 400, text)
            return
        if scope["method"] in WITH_BODY:
            problem = await self._read(scope, receive, headers)
            if isinstance(problem, BadBody):
                shape = self._error_shape(scope["path"])
                await _answer(send_secured, problem.status, problem.text, shape)
                return
            receive = problem
        await self.app(scope, receive, send_secured)

    def _error_shape(self, path: str) -> ErrorBody | None:
        return next((f for prefix, f in self.own_bodies.items() if path.startswith(prefix)), None)

    async def _read(self, scope: Scope, receive: Receive, headers: Headers) -> Receive | BadBody:
        """The whole body, bounded, and a `receive` that replays it to the route."""
        declared = headers.getlist("content-length")
        limit = f"the body is larger than {self.max_body:,} bytes"
        if declared:
            if len(set(declared)) != 1 or not declared[0].strip().isdigit():
                return BadBody("the Content-Length header is not one number")
            if int(declared[0]) > self.max_body:
                return BadBody(limit, 413)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return BadBody("the client went away before sending its body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return BadBody(limit, 413)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        own = self._error_shape(scope["path"]) is not None
        checked = body and scope["path"] not in self.verify_first and not own
        if checked and is_json(headers.get("content-type", "")):
            try:
                parse_json(body)
            except BadBody as exc:
                return exc
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay


async def _answer(send: Send, status: int, text: str, shape: ErrorBody | None = None) -> None:
    body = json.dumps(shape(status, text) if shape else {"error": text}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
