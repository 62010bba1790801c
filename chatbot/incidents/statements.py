"""The alert intake's hot statements, built once per database dialect with bound parameters.

Every delivery runs a few of these (a repeat: one UPDATE). Built anew each time, an ORM
statement costs about five times what the database then spends on it (construction, cache
key, the ORM layer); built once as Core statements on the tables, only the execution is left.
Parameters are named after the columns they fill (an INSERT's), or not like any column (an
UPDATE's: SQLAlchemy keeps column names for its SET clause).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Delete, Insert, Select, Table, Update, bindparam, delete, insert, select
from sqlalchemy import update as update_

from chatbot.incidents.states import OPEN_STATES
from chatbot.incidents.tables import Alert, AlertDelivery, Incident, IncidentEvent
from chatbot.store.engine import upsert_insert


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


@dataclass(frozen=True, slots=True)
class Statements:
    # alerts
    bump_open: Update  # of_source, key, now -> id, incident_id, starts_at
    count_alert: Update  # alert_id, now
    add_alert: Insert  # the alert's columns -> id (nothing when it is open already)
    # incidents
    incident_by_key: Select[Any]  # open_key -> id
    similar_incident: Select[Any]  # service, env, title, since -> id
    open_incident: Insert  # the incident's columns -> id (nothing when the key is open)
    pull_start: Update  # incident_id, earliest
    # timeline
    add_event: Insert  # the event's columns (nothing when its idem_key is there)
    # deliveries (inbox.py)
    keep_delivery: Insert  # source, notices, received_at, attempts, error -> id
    waiting: Select[Any]  # now, attempts, limit -> id, notices, received_at, attempts
    forget: Delete  # ids (expanding)


@cache
def statements(dialect: str) -> Statements:
    alerts, incidents = _table(Alert), _table(Incident)
    events, deliveries = _table(IncidentEvent), _table(AlertDelivery)
    upsert = upsert_insert(dialect)
    return Statements(
        bump_open=update_(alerts)
        .where(alerts.c.source == bindparam("of_source"), alerts.c.open_key == bindparam("key"))
        .values(deliveries=alerts.c.deliveries + 1, last_received_at=bindparam("now"))
        .returning(alerts.c.id, alerts.c.incident_id, alerts.c.starts_at),
        count_alert=update_(alerts)
        .where(alerts.c.id == bindparam("alert_id"))
        .values(deliveries=alerts.c.deliveries + 1, last_received_at=bindparam("now")),
        add_alert=upsert(alerts).on_conflict_do_nothing().returning(alerts.c.id),
        incident_by_key=select(incidents.c.id).where(incidents.c.open_key == bindparam("open_key")),
        similar_incident=select(incidents.c.id)
        .where(
            incidents.c.state.in_([s.value for s in OPEN_STATES]),
            incidents.c.service == bindparam("service"),
            incidents.c.env == bindparam("env"),
            incidents.c.title == bindparam("title"),
            incidents.c.created_at >= bindparam("since"),
        )
        .limit(1),
        open_incident=upsert(incidents).on_conflict_do_nothing().returning(incidents.c.id),
        pull_start=update_(incidents)
        .where(
            incidents.c.id == bindparam("incident_id"),
            incidents.c.started_at > bindparam("earliest"),
        )
        .values(started_at=bindparam("earliest")),
        add_event=upsert(events).on_conflict_do_nothing(),
        keep_delivery=insert(deliveries).returning(deliveries.c.id, sort_by_parameter_order=True),
        waiting=select(
            deliveries.c.id,
            deliveries.c.notices,
            deliveries.c.received_at,
            deliveries.c.attempts,
        )
        .where(
            deliveries.c.attempts < bindparam("attempts"),
            (deliveries.c.next_try_at.is_(None)) | (deliveries.c.next_try_at <= bindparam("now")),
        )
        .order_by(deliveries.c.id)
        .limit(bindparam("limit")),
        forget=delete(deliveries).where(deliveries.c.id.in_(bindparam("ids", expanding=True))),
    )
