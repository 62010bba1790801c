"""The two writers every incident change goes through: a state move (with its timeline line
and audit entry, conditional on the state it was read in) and a timeline line (idempotent by
its key). Alert recording, opening incidents and the book's own moves all write through here,
in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.config import IncidentSettings
from chatbot.errors import UserError
from chatbot.governance import audit
from chatbot.governance.clock import Clock
from chatbot.incidents.statements import statements
from chatbot.incidents.states import STAMP_OF, EventKind, IncidentState, incident_ref
from chatbot.incidents.tables import Incident
from chatbot.store.engine import Store
from chatbot.times import Zone

# Actors that are monitoring systems, not people: their moves are audited as from "alerts".
_ALERT_ACTORS = ("alerts", "alertmanager", "grafana")


class IncidentWriter:
    """What the writers need from the book (`IncidentBook` sets these)."""

    store: Store
    settings: IncidentSettings
    clock: Clock
    # Whose clock a time is said on (Directory.zone, set by the runtime).
    zone_of: Callable[[str | None], Zone]

    async def _move(
        self,
        tx: AsyncSession,
        incident: Incident,
        to: IncidentState,
        who: str,
        at: datetime,
        now: datetime,
    ) -> None:
        """Move `incident` to `to` if it is still in the state it was read in (else the
        person is told it changed meanwhile), with its timeline line and audit entry."""
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
                platform="alerts" if who in _ALERT_ACTORS else "chat",
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
        """One timeline line; a second write with the same key adds nothing."""
        await tx.execute(
            statements(self.store.dialect).add_event,
            {
                "incident_id": incident_id,
                "at": at,
                "kind": kind.value,
                "actor": actor,
                "text": text,
                "idem_key": key,
            },
        )
