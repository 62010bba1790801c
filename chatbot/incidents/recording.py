"""Recording alert notices: each alert counted once per delivery, grouped into incidents
(opening.py), its "fired" and "resolved" lines written, and the incident resolved when its
last alert is.

A repeat (most deliveries: Alertmanager re-sends every group_interval, HA pairs send twice) is
one UPDATE. Alerts carry an `open_key` under a unique constraint, so concurrent identical
deliveries make one alert on any database. A mixin of `IncidentBook` (book.py), which holds
the store, settings, clock and the writers (writer.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.incidents.opening import IncidentOpening
from chatbot.incidents.payloads import AlertStatus, Notice
from chatbot.incidents.statements import statements
from chatbot.incidents.states import OPEN_STATES, EventKind, IncidentState, Intake
from chatbot.incidents.tables import Alert, Incident


class AlertRecording(IncidentOpening):
    """Alert notices in, incidents and their timeline lines out."""

    async def ingest(
        self, notices: Sequence[Notice], received_at: datetime | None = None
    ) -> Intake:
        """Record one delivery's notices in a transaction of their own. `received_at` is
        when the delivery arrived (default: now); it is what repeats and grouping count."""
        async with self.store.transaction() as tx:
            return await self.record_notices(tx, notices, received_at or self.clock())

    async def record_notices(
        self, tx: AsyncSession, notices: Sequence[Notice], now: datetime
    ) -> Intake:
        """Record one delivery's notices, received at `now`, in the caller's transaction."""
        opened: list[int] = []
        touched: list[int] = []
        resolved: list[int] = []
        ending: set[int] = set()
        for notice in notices:
            incident_id, new = await self._take(tx, notice, now)
            if new:
                opened.append(incident_id)
            if incident_id not in touched:
                touched.append(incident_id)
            if notice.status is AlertStatus.RESOLVED:
                ending.add(incident_id)
        for incident_id in touched:  # only a resolved notice can end an incident
            if incident_id in ending and await self._settle(tx, incident_id, now):
                resolved.append(incident_id)
        return Intake(tuple(opened), tuple(touched), tuple(resolved))

    async def _take(self, tx: AsyncSession, notice: Notice, now: datetime) -> tuple[int, bool]:
        """Record one alert notice; returns its incident and whether that incident is new.
        A repeat (most deliveries) is one UPDATE: counted, and nothing else to do."""
        existing = await self._bump_open(tx, notice, now)
        if existing is None and notice.status is AlertStatus.RESOLVED:
            found = await self._resolved_alert(tx, notice)
            if found is not None:  # a repeat of a resolved notice: count it only
                count = statements(self.store.dialect).count_alert
                await tx.execute(count, {"alert_id": found.id, "now": now})
                return found.incident_id, False
        new = False
        if existing is None:
            existing, new = await self._first(tx, notice, now)
        if notice.partial:
            await tx.execute(
                update(Incident)
                .where(col(Incident.id) == existing.incident_id)
                .values(partial=True)
            )
        if notice.status is AlertStatus.RESOLVED:
            await self._resolve_alert(tx, existing, notice, now)
        return existing.incident_id, new

    async def _first(self, tx: AsyncSession, notice: Notice, now: datetime) -> tuple[_Seen, bool]:
        """An alert not open yet: its incident (found or opened), the alert counted once,
        and its "fired" line. A concurrent delivery may record the same alert first; the
        unique open key makes that one row, counted twice."""
        incident_id, new = await self._incident_for(tx, notice, now)
        inserted = await tx.execute(
            statements(self.store.dialect).add_alert,
            {
                "source": notice.source.value,
                "fingerprint": notice.fingerprint,
                "open_key": notice.fingerprint,
                "incident_id": incident_id,
                "name": notice.name,
                "status": AlertStatus.FIRING.value,
                "labels": json.dumps(notice.labels, sort_keys=True),
                "annotations": json.dumps(notice.annotations, sort_keys=True),
                "starts_at": notice.starts_at,
                "first_received_at": now,
                "last_received_at": now,
                "deliveries": 1,
            },
        )
        alert_id = inserted.scalar()
        if alert_id is not None:
            seen = _Seen(alert_id, incident_id, notice.starts_at)
        else:  # recorded meanwhile by a concurrent delivery: count this one on it
            bumped = await self._bump_open(tx, notice, now)
            assert bumped is not None
            seen = bumped
        await self._event(
            tx,
            seen.incident_id,
            EventKind.ALERT_FIRED,
            notice.source.value,
            _fired_text(notice),
            f"{notice.source}:{notice.fingerprint}:{notice.starts_at.isoformat()}:fired",
            notice.starts_at,
        )
        if not new:  # impact starts at the earliest alert's start
            await tx.execute(
                statements(self.store.dialect).pull_start,
                {"incident_id": seen.incident_id, "earliest": notice.starts_at},
            )
        return seen, new and seen.incident_id == incident_id

    async def _bump_open(self, tx: AsyncSession, notice: Notice, now: datetime) -> _Seen | None:
        """Count a delivery of an open alert; None when it is not open (first or resolved)."""
        bumped = await tx.execute(
            statements(self.store.dialect).bump_open,
            {"of_source": notice.source.value, "key": notice.fingerprint, "now": now},
        )
        row = bumped.first()
        return None if row is None else _Seen(row[0], row[1], row[2])

    async def _resolved_alert(self, tx: AsyncSession, notice: Notice) -> Alert | None:
        rows = await tx.exec(
            select(Alert).where(
                col(Alert.source) == notice.source.value,
                col(Alert.fingerprint) == notice.fingerprint,
                col(Alert.starts_at) == notice.starts_at,
            )
        )
        return rows.first()

    async def _resolve_alert(
        self, tx: AsyncSession, alert: _Seen, notice: Notice, now: datetime
    ) -> None:
        ends = notice.ends_at or now
        await tx.execute(
            update(Alert)
            .where(col(Alert.id) == alert.id)
            .values(status=AlertStatus.RESOLVED.value, ends_at=ends, open_key=None)
        )
        await self._event(
            tx,
            alert.incident_id,
            EventKind.ALERT_RESOLVED,
            notice.source.value,
            f"{notice.name or 'alert'} resolved",
            f"{notice.source}:{notice.fingerprint}:{alert.starts_at.isoformat()}:resolved",
            ends,
        )

    async def _settle(self, tx: AsyncSession, incident_id: int, now: datetime) -> bool:
        """Resolve an open incident whose alerts have all resolved, at the latest alert end
        (resolved notices arrive late; receipt time would lengthen every MTTR)."""
        incident = await tx.get(Incident, incident_id, populate_existing=True)
        if incident is None or incident.state not in OPEN_STATES:
            return False
        still_open = (
            await tx.exec(
                select(func.count())
                .select_from(Alert)
                .where(col(Alert.incident_id) == incident_id, col(Alert.open_key).is_not(None))
            )
        ).one()
        if still_open:
            return False
        ended = (
            await tx.exec(
                select(func.max(Alert.ends_at)).where(col(Alert.incident_id) == incident_id)
            )
        ).one()
        await self._move(tx, incident, IncidentState.RESOLVED, "alerts", ended or now, now)
        return True


@dataclass(frozen=True, slots=True)
class _Seen:
    """An alert row as intake needs it: which one, its incident, and when it started."""

    id: int
    incident_id: int
    starts_at: datetime


def _fired_text(notice: Notice) -> str:
    summary = notice.annotations.get("summary") or notice.annotations.get("description", "")
    where = " ".join(part for part in (notice.service, notice.env) if part)
    head = f"{notice.name or 'alert'} fired" + (f" on {where}" if where else "")
    return f"{head}: {summary}" if summary else head
