"""A start time in a request, from the text to the pipeline: whose zone, which moment, and
what to ask when it is unclear. Reading the words is intents/when.py; holding the action
until its time is schedules.py.

While a slot is still being asked for ("restart search at 8pm" -> "Which environment?") the
time travels with the pending slots under reserved keys starting with "_", so it is not lost;
`decode` takes them out again before anything else sees the slots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

from chatbot import texts
from chatbot.config import Settings
from chatbot.governance.calendar import matches, next_opening
from chatbot.times import Zone, say
from chatbot.types import Principal
from intents.when import Problem, When, read_when, shown
from skills.api import SkillSpec, SlotType

__all__ = ["When", "decode", "encode", "read", "resolve", "shown_at", "takes_time"]
KEYS = ("_at", "_zone", "_said")


def zone_for(settings: Settings, principal: Principal) -> str:
    """The person's zone from the directory (`tz`, which the directory already fills with
    the configured default for a person who has none); a guest reads the default."""
    if principal.guest or not principal.tz:
        return settings.conversation.timezone
    return principal.tz


def takes_time(spec: SkillSpec) -> bool:
    """A skill with a date slot of its own uses the time itself; others are scheduled."""
    return not any(slot.type is SlotType.DATE for slot in spec.slots)


def read(settings: Settings, principal: Principal, text: str, now: datetime) -> When | None:
    return read_when(text, now, zone_for(settings, principal))


def resolve(
    settings: Settings, spec: SkillSpec, slots: Mapping[str, str], when: When, now: datetime
) -> When | str:
    """The usable start time, or what to say instead of acting when it cannot be used as it
    is. "The next change window" becomes the next opening of a window that applies."""
    if when.problem is Problem.RECURRING:
        return texts.RECURRING
    if when.problem is not None:
        at = shown(when.at, when.zone) if when.at else ""
        return texts.when_unclear(when.problem.value, when.said, at)
    if when.window:
        openings = [
            next_opening(w, now)
            for w in settings.windows
            if matches(w.skill, w.where, spec.name, slots)
        ]
        if not openings:
            return texts.NO_WINDOW
        return replace(when, at=min(openings).astimezone(UTC))
    return when


def encode(when: When) -> dict[str, str]:
    assert when.at is not None
    return {"_at": when.at.isoformat(), "_zone": when.zone, "_said": when.said}


def decode(slots: Mapping[str, str]) -> tuple[When | None, dict[str, str]]:
    plain = {k: v for k, v in slots.items() if k not in KEYS}
    if "_at" not in slots:
        return None, plain
    at = datetime.fromisoformat(slots["_at"])
    return When(slots.get("_said", ""), slots.get("_zone", "UTC"), at), plain


def shown_at(when: When, reader: Zone) -> str:
    """The start time as the requester reads it: in the zone they said it in (their own
    unless they named another), with the zone named when it is not plainly theirs."""
    assert when.at is not None
    return say(when.at, Zone(when.zone, own=reader.own), requester=reader.name)
