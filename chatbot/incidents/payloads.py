"""The two webhook formats we accept, read into one platform-neutral `Notice` per alert.

Alertmanager's webhook (payload version 4) and Grafana Alerting's webhook contact point
(version 1) share most fields; the models below check what we rely on and let unknown fields
through, so a newer sender still gets in. Each alert carries its own status: one delivery can
mix firing and resolved alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chatbot.incidents.fingerprint import label_fingerprint

# Alertmanager writes this while an alert has no end (Go's zero time).
_NO_END_YEAR = 1


class Source(StrEnum):
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class _Alert(_Loose):
    status: AlertStatus
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    startsAt: datetime
    endsAt: datetime | None = None
    fingerprint: str = ""


class _Delivery(_Loose):
    groupKey: str = Field(max_length=4096)
    status: AlertStatus
    truncatedAlerts: int = Field(default=0, ge=0)
    commonLabels: dict[str, str] | None = None
    alerts: list[_Alert] = Field(max_length=10_000)


class AlertmanagerDelivery(_Delivery):
    version: Literal["4"]


class GrafanaDelivery(_Delivery):
    version: Literal["1"]


@dataclass(frozen=True, slots=True)
class Notice:
    """One alert as delivered: who sent it, its identity, and its own status."""

    source: Source
    group_key: str
    fingerprint: str
    status: AlertStatus
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    partial: bool

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def service(self) -> str:
        return self.labels.get("service") or self.labels.get("job", "")

    @property
    def env(self) -> str:
        return self.labels.get("env") or self.labels.get("environment", "")


class BadPayload(ValueError):
    """The body is not a delivery we understand; the text says which field and why."""


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _end(alert: _Alert) -> datetime | None:
    """`endsAt` means the end only on a resolved alert; a firing one carries a planned end."""
    if alert.status is not AlertStatus.RESOLVED or alert.endsAt is None:
        return None
    if alert.endsAt.year <= _NO_END_YEAR:
        return None
    return _aware(alert.endsAt)


def parse(source: Source, body: object) -> list[Notice]:
    """The alerts of one delivery, or BadPayload naming what is wrong."""
    model = AlertmanagerDelivery if source is Source.ALERTMANAGER else GrafanaDelivery
    try:
        delivery = model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise BadPayload(f"{where}: {first['msg']}") from None
    partial = delivery.truncatedAlerts > 0
    notices = []
    for alert in delivery.alerts:
        labels = dict(alert.labels or {})
        fingerprint = alert.fingerprint or label_fingerprint(labels)
        notices.append(
            Notice(
                source=source,
                group_key=delivery.groupKey,
                fingerprint=fingerprint,
                status=alert.status,
                labels=labels,
                annotations=dict(alert.annotations or {}),
                starts_at=_aware(alert.startsAt),
                ends_at=_end(alert),
                partial=partial,
            )
        )
    return notices
