"""Slot filling: from found entities to the canonical values a skill declared it needs.

Free-text slots take the rest of the sentence after the command words ("open a ticket: printer
on fire" -> "printer on fire"), so the person is not asked again for what they already said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chatbot.types import Slot
from intents.entities import SELF_WORDS, Entity
from skills.api import SlotSpec, SlotType

LABELS = {
    SlotType.SERVICE: "SERVICE",
    SlotType.ENV: "ENV",
    SlotType.RESOURCE: "RESOURCE",
    SlotType.PERSON: "PERSON",
    SlotType.VERSION: "VERSION",
    SlotType.DURATION: "DURATION",
    SlotType.TICKET: "TICKET",
    SlotType.CHANGE: "CHANGE",
    SlotType.PRIORITY: "PRIORITY",
    SlotType.DATE: "DATE",
    SlotType.INCIDENT: "INCIDENT",
}
CATALOG_TYPES = frozenset({SlotType.SERVICE, SlotType.ENV, SlotType.RESOURCE, SlotType.VERSION})
_LEAD = (
    r"^(?:\s*(?:please|pls|hey|hi|can you|could you|would you|i need to|i want to|"
    r"i'd like to|i would like to|kindly|bot)\b[\s,]*)*"
)
SUMMARY_RE = re.compile(
    _LEAD + r"(?:open|create|log|file|raise|submit|add|make|start|new|report|put in)?\s*"
    r"(?:(?:a|an|the|new|me|us|one|another)\s+)*(?:(?:low|medium|high|critical|urgent)\s+"
    r"(?:priority\s+|urgency\s+)?)?(?:ticket|incident|issue|case|request)s?\b"
    r"(?:\s*(?:with|at)\s+\w+\s+(?:priority|urgency))?\s*(?:[:,.\-–]|for|about|because|"
    r"regarding|re|on|saying|that|since|as)?\s*",
    re.I,
)
QUERY_RE = re.compile(
    _LEAD + r"(?:search|find|look up|lookup|look for|check|browse|show|open)?\s*(?:me\s+)?"
    r"(?:the\s+|a\s+|an\s+)?(?:knowledge\s*base|kb|knowledge|articles?|docs|documentation|wiki)"
    r"\s*(?:articles?)?\s*(?:for|about|on|regarding|:)?\s*",
    re.I,
)
FILLER = frozenset({"a", "an", "the", "please", "pls", "it", "one", "thanks", "now", "me", "my"})


def fill(specs: Sequence[SlotSpec], entities: Sequence[Entity], text: str) -> dict[str, Slot]:
    """Canonical slots for the skill's declared slot specs, first matching entity each."""
    slots: dict[str, Slot] = {}
    used: set[int] = set()
    for spec in specs:
        label = LABELS.get(spec.type)
        if label is not None:
            for i, entity in enumerate(entities):
                if entity.label == label and i not in used:
                    used.add(i)
                    slots[spec.name] = Slot(
                        spec.name,
                        entity.value,
                        entity.text,
                        entity.start,
                        entity.end,
                        entity.corrected,
                    )
                    break
        elif spec.type is SlotType.TEXT:
            found = free_text(spec.name, text, entities)
            if found is not None:
                slots[spec.name] = found
    return slots


def free_text(name: str, text: str, entities: Sequence[Entity]) -> Slot | None:
    """The words after the command ("summary"), or the whole request for a search query."""
    regex = QUERY_RE if name == "query" else SUMMARY_RE
    m = regex.match(text)
    start = m.end() if m and m.end() > 0 else 0
    if name != "query" and (m is None or m.end() == 0):
        start = 0
    rest = text[start:]
    for entity in entities:
        if entity.label == "PRIORITY" and entity.start >= start:
            rest = rest.replace(entity.text + " priority", "").replace(entity.text + " urgency", "")
    cleaned = re.sub(r"(?:\s*(?:with|at)\s+(?:priority|urgency)\s*$)", "", rest).strip(" .,:;-!?")
    words = re.findall(r"\w+", cleaned.lower())
    if not words or all(w in FILLER for w in words):
        return None
    offset = text.find(cleaned, start)
    return Slot(name, cleaned, cleaned, offset, offset + len(cleaned))


def self_reference(text: str) -> bool:
    """ "me", "my", "myself": the requester, so the user slot stays absent."""
    return text.strip().lower() in SELF_WORDS
