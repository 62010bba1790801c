"""The incident desk in chat, through the ASGI app: what's on fire, ack INC-n, resolve INC-n."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from chatbot.config import AlertSettings, IncidentSettings, Settings
from chatbot.server import create_app
from intents import Understander
from tests.incidents.payloads import alert, alertmanager, processed

TOKEN = "am-token-for-chat-tests"
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
def client(
    settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={
            "alerts": AlertSettings(alertmanager_token=SecretStr(TOKEN)),
            "incidents": IncidentSettings(responders={"*": ("carol",)}),
        }
    )
    with TestClient(create_app(configured, database_url, understander)) as c:
        yield c


def fire(client: TestClient) -> None:
    answer = client.post(
        "/hooks/alertmanager",
        json=alertmanager([alert("firing", START)]),
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code < 300
    processed(client)


def say(client: TestClient, who: str, text: str) -> str:
    replies = client.post("/api/chat", json={"as": who, "text": text}).json()["replies"]
    return "\n".join(r["text"] for r in replies)


def state(client: TestClient, incident_id: int = 1) -> str:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    found = client.portal.call(rt.incidents.get, incident_id)  # type: ignore[union-attr]
    return str(found.state)


def test_whats_on_fire_lists_open_incidents_and_changes_nothing(client: TestClient) -> None:
    assert (
        say(client, "alice", "what's on fire") == "Nothing is on fire: there are no open incidents."
    )
    fire(client)
    for text in ("what's on fire", "any open incidents"):
        listed = say(client, "alice", text)
        assert listed.startswith("Open incidents:"), listed
        assert "INC-1" in listed and "checkout" in listed
    assert state(client) == "triggered"


def test_ack_and_resolve_by_id_move_the_incident_under_rbac(client: TestClient) -> None:
    fire(client)
    # alice is an employee: no incident.ack grant.
    assert say(client, "alice", "ack INC-1").startswith("Sorry, you may not")
    assert state(client) == "triggered"
    assert say(client, "bob", "acknowledge INC-1") == "INC-1 is now acknowledged."
    assert state(client) == "acknowledged"
    assert say(client, "bob", "resolve INC-1") == "INC-1 is now resolved."
    assert state(client) == "resolved"
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    lines = [e.text for e in client.portal.call(rt.incidents.timeline, 1)]  # type: ignore[union-attr]
    assert "acknowledged by bob" in lines and "resolved by bob" in lines
    assert "no incident INC-7" in say(client, "bob", "ack INC-7")


def test_ack_without_an_id_asks_which_incident(client: TestClient) -> None:
    fire(client)
    asked = client.post("/api/chat", json={"as": "bob", "text": "ack it"}).json()["replies"][0]
    assert asked["text"] == "Which incident (like INC-12)?"
    assert say(client, "bob", "INC-1") == "INC-1 is now acknowledged."


def test_a_seven_digit_ticket_is_still_a_ticket(understander: Understander) -> None:
    meant = understander.parse("resolve incident INC0000042, it works now")
    assert meant.skill == "ticket.close"
    assert understander.parse("resolve INC-42").skill == "incident.resolve"
