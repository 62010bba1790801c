"""Recording alert deliveries: each alert counted once per delivery, grouped into incidents,
its "fired" and "resolved" lines written, and the incident resolved when its last alert is.

A repeat (most deliveries: Alertmanager re-sends every group_interval, HA pairs send twice) is
one UPDATE. Alerts and open incidents carry an `open_key` under a unique constraint, so
concurrent identical deliveries make one alert and one incident on any database. A mixin of
`IncidentBook` (book.py), which holds the store, settings, clock and the timeline writer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.config import IncidentSettings
from chatbot.errors import UserError
from chatbot.governance import audit, outbox
from chatbot.governance.clock import Clock
from chatbot.incidents.payloads import AlertStatus, Notice
from chatbot.incidents.states import (
    OPEN_STATES,
    STAMP_OF,
    EventKind,
    IncidentState,
    Intake,
    incident_ref,
)
from chatbot.incidents.tables import Alert, Incident, IncidentEvent
from chatbot.store.engine import Store, upsert_insert
from chatbot.times import Zone


class AlertRecording:
    """Alert deliveries in, incidents and their timeline lines out; also the two writers
    every change goes through (`_move`, `_event`), which the book's own moves use too."""

    store: Store
    settings: IncidentSettings
    clock: Clock
    # Whose clock a time is said on (Directory.zone, set by the runtime).
    zone_of: Callable[[str | None], Zone]

    async def ingest(self, notices: Sequence[Notice]) -> Intake:
        opened: list[int] = []
        touched: list[int] = []
        resolved: list[int] = []
        ending: set[int] = set()
        async with self.store.transaction() as tx:
            now = self.clock()
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
                await _count(tx, _Seen.of(found), now)
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
            upsert_insert(self.store.dialect)(Alert)
            .values(
                source=notice.source.value,
                fingerprint=notice.fingerprint,
                open_key=notice.fingerprint,
                incident_id=incident_id,
                name=notice.name,
                status=AlertStatus.FIRING.value,
                labels=json.dumps(notice.labels, sort_keys=True),
                annotations=json.dumps(notice.annotations, sort_keys=True),
                starts_at=notice.starts_at,
                first_received_at=now,
                last_received_at=now,
                deliveries=1,
            )
            .on_conflict_do_nothing()
            .returning(col(Alert.id))
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
        if not new:
            await _pull_start(tx, seen.incident_id, notice.starts_at)
        return seen, new and seen.incident_id == incident_id

    async def _bump_open(self, tx: AsyncSession, notice: Notice, now: datetime) -> _Seen | None:
        """Count a delivery of an open alert; None when it is not open (first or resolved)."""
        row = (
            await tx.execute(
                update(Alert)
                .where(
                    col(Alert.source) == notice.source.value,
                    col(Alert.open_key) == notice.fingerprint,
                )
                .values(deliveries=col(Alert.deliveries) + 1, last_received_at=now)
                .returning(col(Alert.id), col(Alert.incident_id), col(Alert.starts_at))
                # No ORM object of an alert is held here: nothing in the session to refresh.
                .execution_options(synchronize_session=False)
            )
        ).first()
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

    async def _incident_for(
        self, tx: AsyncSession, notice: Notice, now: datetime
    ) -> tuple[int, bool]:
        """The open incident this alert belongs to: same group, else same service, env and
        alert name opened within the window; else a new one."""
        key = f"{notice.source}:{notice.group_key}"
        found = (await tx.exec(select(Incident.id).where(col(Incident.open_key) == key))).first()
        if found is not None:
            return found, False
        window = now - timedelta(minutes=self.settings.group_window_minutes)
        similar = (
            await tx.exec(
                select(Incident.id).where(
                    col(Incident.state).in_([s.value for s in OPEN_STATES]),
                    col(Incident.service) == notice.service,
                    col(Incident.env) == notice.env,
                    col(Incident.title) == _title(notice),
                    col(Incident.created_at) >= window,
                )
            )
        ).first()
        if similar is not None:
            return similar, False
        inserted = await tx.execute(
            upsert_insert(self.store.dialect)(Incident)
            .values(
                open_key=key,
                group_key=notice.group_key,
                source=notice.source.value,
                title=_title(notice),
                service=notice.service,
                env=notice.env,
                severity=notice.labels.get("severity", ""),
                state=IncidentState.TRIGGERED.value,
                partial=notice.partial,
                started_at=notice.starts_at,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(col(Incident.id))
        )
        new_id = inserted.scalar()
        if new_id is None:  # a concurrent delivery opened it first
            first = (await tx.exec(select(Incident.id).where(col(Incident.open_key) == key))).one()
            assert first is not None  # a primary key
            return first, False
        await audit.append(
            tx,
            audit.AuditRecord(
                actor=notice.source.value,
                event="incident.opened",
                platform="alerts",
                channel=notice.source.value,
                outcome=IncidentState.TRIGGERED.value,
                detail={
                    "incident": incident_ref(new_id),
                    "title": _title(notice),
                    "service": notice.service,
                    "env": notice.env,
                },
            ),
        )
        self._announce(tx, new_id, notice)
        return new_id, True

    def _announce(self, tx: AsyncSession, incident_id: int, notice: Notice) -> None:
        """Tell the service's responders and its incident channel, through the outbox in
        this transaction (the adapters deliver it after the intake has answered), with the
        buttons to acknowledge, remediate and resolve."""
        from chatbot.incidents import desk  # desk builds on the book

        pick = self.settings
        people = pick.responders.get(notice.service) or pick.responders.get("*", ())
        channel = pick.channels.get(notice.service) or pick.channels.get("*")

        def said(reader: str | None) -> str:
            """The card on the reader's clock (a channel reads UTC, named)."""
            return desk.card_text(
                incident_id,
                _title(notice),
                notice.service,
                notice.env,
                notice.starts_at,
                notice.annotations.get("summary", ""),
                zone=self.zone_of(reader),
            )

        offered = desk.remedies(self.settings, _title(notice), notice.service, notice.env)
        buttons = desk.card_buttons(incident_id, offered)
        if channel:
            outbox.notify(tx, [], said(None), channel=channel, buttons=buttons)
        for person in dict.fromkeys(people):
            outbox.notify(tx, [person], said(person), buttons=buttons)

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

    async def _move(
        self,
        tx: AsyncSession,
        incident: Incident,
        to: IncidentState,
        who: str,
        at: datetime,
        now: datetime,
    ) -> None:
        assert incident.id is not None
        values: dict[str, object] = {"state": to.value, "updated_at": now, STAMP_OF[to]: at}
        if to is IncidentState.ACKNOWLEDGED:
            values["acknowledged_by"] = who
        if to in (IncidentState.RESOLVED, IncidentState.CLOSED):
            values["open_key"] = None
        moved = await tx.execute(
            update(Incident)
            .where(col(Incident.id) == incident.id, col(Incident.state) == incident.state)
            .values(**values)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise UserError(f"{incident_ref(incident.id)} changed meanwhile; try again")
        for name, value in values.items():
            setattr(incident, name, value)
        await self._event(
            tx,
            incident.id,
            EventKind.STATE,
            who,
            f"{to.value} by {who}",
            f"inc:{incident.id}:{to.value}",
            at,
        )
        await audit.append(
            tx,
            audit.AuditRecord(
                actor=who,
                event=f"incident.{to.value}",
                platform="alerts" if who in ("alerts", "alertmanager", "grafana") else "chat",
                channel="",
                outcome=to.value,
                detail={"incident": incident_ref(incident.id)},
            ),
        )

    async def _event(
        self,
        tx: AsyncSession,
        incident_id: int,
        kind: EventKind,
        actor: str,
        text: str,
        key: str,
        at: datetime,
    ) -> None:
        await tx.execute(
            upsert_insert(self.store.dialect)(IncidentEvent)
            .values(
                incident_id=incident_id,
                at=at,
                kind=kind.value,
                actor=actor,
                text=text,
                idem_key=key,
            )
            .on_conflict_do_nothing()
        )


@dataclass(frozen=True, slots=True)
class _Seen:
    """An alert row as intake needs it: which one, its incident, and when it started."""

    id: int
    incident_id: int
    starts_at: datetime

    @classmethod
    def of(cls, alert: Alert) -> _Seen:
        assert alert.id is not None
        return cls(alert.id, alert.incident_id, alert.starts_at)


async def _count(tx: AsyncSession, alert: _Seen, now: datetime) -> None:
    await tx.execute(
        update(Alert)
        .where(col(Alert.id) == alert.id)
        .values(deliveries=col(Alert.deliveries) + 1, last_received_at=now)
    )


async def _pull_start(tx: AsyncSession, incident_id: int, starts_at: datetime) -> None:
    """Impact starts at the earliest alert's start."""
    await tx.execute(
        update(Incident)
        .where(col(Incident.id) == incident_id, col(Incident.started_at) > starts_at)
        .values(started_at=starts_at)
    )


def _title(notice: Notice) -> str:
    return notice.name or notice.annotations.get("summary", "") or "alert"


def _fired_text(notice: Notice) -> str:
    summary = notice.annotations.get("summary") or notice.annotations.get("description", "")
    where = " ".join(part for part in (notice.service, notice.env) if part)
    head = f"{notice.name or 'alert'} fired" + (f" on {where}" if where else "")
    return f"{head}: {summary}" if summary else head
