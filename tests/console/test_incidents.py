"""Incidents in the console: the open ones, a timeline, and the chat card's buttons."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from chatbot.config import AlertSettings, Settings
from chatbot.server import create_app
from intents import Understander
from tests.console.conftest import ConsoleClient, with_auditor
from tests.incidents.payloads import alert, alertmanager, processed

TOKEN = "am-token-for-console-tests"
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
def alerted(
    settings: Settings, database_url: str, understander: Understander
) -> Iterator[ConsoleClient]:
    configured = with_auditor(settings).model_copy(
        update={"alerts": AlertSettings(alertmanager_token=SecretStr(TOKEN))}
    )
    with TestClient(create_app(configured, database_url, understander)) as client:
        body = alertmanager([alert("firing", START, env="staging")])
        fired = client.post(
            "/hooks/alertmanager", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert fired.status_code == 202
        processed(client)
        yield ConsoleClient(client)


def test_open_incidents_and_their_timeline(alerted: ConsoleClient) -> None:
    listing = alerted.get("/incidents", as_="frank")
    assert listing.status_code == 200 and "INC-1" in listing.text
    assert "HighErrorRate" in listing.text
    detail = alerted.get("/incidents/INC-1", as_="frank")
    assert "Timeline" in detail.text and "Acknowledge" not in detail.text  # auditor: no buttons
    missing = alerted.get("/incidents/INC-99")
    assert missing.status_code == 404 and "no incident INC-99" in missing.text
    bad = alerted.get("/incidents/nonsense")
    assert bad.status_code == 404 and "not an incident id" in bad.text


def test_the_chat_card_buttons_work_from_the_console(alerted: ConsoleClient) -> None:
    detail = alerted.get("/incidents/INC-1")
    assert 'value="incident-ack:1"' in detail.text
    assert "Roll back checkout in staging" in detail.text
    acked = alerted.post("/incidents/INC-1/press", value="incident-ack:1")
    assert acked.status_code == 200
    assert 'id="incident-state">acknowledged' in acked.text
    assert "dave" in acked.text  # the timeline line names who acknowledged
    restart = alerted.post("/incidents/INC-1/press", value="remedy:1.1")
    assert restart.status_code == 200
    assert 'value="confirm:' in restart.text  # the next step: the chat's own confirmation
    confirm = restart.text.split('value="confirm:')[1].split('"')[0]
    done = alerted.post("/incidents/INC-1/press", value=f"confirm:{confirm}")
    assert "restart" in done.text.lower()
    assert alerted.audit("console.press")[-1]["outcome"] == "ok"
