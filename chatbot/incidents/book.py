"""Incidents and their timelines in the database: what intake, chat and the CLI call.

Every change and its timeline line are written in one transaction with its audit entry.
Timeline lines carry an idempotency key, so a repeated delivery or a double click adds
nothing; alerts and open incidents carry an `open_key` under a unique constraint, so
concurrent identical deliveries make one alert and one incident on any database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.config import IncidentSettings
from chatbot.errors import NotFound, Refused, UserError
from chatbot.governance import audit, outbox
from chatbot.governance.clock import Clock, system_clock
from chatbot.incidents.payloads import AlertStatus, Notice
from chatbot.incidents.tables import Alert, Incident, IncidentEvent
from chatbot.store.engine import Store, upsert_insert
from chatbot.times import UNKNOWN, Zone, say


class IncidentState(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATES = (IncidentState.TRIGGERED, IncidentState.ACKNOWLEDGED, IncidentState.MITIGATED)
# Which states each move may start from; a move from anywhere else is refused in words.
_MOVES: dict[IncidentState, tuple[IncidentState, ...]] = {
    IncidentState.ACKNOWLEDGED: (IncidentState.TRIGGERED,),
    IncidentState.MITIGATED: (IncidentState.TRIGGERED, IncidentState.ACKNOWLEDGED),
    IncidentState.RESOLVED: OPEN_STATES,
    IncidentState.CLOSED: (IncidentState.RESOLVED,),
}
_STAMP = {
    IncidentState.ACKNOWLEDGED: "acknowledged_at",
    IncidentState.MITIGATED: "mitigated_at",
    IncidentState.RESOLVED: "resolved_at",
    IncidentState.CLOSED: "closed_at",
}


class EventKind(StrEnum):
    ALERT_FIRED = "alert.fired"
    ALERT_RESOLVED = "alert.resolved"
    STATE = "state"
    NOTE = "note"
    ACTION = "action"


def incident_ref(incident_id: int) -> str:
    """How people name an incident: INC-12 (tickets are INC + 7 digits, so no clash)."""
    return f"INC-{incident_id}"


def parse_ref(text: str) -> int:
    raw = text.strip().upper().removeprefix("INC-").removeprefix("#")
    if not raw.isdigit() or len(raw) > 12:
        raise UserError(f"{text!r} is not an incident id; use a number or INC-12")
    return int(raw)


@dataclass(frozen=True, slots=True)
class Intake:
    """What one delivery changed: incidents opened, touched and resolved."""

    opened: tuple[int, ...]
    touched: tuple[int, ...]
    resolved: tuple[int, ...]


class IncidentBook:
    def __init__(
        self, store: Store, settings: IncidentSettings, clock: Clock = system_clock
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        # Whose clock a time is said on (Directory.zone, set by the runtime); UTC, named,
        # where no directory is at hand (a command run without one).
        self.zone_of: Callable[[str | None], Zone] = lambda _who: UNKNOWN

    async def ingest(self, notices: Sequence[Notice]) -> Intake:
        opened: list[int] = []
        touched: list[int] = []
        resolved: list[int] = []
        async with self.store.transaction() as tx:
            now = self.clock()
            for notice in notices:
                incident_id, new = await self._take(tx, notice, now)
                if new:
                    opened.append(incident_id)
                if incident_id not in touched:
                    touched.append(incident_id)
            for incident_id in touched:
                if await self._settle(tx, incident_id, now):
                    resolved.append(incident_id)
        return Intake(tuple(opened), tuple(touched), tuple(resolved))

    async def _take(self, tx: AsyncSession, notice: Notice, now: datetime) -> tuple[int, bool]:
        """Record one alert notice; returns its incident and whether that incident is new."""
        existing = await self._open_alert(tx, notice)
        if existing is None and notice.status is AlertStatus.RESOLVED:
            existing = await self._resolved_alert(tx, notice)
            if existing is not None:  # a repeat of a resolved notice: count it only
                await _count(tx, existing, now)
                return existing.incident_id, False
        if existing is None:
            incident_id, new = await self._incident_for(tx, notice, now)
            await tx.execute(
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
                    deliveries=0,
                )
                .on_conflict_do_nothing()
            )
            existing = await self._open_alert(tx, notice)
            assert existing is not None  # inserted now or by a concurrent delivery
            await self._event(
                tx,
                existing.incident_id,
                EventKind.ALERT_FIRED,
                notice.source.value,
                _fired_text(notice),
                f"{notice.source}:{notice.fingerprint}:{notice.starts_at.isoformat()}:fired",
                notice.starts_at,
            )
            await _pull_start(tx, existing.incident_id, notice.starts_at)
            new = new and existing.incident_id == incident_id
        else:
            new = False
        await _count(tx, existing, now)
        if notice.partial:
            await tx.execute(
                update(Incident)
                .where(col(Incident.id) == existing.incident_id)
                .values(partial=True)
            )
        if notice.status is AlertStatus.RESOLVED:
            await self._resolve_alert(tx, existing, notice, now)
        return existing.incident_id, new

    async def _open_alert(self, tx: AsyncSession, notice: Notice) -> Alert | None:
        rows = await tx.exec(
            select(Alert).where(
                col(Alert.source) == notice.source.value, col(Alert.open_key) == notice.fingerprint
            )
        )
        return rows.first()

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
            return (
                await tx.exec(select(Incident.id).where(col(Incident.open_key) == key))
            ).one(), False
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
        where = " ".join(part for part in (notice.service, notice.env) if part)
        ref = incident_ref(incident_id)

        def said(reader: str | None) -> str:
            """The announcement on the reader's clock (the channel reads the default, named)."""
            return (
                f"Incident {ref}: {_title(notice)}"
                + (f" on {where}" if where else "")
                + f", since {say(notice.starts_at, self.zone_of(reader))}."
                + (
                    f" {notice.annotations['summary']}."
                    if notice.annotations.get("summary")
                    else ""
                )
            )

        offered = desk.remedies(self.settings, _title(notice), notice.service, notice.env)
        buttons = desk.card_buttons(incident_id, offered)
        if channel:
            outbox.notify(tx, [], said(None), channel=channel, buttons=buttons)
        for person in dict.fromkeys(people):
            outbox.notify(tx, [person], said(person), buttons=buttons)

    async def _resolve_alert(
        self, tx: AsyncSession, alert: Alert, notice: Notice, now: datetime
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

    async def move(self, incident_id: int, to: IncidentState, who: str) -> Incident:
        """A person's state change (acknowledge, mitigate, resolve, close)."""
        async with self.store.transaction() as tx:
            incident = await tx.get(Incident, incident_id, populate_existing=True)
            if incident is None:
                raise NotFound(f"there is no incident {incident_ref(incident_id)}")
            if incident.state not in _MOVES[to]:
                raise Refused(
                    f"{incident_ref(incident_id)} is {incident.state}; it cannot become {to} now"
                )
            now = self.clock()
            await self._move(tx, incident, to, who, now, now)
            return incident

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
        values: dict[str, object] = {"state": to.value, "updated_at": now, _STAMP[to]: at}
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

    async def note(self, incident_id: int, who: str, text: str, key: str) -> None:
        """A line for the timeline (a reply in the incident thread, an action, a deploy)."""
        async with self.store.transaction() as tx:
            if await tx.get(Incident, incident_id) is None:
                raise NotFound(f"there is no incident {incident_ref(incident_id)}")
            await self._event(tx, incident_id, EventKind.NOTE, who, text, key, self.clock())

    async def record_action(
        self, tx: AsyncSession, incident_id: int, who: str, text: str, key: str
    ) -> None:
        """An action requested, decided, run or failed for an incident, in the caller's
        transaction so the timeline and the action change commit together."""
        await self._event(tx, incident_id, EventKind.ACTION, who, text, key, self.clock())

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

    async def get(self, incident_id: int) -> Incident:
        async with self.store.transaction() as tx:
            incident = await tx.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"there is no incident {incident_ref(incident_id)}")
        return incident

    async def listing(self, open_only: bool = True, limit: int = 50) -> list[Incident]:
        query = select(Incident).order_by(col(Incident.id).desc()).limit(limit)
        if open_only:
            query = query.where(col(Incident.state).in_([s.value for s in OPEN_STATES]))
        async with self.store.transaction() as tx:
            return list((await tx.exec(query)).all())

    async def timeline(self, incident_id: int) -> list[IncidentEvent]:
        async with self.store.transaction() as tx:
            rows = await tx.exec(
                select(IncidentEvent)
                .where(col(IncidentEvent.incident_id) == incident_id)
                .order_by(col(IncidentEvent.at), col(IncidentEvent.id))
            )
            return list(rows.all())

    async def alerts(self, incident_id: int) -> list[Alert]:
        async with self.store.transaction() as tx:
            rows = await tx.exec(
                select(Alert).where(col(Alert.incident_id) == incident_id).order_by(col(Alert.id))
            )
            return list(rows.all())


async def _count(tx: AsyncSession, alert: Alert, now: datetime) -> None:
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
