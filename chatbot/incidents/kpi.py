"""The team's numbers, computed from what the assistant already keeps.

Every duration key ends in `_seconds` and every rate is a fraction from 0 to 1; a figure with
no data behind it is null, never 0 (no incidents is not an MTTR of zero). Rows are read as
plain tuples (no ORM objects), which keeps 100,000 incidents well under a second.
"""

from __future__ import annotations

import json
import statistics
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, cast, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.incidents import kpi_sql
from chatbot.incidents.tables import Alert, Incident, IncidentEvent
from chatbot.store.engine import Store
from chatbot.store.tables import Action, ApprovalVote, AuditEntry


def spread(values: Sequence[float]) -> dict[str, float | None]:
    """Mean, median and 90th percentile (nearest rank), or nulls without data."""
    if not values:
        return {"mean": None, "median": None, "p90": None}
    ordered = sorted(values)
    rank = max(0, -(-9 * len(ordered) // 10) - 1)
    return {
        "mean": round(statistics.fmean(ordered), 1),
        "median": round(statistics.median(ordered), 1),
        "p90": round(ordered[rank], 1),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True, slots=True)
class KpiReport:
    since: datetime
    figures: dict[str, object]

    def as_json(self) -> dict[str, object]:
        return {"since": self.since.isoformat(), **self.figures}


async def report(store: Store, since: datetime, lookback_minutes: int = 60) -> KpiReport:
    async with store.transaction() as tx:
        figures: dict[str, object] = {}
        figures.update(await _incident_figures(tx, since))
        figures.update(await _change_figures(tx, since, lookback_minutes))
        figures.update(await _request_figures(tx, since))
    return KpiReport(since, figures)


def epoch_seconds(column: Any, dialect: str) -> Any:
    """Seconds since 1970 computed by the database: 100,000 floats come back several times
    faster than 100,000 datetimes through the type layer."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", column), Float)  # numeric -> double: no Decimals
    return (func.julianday(column) - 2440587.5) * 86400.0


async def _spreads(
    tx: AsyncSession, since: datetime, dialect: str
) -> tuple[int, dict[str, float | None], dict[str, float | None]]:
    """(incidents, MTTA spread, MTTR spread): aggregated by PostgreSQL, counted here on
    SQLite."""
    if dialect == "postgresql":
        return await kpi_sql.incident_spreads(tx, since)
    rows = (
        await tx.execute(
            select(
                epoch_seconds(Incident.acknowledged_at, dialect)
                - epoch_seconds(Incident.created_at, dialect),
                epoch_seconds(Incident.resolved_at, dialect)
                - epoch_seconds(Incident.started_at, dialect),
            ).where(col(Incident.created_at) >= since)
        )
    ).all()
    ack = [float(a) for a, _ in rows if a is not None]
    repair = [float(r) for _, r in rows if r is not None]
    return len(rows), spread(ack), spread(repair)


async def _incident_figures(tx: AsyncSession, since: datetime) -> dict[str, object]:
    dialect = tx.sync_session.get_bind().dialect.name
    count, mtta, mttr = await _spreads(tx, since, dialect)
    deliveries = (
        await tx.execute(
            select(func.coalesce(func.sum(Alert.deliveries), 0)).where(
                col(Alert.first_received_at) >= since
            )
        )
    ).scalar_one()
    acted = (
        await tx.execute(
            select(col(IncidentEvent.incident_id), col(IncidentEvent.actor))
            .join(Incident, col(Incident.id) == col(IncidentEvent.incident_id))
            .where(col(Incident.created_at) >= since, col(IncidentEvent.kind) == "action")
            .distinct()
        )
    ).all()
    automated = {incident for incident, _ in acted}
    automatic = {incident for incident, actor in acted if actor == "assistant"}
    return {
        "incidents": count,
        "alert_deliveries": int(deliveries),
        "mtta_seconds": mtta,
        "mttr_seconds": mttr,
        "automation_rate": _rate(len(automated), count),
        "auto_remediation_rate": _rate(len(automatic), count),
        "noise_reduction": round(1 - count / deliveries, 4) if deliveries else None,
    }


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """One deploy: when it finished (epoch seconds), whether it failed, and how long until
    it was recovered (None when it did not fail, or nothing recovered it yet)."""

    at: float
    failed: bool
    recovery_seconds: float | None


async def change_outcomes(
    tx: AsyncSession, since: datetime, lookback_minutes: int, until: datetime | None = None
) -> list[ChangeOutcome]:
    """A deploy failed when it was rolled back, or an incident on its service and env began
    within the look-back window after it; recovery is until that rollback or resolution."""
    dialect = tx.sync_session.get_bind().dialect.name
    bounds = [col(Action.updated_at) >= since]
    if until is not None:
        bounds.append(col(Action.updated_at) < until)
    changes = (
        await tx.execute(
            select(col(Action.skill), col(Action.slots), epoch_seconds(Action.updated_at, dialect))
            .where(
                col(Action.skill).in_(("deploy", "deploy.rollback")),
                col(Action.state) == "succeeded",
                *bounds,
            )
            .order_by(col(Action.updated_at))
        )
    ).all()
    window = lookback_minutes * 60.0
    wheres = _wheres([slots for _, slots, _ in changes])
    deploys = [
        (where, float(at))
        for (skill, _, at), where in zip(changes, wheres, strict=True)
        if skill == "deploy"
    ]
    rollbacks: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (skill, _, at), where in zip(changes, wheres, strict=True):
        if skill == "deploy.rollback":
            rollbacks[where].append(float(at))  # already in time order
    if dialect == "postgresql":
        followed = await kpi_sql.deploy_hits(tx, deploys, since, window)
    else:
        followed = await _deploy_hits(tx, deploys, since, window, dialect)
    outcomes = []
    for n, (where, at) in enumerate(deploys):
        backs = rollbacks.get(where, [])
        back = backs[bisect_right(backs, at)] if bisect_right(backs, at) < len(backs) else None
        hits, first_end = followed.get(n, (0, None))
        if not back and not hits:
            outcomes.append(ChangeOutcome(at, False, None))
            continue
        ends = ([back] if back else []) + ([first_end] if first_end is not None else [])
        outcomes.append(ChangeOutcome(at, True, min(ends) - at if ends else None))
    return outcomes


async def _change_figures(
    tx: AsyncSession, since: datetime, lookback_minutes: int
) -> dict[str, object]:
    outcomes = await change_outcomes(tx, since, lookback_minutes)
    failed = sum(1 for o in outcomes if o.failed)
    recovery = [o.recovery_seconds for o in outcomes if o.recovery_seconds is not None]
    return {
        "deploys": len(outcomes),
        "change_failure_rate": _rate(failed, len(outcomes)),
        "failed_deployment_recovery_seconds": spread(recovery),
    }


async def _deploy_hits(
    tx: AsyncSession,
    deploys: list[tuple[tuple[str, str], float]],
    since: datetime,
    window: float,
    dialect: str,
) -> dict[int, tuple[int, float | None]]:
    """`kpi_sql.deploy_hits` read the plain way (SQLite): every incident, sorted by start."""
    incidents = (
        await tx.execute(
            select(
                col(Incident.service),
                col(Incident.env),
                epoch_seconds(Incident.started_at, dialect),
                epoch_seconds(Incident.resolved_at, dialect),
            ).where(col(Incident.started_at) >= since)
        )
    ).all()
    starts: dict[tuple[str, str], list[tuple[float, float | None]]] = defaultdict(list)
    for service, env, started, resolved in incidents:
        starts[(service, env)].append(
            (float(started), None if resolved is None else float(resolved))
        )
    for found in starts.values():
        found.sort(key=lambda row: row[0])
    followed: dict[int, tuple[int, float | None]] = {}
    for n, (where, at) in enumerate(deploys):
        hits = _between(starts.get(where, []), at, at + window)
        if where[1]:  # an incident that names no environment may be this one's
            hits += _between(starts.get((where[0], ""), []), at, at + window)
        if hits:
            ends = [r for _, r in hits if r is not None]
            followed[n] = (len(hits), min(ends) if ends else None)
    return followed


async def _request_figures(tx: AsyncSession, since: datetime) -> dict[str, object]:
    votes = (
        await tx.execute(
            select(col(Action.created_at), func.min(col(ApprovalVote.at)))
            .join(ApprovalVote, col(ApprovalVote.action_id) == col(Action.id))
            .where(col(Action.created_at) >= since)
            .group_by(col(Action.id), col(Action.created_at))
        )
    ).all()
    latency = [(voted - asked).total_seconds() for asked, voted in votes if voted is not None]
    said = aliased(AuditEntry)
    unserved = (
        await tx.execute(
            select(col(said.detail))
            .join(
                AuditEntry,
                and_(col(AuditEntry.seq) == said.seq + 1, col(AuditEntry.actor) == said.actor),
            )
            .where(
                col(AuditEntry.event) == "understood",
                col(AuditEntry.outcome) == "none",
                col(said.event) == "message.received",
                col(AuditEntry.at) >= since,
            )
        )
    ).all()
    asked = Counter(_text(detail) for (detail,) in unserved)
    asked.pop("", None)
    support: dict[str, int] = dict(
        (
            await tx.execute(
                select(col(AuditEntry.event), func.count())
                .where(
                    col(AuditEntry.event).in_(("support.offered", "support.deflected")),
                    col(AuditEntry.at) >= since,
                )
                .group_by(col(AuditEntry.event))
            )
        ).all()
    )
    offered = int(support.get("support.offered", 0))
    return {
        "approval_latency_seconds": spread(latency),
        "deflection_rate": _rate(int(support.get("support.deflected", 0)), offered),
        "unserved_requests": [{"text": t, "count": n} for t, n in asked.most_common(10)],
    }


def _between(
    rows: list[tuple[float, float | None]], low: float, high: float
) -> list[tuple[float, float | None]]:
    """The incidents (sorted by start) that started within [low, high]."""
    first = bisect_left(rows, low, key=lambda row: row[0])
    last = bisect_right(rows, high, key=lambda row: row[0])
    return rows[first:last]


def _where(slots: str) -> tuple[str, str]:
    try:
        return _pair(json.loads(slots or "{}"))
    except ValueError:
        return "", ""


def _pair(value: object) -> tuple[str, str]:
    if not isinstance(value, dict):
        return "", ""
    return str(value.get("service", "")), str(value.get("env", ""))


def _wheres(slots: Sequence[str]) -> list[tuple[str, str]]:
    """Each action's (service, env). One parse of them all is several times faster than one
    per action; should any of them not be JSON, each is read on its own."""
    try:
        values = json.loads("[" + ",".join(s or "{}" for s in slots) + "]")
    except ValueError:
        values = None
    if not isinstance(values, list) or len(values) != len(slots):
        return [_where(s) for s in slots]
    return [_pair(v) for v in values]


def _text(detail: str) -> str:
    try:
        value = json.loads(detail)
    except ValueError:
        return ""
    return " ".join(str(value.get("text", "")).lower().split())[:200]
