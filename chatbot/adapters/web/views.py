"""An entry of the web conversation as JSON for the person reading it.

Words are chosen here, per reader: a card's facts (expiry in the reader's zone), its buttons
only while the reader may still press them, and thumbs up/down under answers ("Was this
helpful?" under knowledge-base articles).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatbot import texts
from chatbot.adapters.web import cards
from chatbot.adapters.web.history import Entry, Speaker
from chatbot.feedback import Verdict
from chatbot.support import KB
from chatbot.types import ReplyKind


def asks_feedback(entry: Entry) -> bool:
    """Thumbs under the assistant's answers: results, plain answers, and articles."""
    if entry.speaker is not Speaker.ASSISTANT or entry.card:
        return False
    if entry.skill == KB or entry.kind == ReplyKind.RESULT:
        return True
    return entry.kind == ReplyKind.INFO and not entry.buttons and entry.action_id is None


def _feedback(entry: Entry, verdict: Verdict | None) -> dict[str, Any] | None:
    if not asks_feedback(entry):
        return None
    return {
        "ask": texts.HELPFUL if entry.skill == KB else None,
        "up": texts.THUMB_UP,
        "down": texts.THUMB_DOWN,
        "verdict": str(verdict) if verdict else None,
    }


def view(entry: Entry, reader: cards.Reader, verdict: Verdict | None = None) -> dict[str, Any]:
    facts = cards.Facts.from_json(entry.card)
    card = cards.shown(entry.kind, facts, reader) if facts else None
    buttons = entry.buttons if card is None or card["open"] else ()
    return {
        "id": entry.ref,
        "from": str(entry.speaker),
        "kind": entry.kind,
        "text": entry.text,
        "buttons": [{"label": b.label, "value": b.value, "style": str(b.style)} for b in buttons],
        "action_id": entry.action_id,
        "card": card,
        "feedback": _feedback(entry, verdict),
        "at": entry.at.isoformat(),
    }


def views(
    entries: list[Entry], reader: cards.Reader, verdicts: Mapping[str, Verdict]
) -> list[dict[str, Any]]:
    return [view(e, reader, verdicts.get(e.ref)) for e in entries]
