"""An incident's states and the moves between them, timeline kinds, and how people name
incidents (INC-12)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chatbot.errors import UserError


class IncidentState(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATES = (IncidentState.TRIGGERED, IncidentState.ACKNOWLEDGED, IncidentState.MITIGATED)
# Which states each move may start from; a move from anywhere else is refused in words.
ALLOWED_FROM: dict[IncidentState, tuple[IncidentState, ...]] = {
    IncidentState.ACKNOWLEDGED: (IncidentState.TRIGGERED,),
    IncidentState.MITIGATED: (IncidentState.TRIGGERED, IncidentState.ACKNOWLEDGED),
    IncidentState.RESOLVED: OPEN_STATES,
    IncidentState.CLOSED: (IncidentState.RESOLVED,),
}
STAMP_OF = {
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
    RESPONDERS = "responders"  # who was asked to respond (on call, configured)


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
