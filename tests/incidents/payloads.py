"""Builders of webhook bodies as Alertmanager and Grafana send them, checked against the
published payload schemas in shared/contracts so the tests cannot drift from the senders."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from starlette.testclient import TestClient

CONTRACTS = Path(__file__).resolve().parents[2].parent / "shared" / "contracts" / "payloads"
NO_END = "0001-01-01T00:00:00Z"


@cache
def _schema(name: str) -> dict[str, Any]:
    path = CONTRACTS / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the tests need ../shared beside the repo")
    return json.loads(path.read_text("utf-8"))  # type: ignore[no-any-return]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def alert(
    status: str,
    starts: datetime,
    *,
    name: str = "HighErrorRate",
    service: str = "checkout",
    env: str = "prod",
    ends: datetime | None = None,
    fingerprint: str | None = "",
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    labels = {"alertname": name, "service": service, "env": env, "severity": "critical"}
    labels |= extra or {}
    body: dict[str, Any] = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": f"{service} errors above 2%"},
        "startsAt": iso(starts),
        "endsAt": iso(ends) if ends else NO_END,
        "generatorURL": "http://prometheus.local/graph",
        "fingerprint": fingerprint if fingerprint is not None else "",
    }
    if fingerprint == "":
        body["fingerprint"] = f"fp-{name}-{service}-{env}"
    return body


def alertmanager(
    alerts: list[dict[str, Any]], group: str = '{}:{alertname="HighErrorRate"}', truncated: int = 0
) -> dict[str, Any]:
    statuses = {a["status"] for a in alerts}
    body = {
        "version": "4",
        "groupKey": group,
        "truncatedAlerts": truncated,
        "status": "firing" if "firing" in statuses else "resolved",
        "receiver": "chatops",
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "alerts": alerts,
    }
    jsonschema.validate(body, _schema("alertmanager-webhook.schema.json"))
    return body


def grafana(alerts: list[dict[str, Any]], group: str = "grafana-group") -> dict[str, Any]:
    firing = any(a["status"] == "firing" for a in alerts)
    body = {
        "version": "1",
        "groupKey": group,
        "status": "firing" if firing else "resolved",
        "receiver": "chatops",
        "orgId": 1,
        "title": "[FIRING:1] HighErrorRate",
        "state": "alerting" if firing else "ok",
        "message": "errors",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://grafana.local",
        "alerts": alerts,
    }
    jsonschema.validate(body, _schema("grafana-alerting-webhook.schema.json"))
    return body


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def processed(client: TestClient) -> None:
    """Wait until what the server accepted is processed (the intake answers 202 before it
    groups alerts into incidents): the inbox's own drain, which `chatops serve` runs after
    every delivery; the server's drainer may have done part of it already."""
    inbox = client.app.state.alert_inbox  # type: ignore[attr-defined]
    client.portal.call(inbox.drain)  # type: ignore[union-attr]
