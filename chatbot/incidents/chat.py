"""The incident desk in chat: "what's on fire", "ack INC-12", "resolve INC-12".

Understanding finds these as the built-in skills incident.list / incident.ack /
incident.resolve (skills/builtin/catalog/incidents.py); the answer comes from the incident
book, and a move goes through `IncidentDesk.move`, the same RBAC check and timeline line as the
card's buttons. Listing changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from chatbot import texts
from chatbot.errors import UserError
from chatbot.incidents.book import parse_ref
from chatbot.incidents.desk import IncidentDesk
from chatbot.incidents.views import incident_line
from chatbot.times import Zone
from chatbot.types import ButtonVerb, Principal

LIST, ACK, RESOLVE = "incident.list", "incident.ack", "incident.resolve"
CHAT_SKILLS = frozenset({LIST, ACK, RESOLVE})
MOVES = frozenset({ACK, RESOLVE})
MAX_LISTED = 20


async def answer(
    desk: IncidentDesk,
    principal: Principal,
    skill: str,
    slots: Mapping[str, str],
    event_id: str = "",
    zone: Zone | None = None,
) -> str:
    """The answer to say; times in it on `zone`, the reader's clock (default: UTC, named)."""
    if skill == LIST:
        found = await desk.book.listing(open_only=True, limit=MAX_LISTED + 1)
        if not found:
            return texts.NOTHING_ON_FIRE
        lines = [incident_line(i, zone) for i in found[:MAX_LISTED]]
        return texts.open_incidents(lines, more=len(found) > MAX_LISTED)
    try:
        incident_id = parse_ref(slots.get("incident", ""))
    except UserError as exc:
        return str(exc)
    verb = ButtonVerb.INCIDENT_ACK if skill == ACK else ButtonVerb.INCIDENT_RESOLVE
    return await desk.move(principal, verb, incident_id, event_id)
