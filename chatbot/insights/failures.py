"""Change failure rate per bucket, judged by the database.

The rule is `chatops kpi`'s (chatbot/incidents/kpi.py `change_outcomes`): a deploy failed
when a rollback of the same service and environment came after it, or an incident on that
service (same environment, or one that names none) began within the look-back window after
it. `change_outcomes` judges deploys one by one in Python, which is right for one summary but
reads every incident of the range; here deploys, rollbacks and incidents are one stream and
window functions find, for each deploy, the next incident start and the last rollback of its
service, so only one row per bucket comes back. tests/insights checks both agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, cast, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.incidents.kpi import epoch_seconds
from chatbot.incidents.tables import Incident
from chatbot.insights.period import Period
from chatbot.store.tables import Action

DEPLOY, ROLLBACK, INCIDENT = "d", "r", "i"


def _slot(name: str, dialect: str) -> Any:
    if dialect == "postgresql":
        return func.coalesce(cast(col(Action.slots), JSONB)[name].astext, "")
    return func.coalesce(func.json_extract(col(Action.slots), f"$.{name}"), "")


def _changes(kind: str, skill: str, period: Period, dialect: str, bounded: bool) -> Any:
    where = [
        col(Action.skill) == skill,
        col(Action.state) == "succeeded",
        col(Action.updated_at) >= period.since,
    ]
    if bounded:
        where.append(col(Action.updated_at) < period.until)
    return select(
        literal(kind).label("kind"),
        _slot("service", dialect).label("service"),
        _slot("env", dialect).label("env"),
        epoch_seconds(Action.updated_at, dialect).label("at"),
    ).where(*where)


async def failures(
    tx: AsyncSession, period: Period, lookback_minutes: int
) -> dict[int, tuple[int, int]]:
    """Bucket index -> (deploys, failed deploys), for deploys that finished in the period."""
    dialect = tx.sync_session.get_bind().dialect.name
    incidents = select(
        literal(INCIDENT).label("kind"),
        col(Incident.service).label("service"),
        col(Incident.env).label("env"),
        epoch_seconds(Incident.started_at, dialect).label("at"),
    ).where(col(Incident.started_at) >= period.since)
    stream = union_all(
        _changes(DEPLOY, "deploy", period, dialect, True),
        _changes(ROLLBACK, "deploy.rollback", period, dialect, False),
        incidents,
    ).subquery()
    s = stream.c
    # The running minimum over later-first order (RANGE UNBOUNDED PRECEDING .. CURRENT ROW,
    # ties included) is each row's next incident; a frame that starts at the partition's
    # start keeps it one pass (a frame ending there would be recomputed row by row).
    since_start: tuple[int | None, int | None] = (None, 0)
    next_same = func.min(case((s.kind == INCIDENT, s.at))).over(
        partition_by=(s.service, s.env), order_by=s.at.desc(), range_=since_start
    )
    next_blank = func.min(case(((s.kind == INCIDENT) & (s.env == ""), s.at))).over(
        partition_by=s.service, order_by=s.at.desc(), range_=since_start
    )
    last_back = func.max(case((s.kind == ROLLBACK, s.at))).over(partition_by=(s.service, s.env))
    judged = select(
        s.kind,
        s.at,
        next_same.label("next_same"),
        next_blank.label("next_blank"),
        last_back.label("last_back"),
    ).subquery()
    j = judged.c
    window = lookback_minutes * 60.0
    failed = case(
        (
            (j.last_back > j.at) | (j.next_same <= j.at + window) | (j.next_blank <= j.at + window),
            1,
        ),
        else_=0,
    )
    bucket = period.bucket_of_seconds(j.at, dialect)
    rows = (
        await tx.execute(
            select(bucket, func.count(), func.sum(failed)).where(j.kind == DEPLOY).group_by(bucket)
        )
    ).all()
    return {int(b): (int(n), int(f or 0)) for b, n, f in rows}
