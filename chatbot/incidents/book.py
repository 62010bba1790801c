"""Incidents and their timelines in the database: what intake, chat and the CLI call.

Every change and its timeline line are written in one transaction with its audit entry.
Timeline lines carry an idempotency key, so a repeated delivery or a double click adds
nothing; alerts and open incidents carry an `open_key` under a unique constraint, so
concurrent identical deliveries make one alert and one incident on any database.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.config import IncidentSettings
from chatbot.errors import NotFound, Refused
from chatbot.governance.clock import Clock, system_clock
from chatbot.incidents.recording import AlertRecording
from chatbot.incidents.states import (
    ALLOWED_FROM,
    OPEN_STATES,
    EventKind,
    IncidentState,
    Intake,
    incident_ref,
    parse_ref,
)
from chatbot.incidents.tables import Alert, Incident, IncidentEvent
from chatbot.store.engine import Store
from chatbot.times import UNKNOWN

__all__ = [
    "OPEN_STATES",
    "EventKind",
    "IncidentBook",
    "IncidentState",
    "Intake",
    "incident_ref",
    "parse_ref",
]


class IncidentBook(AlertRecording):
    """The incidents: recording alerts (recording.py), moves, timeline lines, reads."""

    def __init__(
        self, store: Store, settings: IncidentSettings, clock: Clock = system_clock
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        # Whose clock a time is said on (Directory.zone, set by the runtime); UTC, named,
        # where no directory is at hand (a command run without one).
        self.zone_of = lambda _who: UNKNOWN

    async def move(self, incident_id: int, to: IncidentState, who: str) -> Incident:
        """A person's state change (acknowledge, mitigate, resolve, close)."""
        async with self.store.transaction() as tx:
            incident = await tx.get(Incident, incident_id, populate_existing=True)
            if incident is None:
                raise NotFound(f"there is no incident {incident_ref(incident_id)}")
            if incident.state not in ALLOWED_FROM[to]:
                raise Refused(
                    f"{incident_ref(incident_id)} is {incident.state}; it cannot become {to} now"
                )
            now = self.clock()
            await self._move(tx, incident, to, who, now, now)
            return incident

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

    async def record(
        self, tx: AsyncSession, incident_id: int, kind: EventKind, who: str, text: str, key: str
    ) -> None:
        """Any timeline line in the caller's transaction (a thread note with its audit entry,
        the responders of a new incident)."""
        await self._event(tx, incident_id, kind, who, text, key, self.clock())

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
