"""The web chat's HTTP API through the real ASGI app (lifespan, store, pipeline)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from chatbot import texts
from chatbot.config import Settings
from chatbot.errors import ConfigError
from chatbot.server import check_exposure, create_app
from intents import Understander


@pytest.fixture
def client(
    settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database_url, understander)) as c:
        yield c


def test_page_health_and_people(client: TestClient) -> None:
    assert "ChatOps assistant" in client.get("/").text
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    names = [p["name"] for p in client.get("/api/people").json()["people"]]
    assert names == ["alice", "bob", "carol", "dave", "erin"]
    assert client.get("/api/people").json()["labels"] == texts.WEB_LABELS
    assert "Reconnecting" not in client.get("/static/chat.js").text  # words live in texts.py
    assert client.get("/static/chat.js").status_code == 200


def test_request_confirm_result(client: TestClient) -> None:
    asked = client.post("/api/chat", json={"as": "alice", "text": "reset my vpn"}).json()
    confirm = next(b for b in asked["replies"][0]["buttons"] if b["label"] == "Confirm")
    done = client.post("/api/chat", json={"as": "alice", "press": confirm["value"]}).json()
    assert "VPN reset for alice" in done["replies"][0]["text"]
    scraped = client.get("/metrics").text
    assert 'chatops_messages_total{channel="web",outcome="confirm"} 1.0' in scraped
    assert "chatops_approvals_pending 0.0" in scraped


def test_approver_sees_waiting_requests_in_the_inbox(client: TestClient) -> None:
    asked = client.post("/api/chat", json={"as": "carol", "text": "deploy web 5.2.0 to prod"})
    send = asked.json()["replies"][0]["buttons"][0]
    client.post("/api/chat", json={"as": "carol", "press": send["value"]})
    inbox = client.get("/api/inbox", params={"as": "dave"}).json()["replies"]
    assert len(inbox) == 1 and inbox[0]["kind"] == "approval"
    assert client.get("/api/inbox", params={"as": "carol"}).json()["replies"] == []


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"not json", 400, "not JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"text": "hi"}', 400, "say who you are"),
        (b'{"as": "zed", "text": "hi"}', 400, "unknown person"),
        (b'{"as": "alice", "text": 5}', 400, "must be strings"),
        (b'{"as": "alice", "text": "' + b"x" * 300_000 + b'"}', 413, "over 256 KB"),
    ],
)
def test_bad_requests_are_refused_clearly(
    client: TestClient, body: bytes, status: int, needle: str
) -> None:
    response = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status and needle in response.json()["error"]


def test_cross_site_posts_are_refused(client: TestClient) -> None:
    response = client.post(
        "/api/chat",
        json={"as": "alice", "text": "reset my vpn"},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_proxy_auth_takes_the_person_from_the_proxy(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    web = settings.web.model_copy(update={"auth": "proxy", "shared_secret": "s3"})
    proxied = settings.model_copy(update={"web": web})
    with TestClient(create_app(proxied, database_url, understander)) as client:
        headers = {"X-Forwarded-Email": "bob@example.com", "X-Chatops-Proxy-Secret": "s3"}
        picked = client.post("/api/chat", json={"as": "dave", "text": "whoami"}, headers=headers)
        assert "bob@example.com" in picked.json()["replies"][0]["text"]
        forged = client.post(
            "/api/chat", json={"text": "whoami"}, headers={"X-Forwarded-Email": "dave@example.com"}
        )
        assert forged.status_code == 401
        assert client.get("/api/people").json()["picker"] is False


def test_only_loopback_without_authentication(settings: Settings) -> None:
    check_exposure(settings, "127.0.0.1")
    check_exposure(settings, "::1")
    with pytest.raises(ConfigError, match="loopback"):
        check_exposure(settings, "0.0.0.0")
    web = settings.web.model_copy(update={"auth": "proxy", "shared_secret": "s3"})
    check_exposure(settings.model_copy(update={"web": web}), "0.0.0.0")
