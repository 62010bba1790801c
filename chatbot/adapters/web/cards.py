"""What a card in the web chat says, in words: what will happen, who asked, who must decide,
when it expires (in the reader's own time zone), and where it stands.

The facts are read from the persisted action when a card is stored or an action moves, and
kept with the card; they are put into words for each reader when shown, so the expiry is in
that person's zone and the buttons are there only while that person may still press them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chatbot import texts
from chatbot.governance.actions import State
from chatbot.governance.finish import Finisher
from chatbot.identity import Directory
from chatbot.store.tables import Action
from chatbot.types import ReplyKind

CARD_KINDS = frozenset({ReplyKind.CONFIRM, ReplyKind.APPROVAL})
WAITING = {
    ReplyKind.CONFIRM: State.AWAITING_CONFIRMATION,
    ReplyKind.APPROVAL: State.AWAITING_APPROVAL,
}
# cards.card_text ends with the expiry in UTC; the web card says it in the reader's zone.
UTC_EXPIRY = re.compile(r"\s*Expires (?:\d{4}-\d\d-\d\d \d\d:\d\d UTC|never)\.\s*$")


@dataclass(frozen=True, slots=True)
class Facts:
    """Where an action stands, as a card needs it (names, not display names: the reader's
    directory may change; words are chosen when shown)."""

    what: str
    requester: str
    deciders: tuple[str, ...] = ()
    role: str = ""
    votes: tuple[str, ...] = ()
    state: str = ""
    expires_at: str = ""
    needs_approval: bool = False

    def as_json(self) -> dict[str, Any]:
        """As kept (JSON has lists, not tuples: a kept card compares equal to a fresh one)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Facts | None:
        if not data.get("what"):
            return None
        return cls(
            what=str(data["what"]),
            requester=str(data.get("requester", "")),
            deciders=tuple(data.get("deciders", ())),
            role=str(data.get("role", "")),
            votes=tuple(data.get("votes", ())),
            state=str(data.get("state", "")),
            expires_at=str(data.get("expires_at", "")),
            needs_approval=bool(data.get("needs_approval", False)),
        )


def facts(finish: Finisher, action: Action, votes: Sequence[str]) -> Facts:
    expires = action.expires_at.astimezone(UTC).isoformat() if action.expires_at else ""
    return Facts(
        what=finish.what(action).rstrip("?"),
        requester=action.requester,
        deciders=tuple(finish.approvers(action)),
        role=action.approvers_role or "",
        votes=tuple(votes),
        state=action.state,
        expires_at=expires,
        needs_approval=action.approvals_needed > 0,
    )


def card_text(kind: str, text: str) -> str:
    """The card's own text without what the facts say better (the expiry in UTC)."""
    return UTC_EXPIRY.sub("", text) if kind == ReplyKind.APPROVAL else text


def local_time(at: str, zone: str) -> str:
    """A stored UTC time as the reader reads it: "Mon 30 Nov 2026, 15:05 (Europe/Berlin)"."""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = ZoneInfo("UTC"), "UTC"
    local = datetime.fromisoformat(at).astimezone(tz)
    return f"{local:%a %d %b %Y, %H:%M} ({zone or 'UTC'})"


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads the card, and what time it is for them."""

    name: str
    zone: str
    now: datetime
    directory: Directory = field(repr=False)

    def called(self, name: str) -> str:
        if name == self.name:
            return texts.YOU
        person = self.directory.find_any(name)
        return person.display_name if person and person.display_name else name


def is_open(kind: str, card: Facts, reader: Reader) -> bool:
    """May this reader still press the card's buttons?"""
    if card.state != WAITING.get(ReplyKind(kind)):
        return False
    if card.expires_at and datetime.fromisoformat(card.expires_at) <= reader.now:
        return False
    if kind == ReplyKind.CONFIRM:
        return reader.name == card.requester
    return reader.name in card.deciders and reader.name not in card.votes


def shown(kind: str, card: Facts, reader: Reader) -> dict[str, Any]:
    """The card's facts in words for this reader, its status, and whether it is open."""
    state = card.state
    expired = bool(card.expires_at) and datetime.fromisoformat(card.expires_at) <= reader.now
    if expired and state in (State.AWAITING_CONFIRMATION, State.AWAITING_APPROVAL):
        state = State.EXPIRED
    deciders = [reader.called(n) for n in card.deciders]
    decides = texts.card_deciders(deciders, card.role)
    if kind == ReplyKind.CONFIRM and card.state == State.AWAITING_CONFIRMATION:
        asker = reader.called(card.requester)
        decides = f"{asker}, then {decides}" if card.needs_approval else asker
    lines = [
        (texts.CARD_WHAT, card.what),
        (texts.CARD_ASKED_BY, reader.called(card.requester)),
        (texts.CARD_DECIDES, decides),
    ]
    if card.votes:
        lines.append((texts.CARD_VOTES, ", ".join(reader.called(v) for v in card.votes)))
    if card.expires_at and state in (State.AWAITING_CONFIRMATION, State.AWAITING_APPROVAL):
        lines.append((texts.CARD_EXPIRES, local_time(card.expires_at, reader.zone)))
    return {
        "facts": [{"label": label, "value": value} for label, value in lines],
        "status": texts.card_status(state),
        "state": state,
        "open": is_open(kind, card, reader),
    }
