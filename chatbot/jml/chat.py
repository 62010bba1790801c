"""Onboarding and offboarding asked for in chat: who, as what, from when, and whose approval.

"onboard dana as a developer starting Monday, manager erin" and "mallory left the company,
remove her access" are understood like any request (employee.onboard, employee.offboard);
this module reads what the understanding does not: the person *named* (never the requester
in their place, and never the manager named later in the sentence), the role or department
("as a developer", "joining sales"), the manager ("manager erin", "reporting to erin") and
the start date, read on the requester's calendar ("Monday" is their next Monday). A name the
directory does not know is a sentence, not a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from chatbot import texts
from chatbot.config import Bundle
from chatbot.identity import Directory
from chatbot.jml import bundles
from chatbot.jml.skill import OFFBOARD, ONBOARD
from chatbot.types import Principal
from intents.dates import find_dates

SKILLS = frozenset({ONBOARD.name, OFFBOARD.name})
ONBOARD_SKILL = ONBOARD.name
_NAME = r"(?P<who>[\w][\w.@+'-]*)"
_LEAD = r"(?:the\s+|our\s+|a\s+)?(?:new\s+)?(?:hire|joiner|starter|leaver|employee)?\s*"
PERSON_RE = {
    ONBOARD.name: (
        re.compile(rf"\bon-?board(?:ing)?(?:\s+(?:of|for))?\s+{_LEAD}{_NAME}", re.I),
        re.compile(rf"\bnew\s+(?:hire|joiner|starter)\s+{_NAME}", re.I),
    ),
    OFFBOARD.name: (
        re.compile(rf"\boff-?board(?:ing)?(?:\s+(?:of|for))?\s+{_LEAD}{_NAME}", re.I),
        re.compile(rf"\b(?:deprovision|leaver\s+process\s+for)\s+{_LEAD}{_NAME}", re.I),
        re.compile(
            rf"^\s*(?:please\s+)?{_NAME}\s+(?:has\s+|have\s+|just\s+)*(?:left|quit|resigned"
            r"|no\s+longer\s+works)\b",
            re.I,
        ),
    ),
}
MANAGER_RE = re.compile(
    rf"\b(?:(?:her|his|their|the)\s+)?(?:manager|boss)(?:\s+(?:is|will\s+be))?\s*:?\s+{_NAME}"
    rf"|\b(?:reporting|reports|report)\s+to\s+{_NAME.replace('who', 'to')}"
    rf"|\bmanaged\s+by\s+{_NAME.replace('who', 'by')}",
    re.I,
)
ROLE_RE = re.compile(
    r"\bas\s+(?:an?\s+|the\s+|our\s+)?(?P<as>[a-z][\w-]*(?:\s+[a-z][\w-]*)?)"
    r"|\b(?:joining|in|into)\s+(?:the\s+)?(?P<team>[a-z][\w-]*)(?:\s+(?:team|department))?",
    re.I,
)
NOT_NAMES = frozenset(
    {
        "me", "myself", "i", "the", "a", "an", "our", "new", "them", "him", "her", "someone",
        "somebody", "employee", "employees", "hire", "joiner", "starter", "leaver", "process",
        "please", "now", "today", "everyone", "people", "user", "person", "is", "was", "who",
    }
)  # fmt: skip


# "as soon as possible", "as usual": an "as" that names no role.
AS_NOT_ROLES = frozenset({"soon", "usual", "well", "planned", "agreed", "discussed", "before"})


@dataclass(frozen=True, slots=True)
class Read:
    """What the text gives: the slots to go on with, or the sentence to say instead."""

    slots: dict[str, str]
    problem: str | None = None


def _named(skill: str, text: str) -> str | None:
    for pattern in PERSON_RE.get(skill, ()):
        for found in pattern.finditer(text):
            word = found.group("who").strip(".,'")
            if word and word.lower() not in NOT_NAMES:
                return word
    return None


def _manager(text: str) -> str | None:
    found = MANAGER_RE.search(text)
    if found is None:
        return None
    word = next(g for g in found.groups() if g).strip(".,'")
    return None if word.lower() in NOT_NAMES else word


def _role(text: str, known: Mapping[str, Bundle]) -> tuple[str | None, str | None]:
    """(the role said, as said), or (None, a phrase "as X" that names no bundle)."""
    for found in ROLE_RE.finditer(text):
        said = found.group("as") or found.group("team") or ""
        for words in (said, said.split()[0] if said.split() else ""):
            if words and bundles.named(known, words):
                return words, None
        first = said.split()[0].lower() if said.split() else ""
        if found.group("as") and first not in AS_NOT_ROLES:
            return None, said.split()[0]
    return None, None


def _start(text: str, now: datetime, zone: str) -> str | None:
    """The first date in the text, read on the requester's calendar: `now` as their wall
    clock, so "tomorrow" said at 23:30 in Berlin is the day after their today."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(zone)).replace(tzinfo=UTC)
    found = find_dates(text, local)
    return found[0].value[:10] if found else None


def lookup(directory: Directory, said: str) -> tuple[Principal | None, str | None]:
    """The person a word names: by name or email, else by the part of an email before the @
    or the first name when that names one person only; (None, why) otherwise."""
    found = directory.find_any(said)
    if found is not None or "@" in said:
        return found, None
    key = said.lower()
    matches = [
        p
        for p in directory.principals.values()
        if key in (p.email.split("@")[0].lower(), p.display_name.split(" ")[0].lower())
    ]
    if len(matches) == 1:
        return matches[0], None
    if matches:
        return None, texts.jml_several(said, sorted(p.name for p in matches))
    return None, None


def read(
    skill: str,
    text: str,
    slots: Mapping[str, str],
    requester: Principal,
    directory: Directory,
    known: Mapping[str, Bundle],
    now: datetime,
) -> Read:
    """The request's slots completed from the text; a named person, role or manager nobody
    knows is the sentence to say."""
    out = {k: v for k, v in slots.items() if k in {"person", "start_date", "manager", "role"}}
    named, boss = _named(skill, text), _manager(text) if skill == ONBOARD.name else None
    if boss is not None:
        found, why = lookup(directory, boss)
        if found is None:
            return Read(out, why or texts.jml_unknown_manager(boss))
        out["manager"] = found.name
    if named is not None:
        person, why = lookup(directory, named)
        if person is None:
            return Read(out, why or texts.jml_unknown_named(named))
        out["person"] = person.name
    elif out.get("person") and out.get("person") == out.get("manager"):
        del out["person"]  # the only name said is the manager's: ask who is joining
    if skill == OFFBOARD.name:
        if out.get("person") == requester.name:
            return Read(out, texts.OFFBOARD_SELF)
        return Read(out)
    role, unknown = _role(text, known)
    if unknown is not None:
        return Read(out, texts.jml_unknown_role(unknown, sorted(known)))
    if role is not None:
        out["role"] = role
    day = _start(text, now, requester.tz or "UTC")
    if day is not None:
        out["start_date"] = day
    return Read(out)
