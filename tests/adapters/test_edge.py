"""The server's edge under attack: host names, security headers, proxy identity, state on
GET, and bodies that are too big, too deep, not finite or not UTF-8 -- on every endpoint."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from chatbot import texts
from chatbot.adapters.guard import SECURITY_HEADERS
from chatbot.cli import main
from chatbot.config import ApiToken, Settings, load_settings
from chatbot.server import STATIC, create_app
from chatbot.types import ButtonValue
from intents import Understander

ADMIN_TOKEN = "edge-admin-token"
BAD_JSON = [
    (b"[" * 5000 + b"]" * 5000, "nested"),
    (b'{"as": "alice", "text": "hi", "n": ' + b"[" * 40 + b"]" * 40 + b"}", "nested"),
    (b'{"as": "alice", "text": "hi", "n": 1e999}', "too large"),
    (b'{"as": "alice", "text": "hi", "n": -1e999}', "too large"),
    (b'{"as": "alice", "text": "hi", "n": NaN}', "not a JSON number"),
    (b'{"as": "alice", "text": "hi", "n": Infinity}', "not a JSON number"),
    (b'{"as": "alice", "text": "hi", "n": ' + b"9" * 5000 + b"}", "digits"),
    (b'{"as": "alice", "text": "\xff\xfe"}', "UTF-8"),
    (b'{"as": "alice", "text": "\\ud800"}', "Unicode"),
]


def with_admin(settings: Settings) -> Settings:
    token = ApiToken(person="dave", sha256=hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest())
    return settings.model_copy(update={"api_tokens": {"edge": token}})


@pytest.fixture
def client(
    settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    with TestClient(create_app(with_admin(settings), database_url, understander)) as c:
        yield c


def proxied(settings: Settings, secret: str) -> Settings:
    web = settings.web.model_copy(update={"auth": "proxy", "shared_secret": secret})
    return settings.model_copy(update={"web": web})


# -- 7. DNS rebinding ------------------------------------------------------------------------


def test_default_allowed_hosts_are_the_loopback_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHATOPS_SERVER__ALLOWED_HOSTS")
    assert set(load_settings().server.allowed_hosts) == {"localhost", "127.0.0.1", "::1"}


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "LOCALHOST"])
def test_loopback_names_are_served(client: TestClient, host: str) -> None:
    assert client.get("/api/people", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example:8080", "evil.example", "127.0.0.2", "[::2]"])
def test_a_rebound_host_name_is_refused(client: TestClient, host: str) -> None:
    origin = f"http://{host}"
    page = client.get("/", headers={"host": host})
    posted = client.post(
        "/api/chat",
        json={"as": "dave", "text": "whoami"},
        headers={"host": host, "origin": origin},
    )
    assert page.status_code == 400 and posted.status_code == 400
    assert "allowed_hosts" in posted.json()["error"]
    assert client.get("/healthz", headers={"host": host}).status_code == 200  # probes by IP


def test_wildcard_subdomains(settings: Settings, database_url: str, understander: Understander):
    server = settings.server.model_copy(update={"allowed_hosts": ("*.corp.example",)})
    app = create_app(settings.model_copy(update={"server": server}), database_url, understander)
    with TestClient(app, base_url="http://chat.corp.example") as c:
        assert c.get("/api/people").status_code == 200
        assert c.get("/api/people", headers={"host": "corp.example.evil"}).status_code == 400


# -- 9. security headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/", None),
        ("GET", "/static/chat.js", None),
        ("GET", "/api/people", None),
        ("GET", "/api/inbox?as=alice", None),
        ("POST", "/api/chat", {"as": "alice", "text": "whoami"}),
        ("POST", "/api/chat", {"text": "no person"}),
        ("GET", "/api/skills", None),
        ("GET", "/no/such/page", None),
        ("GET", "/healthz", None),
    ],
)
def test_every_answer_carries_the_security_headers(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    response = client.request(method, path, json=body)
    for name, value in SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode(), name
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"


def test_the_page_has_no_inline_script_or_style() -> None:
    html = (STATIC / "index.html").read_text("utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and " style=" not in html
    assert re.search(r"\son[a-z]+\s*=", html) is None


# -- 6. proxy identity -------------------------------------------------------------------------


def test_serve_refuses_proxy_mode_without_a_shared_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHATOPS_WEB__AUTH", "proxy")
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "web.shared_secret" in err and "Traceback" not in err


def test_an_app_in_proxy_mode_without_a_secret_lets_nobody_in(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    app = create_app(proxied(settings, ""), database_url, understander)
    with TestClient(app) as c:
        forged = {"X-Forwarded-Email": "dave@example.com"}
        response = c.post("/api/chat", json={"text": "whoami"}, headers=forged)
        assert response.status_code == 503


def test_proxy_identity_header_must_come_once(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    app = create_app(proxied(settings, "s3"), database_url, understander)
    with TestClient(app) as c:
        twice = [
            ("X-Chatops-Proxy-Secret", "s3"),
            ("X-Forwarded-Email", "bob@example.com"),
            ("X-Forwarded-Email", "dave@example.com"),
        ]
        response = c.post("/api/chat", json={"text": "whoami"}, headers=twice)
        assert response.status_code == 400 and "once" in response.json()["error"]
        joined = {"X-Chatops-Proxy-Secret": "s3", "X-Forwarded-Email": "bob@x, dave@example.com"}
        assert c.post("/api/chat", json={"text": "hi"}, headers=joined).status_code == 400
        secrets = [("X-Chatops-Proxy-Secret", "nope"), ("X-Chatops-Proxy-Secret", "s3")]
        both = [*secrets, ("X-Forwarded-Email", "dave@example.com")]
        assert c.post("/api/chat", json={"text": "hi"}, headers=both).status_code == 401


@pytest.mark.parametrize("sent", ["sëcret".encode(), b"\xff\xfe", b"s3" + b"\x80"])
def test_the_secret_comparison_never_raises(
    settings: Settings, database_url: str, understander: Understander, sent: bytes
) -> None:
    app = create_app(proxied(settings, "sëcret-ü"), database_url, understander)
    with TestClient(app) as c:
        headers = [(b"x-chatops-proxy-secret", sent), (b"x-forwarded-email", b"dave@example.com")]
        response = c.post("/api/chat", json={"text": "whoami"}, headers=headers)
        assert response.status_code == 401
        good = [
            (b"x-chatops-proxy-secret", "sëcret-ü".encode()),
            (b"x-forwarded-email", b"bob@example.com"),
        ]
        assert c.post("/api/chat", json={"text": "whoami"}, headers=good).status_code == 200


# -- 8. no state change on GET -----------------------------------------------------------------


def _expired_for_carol(c: TestClient) -> None:
    """carol's prod deploy waits for approval and expires: a notification waits for her."""
    asked = c.post("/api/chat", json={"as": "carol", "text": "deploy web 5.2.0 to prod"}).json()
    send = asked["replies"][0]["buttons"][0]["value"]
    c.post("/api/chat", json={"as": "carol", "press": send})
    pressed = ButtonValue.parse(send)
    assert pressed is not None and pressed.action_id is not None
    assert c.portal is not None
    approvals = c.app.state.runtime.assistant.approvals  # type: ignore[attr-defined]
    assert c.portal.call(approvals.expire, pressed.action_id)


def test_reading_the_inbox_consumes_nothing(client: TestClient) -> None:
    _expired_for_carol(client)
    cross_site = {"origin": "https://evil.example", "referer": "https://evil.example/"}
    for _ in range(2):
        read = client.get("/api/inbox", params={"as": "carol"}, headers=cross_site)
        assert read.status_code == 200 and read.json()["notifications"] == []
    refused = client.post("/api/inbox", json={"as": "carol"}, headers=cross_site)
    assert refused.status_code == 403
    taken = client.post("/api/inbox", json={"as": "carol"}).json()["notifications"]
    assert taken, "the notification is still there for carol herself"
    assert client.post("/api/inbox", json={"as": "carol"}).json()["notifications"] == []


# -- 19. bodies --------------------------------------------------------------------------------


def _endpoints(c: TestClient) -> list[tuple[str, dict[str, str]]]:
    admin = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    return [
        ("/api/chat", {}),
        ("/api/inbox", {}),
        ("/api/skills", admin),
        ("/api/skills/vpn.reset/restore", admin),
        ("/api/messages", {}),
    ]


@pytest.mark.parametrize(("body", "needle"), BAD_JSON)
def test_bad_json_is_refused_with_400_everywhere(
    client: TestClient, body: bytes, needle: str
) -> None:
    for path, headers in _endpoints(client):
        response = client.post(
            path, content=body, headers={**headers, "content-type": "application/json"}
        )
        assert response.status_code == 400, (path, response.text)
        assert needle in response.json()["error"], (path, response.text)


@pytest.mark.parametrize(("body", "needle"), BAD_JSON)
def test_bad_json_without_a_json_content_type_is_refused_too(
    client: TestClient, body: bytes, needle: str
) -> None:
    response = client.post("/api/chat", content=body, headers={"content-type": "text/plain"})
    assert response.status_code == 400 and needle in response.json()["error"]


async def _drive(app: Any, headers: list[tuple[bytes, bytes]], chunks: int) -> tuple[int, int]:
    """POST a body of `chunks` x 64 KiB straight through ASGI; (status, bytes the app read)."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 65536
        return {"type": "http.request", "body": b"x" * 65536, "more_body": read < chunks * 65536}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/chat",
        "raw_path": b"/api/chat",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"), *headers],
        "scheme": "http",
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 5555),
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
        "app": app,
    }
    await app(scope, receive, send)
    return sent[0]["status"], read


async def test_a_200_mb_body_is_refused_without_reading_it(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    app = create_app(settings, database_url, understander)
    limit = settings.server.max_body_bytes
    declared = [(b"content-length", str(200 * 1024 * 1024).encode())]
    assert await _drive(app, declared, 3200) == (413, 0)
    status, read = await _drive(app, [], 3200)  # chunked: no length declared
    assert status == 413 and read <= limit + 65536
    lying = [(b"content-length", b"10")]
    status, read = await _drive(app, lying, 3200)
    assert status == 413 and read <= limit + 65536


def test_a_malformed_content_length_is_refused(client: TestClient) -> None:
    response = client.post("/api/chat", content=b"{}", headers={"content-length": "2, 2000"})
    assert response.status_code == 400


# -- 20. button values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["approve:²", "approve:2**70", f"approve:{2**70}", "approve:-1", "confirm:", "x:1"]
)
def test_forged_button_values_are_unknown_requests(client: TestClient, value: str) -> None:
    response = client.post("/api/chat", json={"as": "dave", "press": value})
    assert response.status_code == 200
    [reply] = response.json()["replies"]
    assert reply["text"] == texts.UNKNOWN_BUTTON and reply["kind"] == "error"
