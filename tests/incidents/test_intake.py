"""Alert intake through the real ASGI app: authentication, repeats, late resolution. The
intake answers 202 before it processes; `processed` runs the server's own drain."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from chatbot.app import runtime
from chatbot.config import AlertSettings, ApiToken, IncidentSettings, Settings, load_settings
from chatbot.incidents import intake
from chatbot.incidents.book import IncidentBook
from chatbot.incidents.inbox import Inbox
from chatbot.incidents.payloads import Source, parse
from chatbot.server import create_app
from chatbot.store.engine import Store
from intents import Understander
from tests.incidents.payloads import alert, alertmanager, grafana, minutes, processed

AM_TOKEN = "am-token-for-tests"
GRAFANA_TOKEN = "grafana-token-for-tests"
HMAC_SECRET = "grafana-hmac-secret"
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
def alert_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "alerts": AlertSettings(
                alertmanager_token=SecretStr(AM_TOKEN),
                grafana_token=SecretStr(GRAFANA_TOKEN),
                grafana_hmac_secret=SecretStr(HMAC_SECRET),
            ),
            "api_tokens": {"ops": ApiToken(person="dave", sha256=sha256(b"kpi").hexdigest())},
            "incidents": IncidentSettings(
                responders={"*": ("carol",)}, channels={"checkout": "#checkout-incidents"}
            ),
        }
    )


@pytest.fixture
def client(
    alert_settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    with TestClient(create_app(alert_settings, database_url, understander)) as c:
        yield c


def post_am(client: TestClient, body: object, token: str = AM_TOKEN) -> object:
    return client.post(
        "/hooks/alertmanager", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def signed(body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or str(int(time.time()))
    digest = hmac.new(HMAC_SECRET.encode(), stamp.encode() + b":" + body, hashlib.sha256)
    return {
        "Authorization": f"Bearer {GRAFANA_TOKEN}",
        "X-Grafana-Alerting-Signature": digest.hexdigest(),
        "X-Grafana-Alerting-Signature-Timestamp": stamp,
        "Content-Type": "application/json",
    }


def incidents(client: TestClient) -> list[dict[str, object]]:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    found = client.portal.call(rt.incidents.listing, False)  # type: ignore[union-attr]
    return [
        {"id": i.id, "state": i.state, "resolved_at": i.resolved_at, "started_at": i.started_at}
        for i in found
    ]


def test_the_same_delivery_twice_makes_one_incident_and_counts_the_repeat(
    client: TestClient,
) -> None:
    body = alertmanager([alert("firing", START)])
    first, again = post_am(client, body), post_am(client, body)
    assert first.status_code == again.status_code == 202  # type: ignore[attr-defined]
    assert first.json()["alerts"] == again.json()["alerts"] == 1  # type: ignore[attr-defined]
    processed(client)
    assert len(incidents(client)) == 1
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    (only,) = client.portal.call(rt.incidents.alerts, 1)
    assert only.deliveries == 2
    events = client.portal.call(rt.incidents.timeline, 1)
    assert [e.kind for e in events].count("alert.fired") == 1


def test_a_late_resolved_notice_resolves_at_the_alerts_own_end(client: TestClient) -> None:
    post_am(client, alertmanager([alert("firing", START)]))
    ends = START + minutes(42)
    post_am(client, alertmanager([alert("resolved", START, ends=ends)]))
    processed(client)
    (incident,) = incidents(client)
    assert incident["state"] == "resolved"
    assert incident["resolved_at"] == ends
    kpi = client.get(
        "/api/kpi", params={"since": "2026-11-01"}, headers={"Authorization": "Bearer kpi"}
    ).json()
    assert kpi["mttr_seconds"]["mean"] == 2520


def test_a_mixed_delivery_keeps_the_incident_open_until_the_last_alert_resolves(
    client: TestClient,
) -> None:
    one = {"name": "HighErrorRate"}
    two = {"name": "HighErrorRate", "extra": {"instance": "b"}, "fingerprint": "fp-two"}
    post_am(client, alertmanager([alert("firing", START, **one), alert("firing", START, **two)]))
    post_am(
        client,
        alertmanager(
            [
                alert("resolved", START, ends=START + minutes(5), **one),
                alert("firing", START, **two),
            ]
        ),
    )
    processed(client)
    assert incidents(client)[0]["state"] == "triggered"
    post_am(client, alertmanager([alert("resolved", START, ends=START + minutes(9), **two)]))
    processed(client)
    (incident,) = incidents(client)
    assert incident["state"] == "resolved"
    assert incident["resolved_at"] == START + minutes(9)


def test_the_incident_channel_and_responders_are_told(client: TestClient) -> None:
    post_am(client, alertmanager([alert("firing", START)]))
    processed(client)
    inbox = client.post("/api/inbox", json={"as": "carol"})
    texts = [r["text"] for r in inbox.json()["notifications"]]
    assert any("Incident INC-1: HighErrorRate on checkout prod" in t for t in texts)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": "Bearer ünïcode".encode()}, 401),
        ({"Authorization": f"Basic {AM_TOKEN}"}, 401),
    ],
)
def test_alertmanager_without_the_token_is_refused_and_changes_nothing(
    client: TestClient, headers: dict[str, str | bytes], status: int
) -> None:
    body = json.dumps(alertmanager([alert("firing", START)])).encode()
    answer = client.post("/hooks/alertmanager", content=body, headers=headers)
    assert answer.status_code == status
    processed(client)  # had anything been kept, it would be an incident now
    assert incidents(client) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"\xff\xfe not utf-8", 400),
        (b"{not json", 400),
        (b'{"version": "4", "x": 1e999}', 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"version": "3", "groupKey": "g", "status": "firing", "alerts": []}', 422),
        (b'{"version": "4", "groupKey": "g", "status": "firing", "alerts": [{"status": 1}]}', 422),
    ],
)
def test_bad_bodies_get_a_4xx_that_says_why(client: TestClient, body: bytes, status: int) -> None:
    answer = client.post(
        "/hooks/alertmanager", content=body, headers={"Authorization": f"Bearer {AM_TOKEN}"}
    )
    assert answer.status_code == status
    assert answer.json()["error"]
    processed(client)
    assert incidents(client) == []


def test_an_oversized_body_is_refused_before_it_is_read(client: TestClient) -> None:
    answer = client.post(
        "/hooks/alertmanager",
        content=b"x" * 2_000_000,
        headers={"Authorization": f"Bearer {AM_TOKEN}"},
    )
    assert answer.status_code == 413


def test_the_old_alerts_body_limit_still_loads_but_the_edge_guard_is_the_one_limit(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    database_url: str,
    understander: Understander,
) -> None:
    config = tmp_path / "chatops.toml"
    config.write_text(
        f'[alerts]\nalertmanager_token = "{AM_TOKEN}"\nmax_body_bytes = 2048\n'
        "[server]\nmax_body_bytes = 65536\n",
        "utf-8",
    )
    with caplog.at_level(logging.WARNING):
        loaded = load_settings(config)
    assert "alerts.max_body_bytes is deprecated and ignored" in caplog.text
    settings = loaded.model_copy(update={"data_dir": tmp_path})
    padded = alertmanager([alert("firing", START)]) | {"padding": "x" * 10_000}
    with TestClient(create_app(settings, database_url, understander)) as c:
        assert post_am(c, padded).status_code == 202  # over the old 2 KiB, under the guard's
        huge = c.post(
            "/hooks/alertmanager",
            content=b"x" * 70_000,
            headers={"Authorization": f"Bearer {AM_TOKEN}"},
        )
        assert huge.status_code == 413 and "65,536" in huge.json()["error"]


def test_grafana_needs_its_token_and_a_fresh_signature(client: TestClient) -> None:
    body = json.dumps(grafana([alert("firing", START, fingerprint="a1b2c3")])).encode()
    good = client.post("/hooks/grafana", content=body, headers=signed(body))
    assert good.status_code == 202, good.text
    stale = signed(body, str(int(time.time()) - 600))
    assert client.post("/hooks/grafana", content=body, headers=stale).status_code == 401
    forged = signed(body) | {"X-Grafana-Alerting-Signature": "00" * 32}
    assert client.post("/hooks/grafana", content=body, headers=forged).status_code == 401
    tampered = body.replace(b"checkout", b"billing!")
    assert client.post("/hooks/grafana", content=tampered, headers=signed(body)).status_code == 401
    processed(client)
    assert len(incidents(client)) == 1


def test_an_unconfigured_source_is_closed(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    with TestClient(create_app(settings, database_url, understander)) as bare:
        answer = bare.post(
            "/hooks/alertmanager",
            json=alertmanager([alert("firing", START)]),
            headers={"Authorization": "Bearer "},
        )
    assert answer.status_code == 401


def _card(client: TestClient, who: str) -> dict[str, str]:
    notes = client.post("/api/inbox", json={"as": who}).json()["notifications"]
    (card,) = [n for n in notes if n["text"].startswith("Incident INC-1")]
    return {b["label"]: b["value"] for b in card["buttons"]}


def test_the_card_offers_acknowledge_remediations_and_resolve_under_governance(
    client: TestClient,
) -> None:
    post_am(client, alertmanager([alert("firing", START)]))
    processed(client)
    buttons = _card(client, "carol")
    assert list(buttons) == [
        "Acknowledge",
        "Roll back checkout in prod",
        "Restart checkout in prod",
        "Resolve",
    ]
    # alice (employee) may neither roll back production nor acknowledge: refused, and on the
    # timeline for the postmortem.
    refused = client.post(
        "/api/chat", json={"as": "alice", "press": buttons["Roll back checkout in prod"]}
    ).json()["replies"][0]["text"]
    assert refused.startswith("Sorry, you may not")
    ack = client.post("/api/chat", json={"as": "alice", "press": buttons["Acknowledge"]}).json()
    assert ack["replies"][0]["text"].startswith("Sorry, you may not")
    assert incidents(client)[0]["state"] == "triggered"
    # carol (release manager) acknowledges; her rollback is a request like any other.
    done = client.post("/api/chat", json={"as": "carol", "press": buttons["Acknowledge"]}).json()
    assert done["replies"][0]["text"] == "INC-1 is now acknowledged."
    asked = client.post(
        "/api/chat", json={"as": "carol", "press": buttons["Roll back checkout in prod"]}
    ).json()["replies"][0]
    assert asked["buttons"], asked  # a confirmation (or approval request), never a silent run
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    lines = [e.text for e in client.portal.call(rt.incidents.timeline, 1)]
    assert any(t.startswith("alice asked to roll back checkout in prod: Sorry") for t in lines)
    assert any("acknowledge it and was refused" in t for t in lines)
    assert "acknowledged by carol" in lines
    assert any(t.startswith("carol asked to roll back checkout in prod") for t in lines)


def test_forged_incident_buttons_run_nothing(client: TestClient) -> None:
    post_am(client, alertmanager([alert("firing", START)]))
    processed(client)
    for value in ("remedy:1.9", "remedy:1.x", "remedy:99.0", "incident-ack:²", "incident-ack:-1"):
        answer = client.post("/api/chat", json={"as": "carol", "press": value})
        assert answer.status_code == 200
        assert answer.json()["replies"][0]["kind"] == "error", value
    assert incidents(client)[0]["state"] == "triggered"


def test_ten_identical_deliveries_at_once_make_one_incident(client: TestClient) -> None:
    body = json.dumps(alertmanager([alert("firing", START)])).encode()
    headers = {"Authorization": f"Bearer {AM_TOKEN}", "Content-Type": "application/json"}

    async def ten_at_once() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url=str(client.base_url)) as http:
            sends = (
                http.post("/hooks/alertmanager", content=body, headers=headers) for _ in range(10)
            )
            return list(await asyncio.gather(*sends))

    answers = client.portal.call(ten_at_once)
    assert [a.status_code for a in answers] == [202] * 10
    assert len({a.json()["delivery"] for a in answers}) == 10  # each kept on its own
    processed(client)
    (incident,) = incidents(client)
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    (only,) = client.portal.call(rt.incidents.alerts, incident["id"])
    assert only.deliveries == 10
    events = client.portal.call(rt.incidents.timeline, incident["id"])
    assert [e.kind for e in events].count("alert.fired") == 1


def test_the_server_processes_what_it_accepted_without_being_asked(client: TestClient) -> None:
    assert post_am(client, alertmanager([alert("firing", START)])).status_code == 202  # type: ignore[attr-defined]
    rt = client.app.state.runtime  # type: ignore[attr-defined]

    async def opened() -> None:
        while not await rt.incidents.listing():
            await asyncio.sleep(0.01)

    client.portal.call(asyncio.wait_for, opened(), 10)  # its drainer, woken by the delivery


def test_a_delivery_kept_by_a_process_that_died_is_processed_at_the_next_start(
    alert_settings: Settings, database_url: str, understander: Understander
) -> None:
    notices = parse(Source.ALERTMANAGER, alertmanager([alert("firing", START)]))

    async def accepted_then_died() -> None:  # what the route does before it answers 202
        store = Store(database_url)
        await store.migrate()
        await Inbox(IncidentBook(store, alert_settings.incidents)).record(
            Source.ALERTMANAGER, notices
        )
        await store.close()

    asyncio.run(accepted_then_died())
    with TestClient(create_app(alert_settings, database_url, understander)) as restarted:
        processed(restarted)
        (incident,) = incidents(restarted)
        assert incident["state"] == "triggered"
        assert _card(restarted, "carol")  # and its responders are told


async def test_the_drain_job_picks_up_what_nobody_processed(
    alert_settings: Settings, database_url: str, understander: Understander
) -> None:
    """What `chatops worker` (or the embedded engine in `chatops serve`) runs periodically."""
    async with runtime(alert_settings, database_url, understander) as rt:
        await Inbox(rt.assistant.incidents.book).record(
            Source.ALERTMANAGER,
            parse(Source.ALERTMANAGER, alertmanager([alert("firing", START)])),
        )
        assert await rt.jobs.run(intake.JOB, {}) == 1
        assert len(await rt.incidents.listing()) == 1
        assert await rt.jobs.run(intake.JOB, {}) == 0
