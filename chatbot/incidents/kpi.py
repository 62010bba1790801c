"""The team's numbers, computed from what the assistant already keeps.

Every duration key ends in `_seconds` and every rate is a fraction from 0 to 1; a figure with
no data behind it is null, never 0 (no incidents is not an MTTR of zero). Rows are read as
plain tuples (no ORM objects), which keeps 100,000 incidents well under a second.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

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


async def _incident_figures(tx: AsyncSession, since: datetime) -> dict[str, object]:
    rows = (
        await (await tx.connection()).execute(
            select(
                Incident.id,
                Incident.created_at,
                Incident.acknowledged_at,
                Incident.started_at,
                Incident.resolved_at,
            ).where(col(Incident.created_at) >= since)
        )
    ).all()
    ack = [(a - c).total_seconds() for _, c, a, _, _ in rows if a is not None]
    repair = [(r - s).total_seconds() for _, _, _, s, r in rows if r is not None]
    deliveries = (
        await (await tx.connection()).execute(
            select(func.coalesce(func.sum(Alert.deliveries), 0)).where(
                col(Alert.first_received_at) >= since
            )
        )
    ).scalar_one()
    acted = (
        await (await tx.connection()).execute(
            select(IncidentEvent.incident_id, IncidentEvent.actor)
            .join(Incident, col(Incident.id) == col(IncidentEvent.incident_id))
            .where(col(Incident.created_at) >= since, col(IncidentEvent.kind) == "action")
            .distinct()
        )
    ).all()
    automated = {incident for incident, _ in acted}
    automatic = {incident for incident, actor in acted if actor == "assistant"}
    mtta, mttr = spread(ack), spread(repair)
    return {
        "incidents": len(rows),
        "alert_deliveries": int(deliveries),
        "mtta_seconds": mtta,
        "mttr_seconds": mttr,
        "automation_rate": _rate(len(automated), len(rows)),
        "auto_remediation_rate": _rate(len(automatic), len(rows)),
        "noise_reduction": round(1 - len(rows) / deliveries, 4) if deliveries else None,
    }


async def _change_figures(
    tx: AsyncSession, since: datetime, lookback_minutes: int
) -> dict[str, object]:
    """A deploy failed when it was rolled back, or an incident on its service and env began
    within the look-back window after it; recovery is until that rollback or resolution."""
    changes = (
        await (await tx.connection()).execute(
            select(Action.skill, Action.slots, Action.updated_at)
            .where(
                col(Action.skill).in_(("deploy", "deploy.rollback")),
                col(Action.state) == "succeeded",
                col(Action.updated_at) >= since,
            )
            .order_by(col(Action.updated_at))
        )
    ).all()
    incidents = (
        await (await tx.connection()).execute(
            select(Incident.service, Incident.env, Incident.started_at, Incident.resolved_at).where(
                col(Incident.started_at) >= since
            )
        )
    ).all()
    window = timedelta(minutes=lookback_minutes)
    deploys = [(_where(slots), at) for skill, slots, at in changes if skill == "deploy"]
    rollbacks = [(_where(slots), at) for skill, slots, at in changes if skill == "deploy.rollback"]
    failed, recovery = 0, []
    for where, at in deploys:
        back = [r for w, r in rollbacks if w == where and r > at]
        hit = [
            (s, r)
            for svc, env, s, r in incidents
            if (svc, env or where[1]) == where and at <= s <= at + window
        ]
        if back or hit:
            failed += 1
            ends = [min(back)] if back else []
            ends += [r for _, r in hit if r is not None]
            if ends:
                recovery.append((min(ends) - at).total_seconds())
    return {
        "deploys": len(deploys),
        "change_failure_rate": _rate(failed, len(deploys)),
        "failed_deployment_recovery_seconds": spread(recovery),
    }


async def _request_figures(tx: AsyncSession, since: datetime) -> dict[str, object]:
    votes = (
        await (await tx.connection()).execute(
            select(Action.created_at, func.min(ApprovalVote.at))
            .join(ApprovalVote, col(ApprovalVote.action_id) == col(Action.id))
            .where(col(Action.created_at) >= since)
            .group_by(col(Action.id), col(Action.created_at))
        )
    ).all()
    latency = [(voted - asked).total_seconds() for asked, voted in votes if voted is not None]
    said = aliased(AuditEntry)
    unserved = (
        await (await tx.connection()).execute(
            select(said.detail)
            .join(
                AuditEntry,
                and_(col(AuditEntry.seq) == said.seq + 1, col(AuditEntry.actor) == said.actor),
            )
            .where(
                col(AuditEntry.event) == "understood",
                col(AuditEntry.outcome) == "none",
                said.event == "message.received",
                col(AuditEntry.at) >= since,
            )
        )
    ).all()
    asked = Counter(_text(detail) for (detail,) in unserved)
    asked.pop("", None)
    return {
        "approval_latency_seconds": spread(latency),
        "unserved_requests": [{"text": t, "count": n} for t, n in asked.most_common(10)],
    }


def _where(slots: str) -> tuple[str, str]:
    try:
        value = json.loads(slots or "{}")
    except ValueError:
        return "", ""
    return str(value.get("service", "")), str(value.get("env", ""))


def _text(detail: str) -> str:
    try:
        value = json.loads(detail)
    except ValueError:
        return ""
    return " ".join(str(value.get("text", "")).lower().split())[:200]
