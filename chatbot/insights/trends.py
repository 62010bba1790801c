"""KPI series over time, one value per day or week, each aggregated by the database.

The figures mean what `chatops kpi` means (chatbot/incidents/kpi.py): MTTA from an incident's
creation to its acknowledgement, MTTR from impact to resolution, automation as the share of
incidents someone acted on through the assistant, deflection as offers an article solved,
approval latency from a request to its first decision, change failure rate as deploys
followed by a rollback or an incident, satisfaction as the share of thumbs up. A value with
nothing behind it is None, never 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.incidents.kpi import epoch_seconds
from chatbot.incidents.tables import Incident, IncidentEvent
from chatbot.insights import satisfaction as votes
from chatbot.insights.failures import failures
from chatbot.insights.period import Period
from chatbot.insights.requests import RequestCount, request_counts
from chatbot.insights.satisfaction import Satisfaction, SatisfactionSource
from chatbot.store.engine import Store
from chatbot.store.tables import Action, ApprovalVote, AuditEntry


@dataclass(frozen=True, slots=True)
class Series:
    """One figure over time: `values[i]` belongs to the period's i-th bucket and `counts[i]`
    says how many rows it was computed from. `key` is the JSON key, ending in its unit."""

    key: str
    values: tuple[float | None, ...]
    counts: tuple[int, ...]

    def overall(self) -> float | None:
        """The figure over the whole period: each bucket's mean or rate weighted by the rows
        behind it (exact for means and rates; a median would not add up this way)."""
        pairs = [(v, n) for v, n in zip(self.values, self.counts, strict=True) if v is not None]
        total = sum(n for _, n in pairs)
        return round(sum(v * n for v, n in pairs) / total, 4) if total else None

    def as_json(self) -> dict[str, object]:
        return {"values": list(self.values), "counts": list(self.counts)}


@dataclass(frozen=True, slots=True)
class Trends:
    period: Period
    series: Mapping[str, Series]
    requests: tuple[RequestCount, ...]
    satisfaction: Satisfaction | None = None
    buckets: tuple[date, ...] = field(default=())

    def __getitem__(self, key: str) -> Series:
        return self.series[key]

    def as_json(self) -> dict[str, object]:
        sat = self.satisfaction
        return {
            "since": self.period.since.isoformat(),
            "until": self.period.until.isoformat(),
            "step": str(self.period.step),
            "buckets": [d.isoformat() for d in self.buckets],
            **{key: s.as_json() for key, s in self.series.items()},
            "requests": [r.as_json() for r in self.requests],
            "satisfaction": None if sat is None else sat.as_json(),
        }


async def trends(
    store: Store,
    period: Period,
    lookback_minutes: int = 60,
    satisfaction: SatisfactionSource = votes.from_feedback,
) -> Trends:
    """Every series over `period`, read in one read-only transaction."""
    async with store.read() as tx:
        found: dict[str, Series] = {}
        for part in (
            await _incidents(tx, period),
            await _deflection(tx, period),
            await _approval_latency(tx, period),
            await _change_failure(tx, period, lookback_minutes),
        ):
            found.update({s.key: s for s in part})
        requests = await request_counts(tx, period.since, period.until)
    by_bucket = await votes.series(store, period)
    found["satisfaction_rate"] = _series(
        "satisfaction_rate", period, {b: (s.rate, s.up + s.down) for b, s in by_bucket.items()}
    )
    sat = await satisfaction(store, period.since)
    return Trends(period, found, tuple(requests), sat, tuple(period.starts()))


def _dialect(tx: AsyncSession) -> str:
    return tx.sync_session.get_bind().dialect.name


def _inside(column: Any, period: Period) -> tuple[Any, Any]:
    return col(column) >= period.since, col(column) < period.until


def _series(key: str, period: Period, rows: Mapping[int, tuple[float | None, int]]) -> Series:
    values, counts = [], []
    for index in period:
        value, count = rows.get(index, (None, 0))
        values.append(None if value is None or not count else round(float(value), 4))
        counts.append(int(count))
    return Series(key, tuple(values), tuple(counts))


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def _incidents(tx: AsyncSession, period: Period) -> list[Series]:
    """Per bucket, in one pass over the incidents: how many, mean time to acknowledge and to
    resolve, and the shares someone acted on through the assistant (automation) and the
    assistant remediated by itself."""
    d = _dialect(tx)
    acted = (
        select(
            col(IncidentEvent.incident_id).label("incident_id"),
            func.max(case((col(IncidentEvent.actor) == "assistant", 1), else_=0)).label("auto"),
        )
        .where(col(IncidentEvent.kind) == "action")
        .group_by(col(IncidentEvent.incident_id))
        .subquery()
    )
    bucket = period.bucket(Incident.created_at, d)
    ack = epoch_seconds(Incident.acknowledged_at, d) - epoch_seconds(Incident.created_at, d)
    fix = epoch_seconds(Incident.resolved_at, d) - epoch_seconds(Incident.started_at, d)
    rows = (
        await tx.execute(
            select(
                bucket,
                func.count(),
                func.avg(ack),
                func.count(col(Incident.acknowledged_at)),
                func.avg(fix),
                func.count(col(Incident.resolved_at)),
                func.count(acted.c.incident_id),
                func.coalesce(func.sum(acted.c.auto), 0),
            )
            .select_from(Incident)
            .outerjoin(acted, acted.c.incident_id == col(Incident.id))
            .where(*_inside(Incident.created_at, period))
            .group_by(bucket)
        )
    ).all()
    return [
        _series("incidents", period, {r[0]: (r[1], r[1]) for r in rows}),
        _series("mtta_seconds", period, {r[0]: (r[2], r[3]) for r in rows}),
        _series("mttr_seconds", period, {r[0]: (r[4], r[5]) for r in rows}),
        _series("automation_rate", period, {r[0]: (_ratio(r[6], r[1]), r[1]) for r in rows}),
        _series(
            "auto_remediation_rate", period, {r[0]: (_ratio(int(r[7]), r[1]), r[1]) for r in rows}
        ),
    ]


async def _deflection(tx: AsyncSession, period: Period) -> list[Series]:
    """Offers of help for problems no skill fits, and how many an article solved."""
    bucket = period.bucket(AuditEntry.at, _dialect(tx))
    rows = (
        await tx.execute(
            select(bucket, col(AuditEntry.event), func.count())
            .where(
                col(AuditEntry.event).in_(("support.offered", "support.deflected")),
                *_inside(AuditEntry.at, period),
            )
            .group_by(bucket, col(AuditEntry.event))
        )
    ).all()
    offered: dict[int, int] = defaultdict(int)
    solved: dict[int, int] = defaultdict(int)
    for b, event, n in rows:
        (offered if event == "support.offered" else solved)[b] += int(n)
    return [
        _series("support_offers", period, {b: (n, n) for b, n in offered.items()}),
        _series(
            "deflection_rate", period, {b: (_ratio(solved[b], n), n) for b, n in offered.items()}
        ),
    ]


async def _approval_latency(tx: AsyncSession, period: Period) -> list[Series]:
    """Mean time from a request to its first approver's decision, by the request's bucket."""
    d = _dialect(tx)
    first = (
        select(
            col(ApprovalVote.action_id).label("action_id"),
            func.min(epoch_seconds(ApprovalVote.at, d)).label("voted"),
        )
        .group_by(col(ApprovalVote.action_id))
        .subquery()
    )
    bucket = period.bucket(Action.created_at, d)
    rows = (
        await tx.execute(
            select(
                bucket, func.avg(first.c.voted - epoch_seconds(Action.created_at, d)), func.count()
            )
            .select_from(Action)
            .join(first, first.c.action_id == col(Action.id))
            .where(*_inside(Action.created_at, period))
            .group_by(bucket)
        )
    ).all()
    return [_series("approval_latency_seconds", period, {b: (v, n) for b, v, n in rows})]


async def _change_failure(tx: AsyncSession, period: Period, lookback: int) -> list[Series]:
    judged = await failures(tx, period, lookback)
    return [
        _series("deploys", period, {b: (n, n) for b, (n, _) in judged.items()}),
        _series(
            "change_failure_rate", period, {b: (_ratio(f, n), n) for b, (n, f) in judged.items()}
        ),
    ]
