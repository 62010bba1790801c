"""Automatic remediation through the ASGI app: a runbook with `auto = true` runs when its
incident opens, as the assistant's directory entry, under RBAC and policy, at most N per hour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from chatbot.config import AlertSettings, IncidentSettings, Person, Runbook, Settings
from chatbot.server import create_app
from intents import Understander
from tests.incidents.payloads import alert, alertmanager, processed

TOKEN = "am-token-for-auto-tests"
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
RESTART = Runbook(
    alert="High*",
    skill="service.restart",
    slots={"service": "checkout", "env": "staging"},
    title="Restart checkout in staging",
    auto=True,
)


ROLLBACK_PROD = Runbook(
    alert="High*",
    skill="deploy.rollback",
    slots={"service": "checkout", "env": "prod"},
    title="Roll back checkout in prod",
    auto=True,
)


def app_for(
    settings: Settings,
    database_url: str,
    understander: Understander,
    role: str | None,
    runbook: Runbook = RESTART,
):
    people = dict(settings.people)
    if role is not None:
        people["assistant"] = Person(email="assistant@example.com", roles=(role,))
    configured = settings.model_copy(
        update={
            "people": people,
            "alerts": AlertSettings(alertmanager_token=SecretStr(TOKEN)),
            "incidents": IncidentSettings(
                responders={"*": ("carol",)}, runbooks=(runbook,), auto_per_hour=1
            ),
        }
    )
    return create_app(configured, database_url, understander)


@pytest.fixture
def client(
    settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    with TestClient(app_for(settings, database_url, understander, "developer")) as c:
        yield c


def fire(client: TestClient, name: str = "HighErrorRate") -> None:
    body = alertmanager(
        [alert("firing", START, name=name, env="staging")], group=f'{{}}:{{alertname="{name}"}}'
    )
    answer = client.post(
        "/hooks/alertmanager", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 202
    processed(client)


def timeline(client: TestClient, incident_id: int) -> list[tuple[str, str, str]]:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    events = client.portal.call(rt.incidents.timeline, incident_id)  # type: ignore[union-attr]
    return [(e.kind, e.actor, e.text) for e in events]


def test_an_automatic_runbook_runs_once_as_the_assistant_and_is_bounded_per_hour(
    client: TestClient,
) -> None:
    fire(client)
    actions = [t for t in timeline(client, 1) if t[0] == "action"]
    assert len(actions) == 1, timeline(client, 1)
    _, actor, text = actions[0]
    assert actor == "assistant"
    assert text.startswith("assistant ran the runbook automatically: restart checkout in staging")
    assert "Sorry" not in text
    # The responders hear about it.
    notes = client.post("/api/inbox", json={"as": "carol"}).json()["notifications"]
    assert any("ran the runbook automatically" in n["text"] for n in notes)
    # A second incident of the same service within the hour: over the limit of 1, not run.
    fire(client, "HighErrorRate")  # repeat: same incident, nothing new
    assert len([t for t in timeline(client, 1) if t[0] == "action"]) == 1
    fire(client, "HighLatency")  # another incident of checkout, same hour: over the limit
    lines = timeline(client, 2)
    assert not [t for t in lines if t[0] == "action"], lines
    assert any("already 1 automatic runs for checkout" in t[2] for t in lines), lines


@pytest.mark.parametrize(
    ("role", "runbook", "why"),
    [
        (None, RESTART, "no directory entry"),
        ("employee", RESTART, "grants service.restart"),
        # Production rollbacks need an approval in the demo policy: left to the button.
        ("release-manager", ROLLBACK_PROD, "needs an approval"),
    ],
)
def test_without_rights_nothing_runs_and_the_timeline_says_why(
    settings: Settings,
    database_url: str,
    understander: Understander,
    role: str | None,
    runbook: Runbook,
    why: str,
) -> None:
    with TestClient(app_for(settings, database_url, understander, role, runbook)) as client:
        fire(client)
        lines = timeline(client, 1)
        assert not [t for t in lines if t[0] == "action"], lines
        (note,) = [t for t in lines if t[2].startswith("automatic runbook not run")]
        assert note[1] == "assistant" and why in note[2], note
