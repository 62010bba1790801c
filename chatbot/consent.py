"""What a message means to an open confirmation: an answer, a correction, or something else.

Consent is explicit. Only a button, or a reply that clearly says yes, no or cancel, answers
the question; a high-risk action (risk high, or anything in prod) needs the button or a
plainly typed "yes" (`intents.replies.explicit_yes`). Everything else is handled as what it
is and the question stays open:

- a correction ("actually make it 2.4.1", "not staging, prod", "make it 2 days") amends a
  slot of the pending request, which is then decided and asked again;
- a new request is understood as one; it replaces the pending one only when it says so
  ("no, restart checkout instead");
- thanks, a question about the action ("is that safe?") or unrelated text get their own
  answer, and the pending question is shown again with its buttons.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from chatbot.types import Interpretation, ReplyIntent
from intents.entities import Entity
from intents.replies import explicit_yes
from intents.slots import LABELS
from skills.api import Risk, SkillSpec

THANKS_RE = re.compile(
    r"^\W*(?:(?:ok|okay|cool|great|nice|perfect)\W+)?(?:thanks?|thx|ty|"
    r"thank you|cheers|much appreciated)\b",
    re.I,
)
QUESTION_RE = re.compile(
    r"\?\s*$|^\s*(?:is|are|will|would|does|do|how|what|why|when|which|"
    r"can you explain|explain)\b",
    re.I,
)
REPLACE_RE = re.compile(r"\binstead\b|^\W*(?:no|nah|nope|wait|actually)\b", re.I)
CORRECTION_RE = re.compile(
    r"\b(?:actually|instead|make it|change it|rather|not|no|wait|"
    r"i meant|i mean|sorry)\b",
    re.I,
)
NEGATED_BEFORE = re.compile(r"\b(?:not|no|instead of)\s*$", re.I)


class Kind(StrEnum):
    YES = "yes"
    NO = "no"
    CANCEL = "cancel"
    YES_NOT_PLAIN = "yes_not_plain"  # a loose yes to a high-risk action: ask for a plain yes
    CORRECTION = "correction"
    REPLACE = "replace"
    NEW_REQUEST = "new_request"
    THANKS = "thanks"
    QUESTION = "question"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Reading:
    kind: Kind
    slots: Mapping[str, str] = field(default_factory=dict)  # the amended slots (CORRECTION)


def high_risk(spec: SkillSpec, slots: Mapping[str, str]) -> bool:
    """Needs the button or a plainly typed yes: risk high, or anything that touches prod."""
    return spec.risk is Risk.HIGH or slots.get("env") == "prod"


def read(
    text: str,
    meant: Interpretation,
    reply: ReplyIntent | None,
    spec: SkillSpec | None,
    slots: Mapping[str, str],
    entities: Sequence[Entity],
) -> Reading:
    """How `text` relates to the pending confirmation of `spec` with `slots`."""
    if reply is ReplyIntent.CANCEL:
        return Reading(Kind.CANCEL)
    if reply is ReplyIntent.YES:
        if spec is not None and high_risk(spec, slots) and not explicit_yes(text):
            return Reading(Kind.YES_NOT_PLAIN)
        return Reading(Kind.YES)
    if spec is not None:
        amended = corrected_slots(text, spec, slots, entities)
        same = meant.skill in (None, spec.name)
        if amended and (same and (meant.skill is None or CORRECTION_RE.search(text))):
            return Reading(Kind.CORRECTION, amended)
    if reply is ReplyIntent.NO:
        return Reading(Kind.NO)
    if meant.skill is not None and not meant.ambiguous:
        return Reading(Kind.REPLACE if REPLACE_RE.search(text) else Kind.NEW_REQUEST)
    if THANKS_RE.search(text):
        return Reading(Kind.THANKS)
    if QUESTION_RE.search(text):
        return Reading(Kind.QUESTION)
    return Reading(Kind.OTHER)


def corrected_slots(
    text: str, spec: SkillSpec, slots: Mapping[str, str], entities: Sequence[Entity]
) -> dict[str, str]:
    """The pending slots with the values the text gives for them ("not staging, prod": the
    value not negated wins); empty when the text changes nothing."""
    changed: dict[str, str] = {}
    for slot in spec.slots:
        label = LABELS.get(slot.type)
        if label is None or slot.name == "user":
            continue
        found = [e for e in entities if e.label == label]
        kept = [e for e in found if not NEGATED_BEFORE.search(text[: e.start])]
        if kept and kept[-1].value != slots.get(slot.name):
            changed[slot.name] = kept[-1].value
    return {**slots, **changed} if changed else {}
