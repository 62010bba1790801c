"""KPI figures PostgreSQL works out itself, so 100,000 incidents never cross the wire.

`kpi.py` reads rows and counts in Python on SQLite (small, local databases). On PostgreSQL
the same figures come from aggregates: mean, median (`percentile_cont(0.5)`, the mean of the
middle two like `statistics.median`) and p90 as the nearest rank (`percentile_disc(0.9)`, as
`kpi.spread`); and each deploy's incidents are found by an index probe per deploy
(`ix_incidents_service_env_started`, migration 0006_incidents) instead of by reading every
incident. Deploys' slots stay JSON parsed in Python, where a malformed value reads as no
service rather than failing the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, cast, func, select, text
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.incidents.tables import Incident

Spread = dict[str, float | None]


def _spread(mean: Any, median: Any, p90: Any) -> Spread:
    if mean is None:
        return {"mean": None, "median": None, "p90": None}
    return {
        "mean": round(float(mean), 1),
        "median": round(float(median), 1),
        "p90": round(float(p90), 1),
    }


def _seconds(later: Any, earlier: Any) -> Any:
    return cast(func.extract("epoch", later - earlier), Float)


async def incident_spreads(tx: AsyncSession, since: datetime) -> tuple[int, Spread, Spread]:
    """(incidents, time to acknowledge, time to resolve) since `since`, in one aggregate."""
    ack = _seconds(col(Incident.acknowledged_at), col(Incident.created_at))
    repair = _seconds(col(Incident.resolved_at), col(Incident.started_at))
    figures = []
    for value in (ack, repair):
        figures += [
            func.avg(value),
            func.percentile_cont(0.5).within_group(value),
            func.percentile_disc(0.9).within_group(value),
        ]
    row = (
        await tx.execute(select(func.count(), *figures).where(col(Incident.created_at) >= since))
    ).one()
    return int(row[0]), _spread(*row[1:4]), _spread(*row[4:7])


_HITS = text(
    """
    SELECT d.n, h.hits, h.first_end
    FROM unnest(CAST(:services AS text[]), CAST(:envs AS text[]), CAST(:ats AS float8[]))
         WITH ORDINALITY AS d(service, env, at, n)
    CROSS JOIN LATERAL (
        SELECT count(*) AS hits, CAST(extract(epoch FROM min(i.resolved_at)) AS float8) AS first_end
        FROM incidents i
        WHERE i.service = d.service
          AND (i.env = d.env OR (d.env <> '' AND i.env = ''))
          AND i.started_at >= to_timestamp(d.at)
          AND i.started_at <= to_timestamp(d.at + :window)
          AND i.started_at >= :since
    ) h
    WHERE h.hits > 0
    """
)


async def deploy_hits(
    tx: AsyncSession,
    deploys: Sequence[tuple[tuple[str, str], float]],
    since: datetime,
    window: float,
) -> dict[int, tuple[int, float | None]]:
    """For each deploy (by position) that an incident followed within `window` seconds: how
    many did, and when the first of them was resolved (epoch seconds, None while open). An
    incident naming no environment may be any environment's."""
    if not deploys:
        return {}
    rows = await tx.execute(
        _HITS,
        {
            "services": [where[0] for where, _ in deploys],
            "envs": [where[1] for where, _ in deploys],
            "ats": [at for _, at in deploys],
            "window": window,
            "since": since,
        },
    )
    return {int(n) - 1: (int(hits), first_end) for n, hits, first_end in rows.all()}
