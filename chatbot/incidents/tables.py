"""The incident tables. Their migrations are 0005_incidents, 0006_incidents and 0007_h14intake."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from chatbot.store.tables import UTCDateTime


def _when(nullable: bool = True) -> datetime | None:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))  # type: ignore[no-any-return]


class Incident(SQLModel, table=True):
    """One incident. `open_key` is the grouping key while open and NULL after, so a unique
    constraint makes concurrent deliveries of one group share one open incident."""

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("open_key", name="uq_incidents_open_key"),
        # The incidents that followed a deploy, for the change failure rate (0006_incidents).
        Index("ix_incidents_service_env_started", "service", "env", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    open_key: str | None = None
    group_key: str = ""
    source: str
    title: str
    service: str = Field(default="", index=True)
    env: str = ""
    severity: str = ""
    state: str = Field(index=True)
    partial: bool = False
    started_at: datetime = _when(nullable=False)  # type: ignore[assignment]
    created_at: datetime = _when(nullable=False)  # type: ignore[assignment]
    acknowledged_at: datetime | None = _when()
    acknowledged_by: str | None = None
    mitigated_at: datetime | None = _when()
    resolved_at: datetime | None = _when()
    closed_at: datetime | None = _when()
    updated_at: datetime = _when(nullable=False)  # type: ignore[assignment]


class Alert(SQLModel, table=True):
    """One alert as the monitoring system identifies it (its fingerprint). Repeats update
    `deliveries` and `last_received_at`; `open_key` makes concurrent first deliveries one row."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("source", "open_key", name="uq_alerts_open"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str
    fingerprint: str = Field(index=True)
    open_key: str | None = None
    incident_id: int = Field(index=True)
    name: str = ""
    status: str
    labels: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    annotations: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    starts_at: datetime = _when(nullable=False)  # type: ignore[assignment]
    ends_at: datetime | None = _when()
    first_received_at: datetime = _when(nullable=False)  # type: ignore[assignment]
    last_received_at: datetime = _when(nullable=False)  # type: ignore[assignment]
    deliveries: int = 1


class IncidentEvent(SQLModel, table=True):
    """One line of an incident's timeline. `idem_key` keeps a repeated delivery or click from
    adding the same line twice."""

    __tablename__ = "incident_events"
    __table_args__ = (UniqueConstraint("idem_key", name="uq_incident_events_idem"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(index=True)
    at: datetime = _when(nullable=False)  # type: ignore[assignment]
    kind: str
    actor: str = ""
    text: str = ""
    idem_key: str


class IncidentPost(SQLModel, table=True):
    """Where an incident's card was posted (a Slack channel and message ts, a Teams
    conversation and activity id), so a reply in its thread is known to be about it.
    Migration 0006_incidents."""

    __tablename__ = "incident_posts"
    __table_args__ = (
        UniqueConstraint("platform", "message_id", "conversation", name="uq_incident_posts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(index=True)
    platform: str
    conversation: str
    message_id: str
    created_at: datetime = _when(nullable=False)  # type: ignore[assignment]


class AlertDelivery(SQLModel, table=True):
    """A delivery accepted but not processed yet: the intake's one write before it answers,
    deleted in the transaction that records its alerts (inbox.py). A row here after a crash
    is processed at the next start. One that keeps failing waits `next_try_at`, counts its
    `attempts`, and after the last one stays here with its `error` for a person to look at.
    Migration 0007_h14intake."""

    __tablename__ = "alert_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    source: str
    notices: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = _when(nullable=False)  # type: ignore[assignment]
    attempts: int = 0
    next_try_at: datetime | None = _when()
    error: str = Field(default="", sa_column=Column(Text, nullable=False))
