"""The web chat's live stream (`GET /events`, server-sent events) from a real server: each
person's stream carries their own conversation and nothing of anyone else's, cards update by
id, a reconnect resumes from Last-Event-ID, and the stream asks who you are exactly as a
chat message does."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from chatbot.config import Settings
from chatbot.server import create_app
from intents import Understander
from tests.adapters.webside import Event, Listener, eventually, read_events, serving


@pytest.fixture
def served(settings: Settings, database_url: str, understander: Understander) -> Iterator[str]:
    with serving(create_app(settings, database_url, understander)) as base:
        yield base


def say(base: str, who: str, text: str = "", press: str = "") -> list[dict[str, Any]]:
    body = {"as": who, **({"press": press} if press else {"text": text})}
    answer = httpx.post(f"{base}/api/chat", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["entries"])


def pressing(entries: list[dict[str, Any]], label: str) -> str:
    return next(b["value"] for e in entries for b in e["buttons"] if b["label"] == label)


def saying(words: str) -> Any:
    return lambda events: any(words in e["text"] for _, e in events)


def test_each_stream_carries_only_its_own_persons_conversation(served: str) -> None:
    carol = Listener(served, {"as": "carol"}, saying("carol@example.com"))
    dave = Listener(served, {"as": "dave"}, saying("You approved"))
    carol.start()
    dave.start()
    assert carol.connected.wait(20) and dave.connected.wait(20)

    asked = say(served, "carol", "deploy web 5.2.0 to prod")
    say(served, "carol", press=pressing(asked, "Send for approval"))
    eventually(lambda: any(e["kind"] == "approval" for _, e in dave.events))  # live, no reload
    cards = [e for _, e in dave.events if e["kind"] == "approval"]
    say(served, "dave", press=pressing(cards, "Approve"))
    say(served, "carol", "whoami")

    carols = [e["text"] for _, e in carol.wait()]
    assert any("Deployed web 5.2.0 to prod" in t for t in carols)  # her outcome, live
    assert not [t for t in carols if t.startswith("Approval needed") or "You approved" in t]
    daves = [e["text"] for _, e in dave.wait()]
    assert not [t for t in daves if "deploy web 5.2.0" in t or "waiting for approval by" in t]


def test_a_decided_card_is_an_update_with_the_same_id(served: str) -> None:
    asked = say(served, "carol", "deploy web 5.2.0 to prod")
    say(served, "carol", press=pressing(asked, "Send for approval"))
    ((name, card),) = read_events(served, {"as": "dave", "after": "0"}, lambda got: True)
    assert name == "entry" and card["card"]["open"] and card["buttons"]
    say(served, "dave", press=pressing([card], "Approve"))

    def decided(events: list[Event]) -> bool:
        return any(n == "update" and e["id"] == card["id"] for n, e in events)

    seen = read_events(served, {"as": "dave", "after": "0"}, decided)
    (update,) = [e for n, e in seen if n == "update" and e["id"] == card["id"]][-1:]
    assert update["buttons"] == [] and not update["card"]["open"]
    assert update["card"]["status"] == "Done"


def test_a_reconnect_resumes_after_the_last_event(served: str) -> None:
    say(served, "alice", "whoami")
    first = read_events(served, {"as": "alice", "after": "0"}, lambda got: len(got) == 2)
    assert [e["from"] for _, e in first] == ["person", "assistant"]
    with httpx.Client(base_url=served, timeout=20) as http:
        seen = http.get("/api/history", params={"as": "alice"}).json()["cursor"]
    say(served, "alice", "help")
    again = read_events(
        served, {"as": "alice"}, lambda got: True, headers={"Last-Event-ID": str(seen)}
    )
    assert again[0][1]["text"] == "help"


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ({}, {}, 400),
        ({"as": "zed"}, {}, 400),
        ({"as": "alice", "after": "x"}, {}, 400),
        ({"as": "alice"}, {"Origin": "https://evil.example"}, 403),
    ],
)
def test_the_stream_refuses_what_a_chat_message_would(
    served: str, query: dict[str, str], headers: dict[str, str], status: int
) -> None:
    answer = httpx.get(f"{served}/events", params=query, headers=headers, timeout=10)
    assert answer.status_code == status
    assert "content-security-policy" in answer.headers


def test_behind_the_proxy_the_stream_is_the_header_persons_only(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    web = settings.web.model_copy(update={"auth": "proxy", "shared_secret": "s3"})
    proxied = settings.model_copy(update={"web": web})
    bob = {"X-Chatops-Proxy-Secret": "s3", "X-Forwarded-Email": "bob@example.com"}
    dave = {"X-Chatops-Proxy-Secret": "s3", "X-Forwarded-Email": "dave@example.com"}
    with serving(create_app(proxied, database_url, understander)) as base:
        httpx.post(f"{base}/api/chat", json={"text": "whoami"}, headers=dave, timeout=30)
        httpx.post(f"{base}/api/chat", json={"text": "help"}, headers=bob, timeout=30)
        got = read_events(base, {"as": "dave", "after": "0"}, lambda e: len(e) == 2, bob)
        assert got[0][1]["text"] == "help"  # bob's own, whatever `as` says
        assert not [e for _, e in got if "dave@example.com" in e["text"]]
        anonymous = httpx.get(f"{base}/events", params={"as": "dave"}, timeout=10)
        assert anonymous.status_code == 401
        wrong = {**dave, "X-Chatops-Proxy-Secret": "guess"}
        assert httpx.get(f"{base}/events", headers=wrong, timeout=10).status_code == 401


def test_a_database_that_cannot_be_read_is_told_in_words_not_a_500(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    """Both ways to read a conversation answer 503 with a sentence when reads fail."""
    app = create_app(settings, database_url, understander)
    with serving(app) as base:
        engine = app.state.runtime.store.engine

        def fail(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if "web_entries" in statement:
                raise sqlite3.OperationalError("disk I/O error")

        event.listen(engine, "before_cursor_execute", fail)
        try:
            for path in ("/api/history?as=alice", "/events?as=alice"):
                answer = httpx.get(base + path, timeout=10)
                assert answer.status_code == 503, (path, answer.status_code)
                assert "database is unavailable" in answer.json()["error"]
        finally:
            event.remove(engine, "before_cursor_execute", fail)
