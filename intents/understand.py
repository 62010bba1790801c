"""A first, small understander: keywords and exact catalog names.

Placeholder shape for the pipeline; the understanding issue replaces the insides (spaCy,
classifier, fuzzy matching) behind the same public methods.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chatbot.config import Catalog
from chatbot.types import Candidate, Interpretation, ReplyIntent, Slot
from skills.api import SkillSpec, SlotSpec, SlotType

_YES = {"yes", "y", "yeah", "yep", "sure", "ok", "okay", "confirm", "go ahead", "do it"}
_NO = {"no", "n", "nope", "nah"}
_CANCEL = {"cancel", "stop", "never mind", "nevermind", "abort"}
_VERSION = re.compile(r"\bv?(\d+\.\d+(?:\.\d+)?(?:[-+][\w.]+)?)\b")
_TICKET = re.compile(r"\b(inc\d{7})\b", re.I)
_CHANGE = re.compile(r"\b(chg\d{7})\b", re.I)


@dataclass(frozen=True, slots=True)
class SlotReading:
    """An answer to a slot question: the canonical value, or why not and what was meant."""

    value: str | None
    error: str = ""
    suggestions: tuple[str, ...] = ()


class Understander:
    def __init__(
        self,
        catalog: Catalog,
        people: Iterable[str],
        skills: Sequence[SkillSpec],
        cache_dir: Path | None = None,
    ) -> None:
        self.catalog = catalog
        self.people = tuple(people)
        self.skills = tuple(skills)

    def reload(self, skills: Sequence[SkillSpec]) -> None:
        self.skills = tuple(skills)

    def read_reply(self, text: str) -> ReplyIntent | None:
        words = " ".join(re.findall(r"[a-z']+", text.lower()))
        if words in _CANCEL:
            return ReplyIntent.CANCEL
        if words in _NO:
            return ReplyIntent.NO
        if words in _YES:
            return ReplyIntent.YES
        return None

    def choices(self, slot: SlotSpec) -> tuple[str, ...]:
        match slot.type:
            case SlotType.SERVICE:
                return self.catalog.services
            case SlotType.ENV:
                return tuple(self.catalog.environments)
            case SlotType.RESOURCE:
                return tuple(self.catalog.resources)
            case SlotType.PRIORITY:
                return ("low", "medium", "high", "critical")
            case SlotType.PERSON:
                return self.people
        return ()

    def read_slot(self, slot: SlotSpec, text: str) -> SlotReading:
        found = self._slots(text, (slot,))
        if slot.name in found:
            return SlotReading(found[slot.name].value)
        if slot.type is SlotType.TEXT and text.strip():
            return SlotReading(text.strip())
        choices = self.choices(slot)
        return SlotReading(None, f"I don't know {text.strip()!r}.", choices[:3])

    def parse(self, text: str) -> Interpretation:
        reply = self.read_reply(text)
        lowered = text.lower()
        scores = []
        for spec in self.skills:
            hits = sum(1 for word in spec.keywords if re.search(rf"\b{re.escape(word)}\b", lowered))
            if hits:
                scores.append(Candidate(spec.name, min(1.0, 0.5 + 0.25 * hits)))
        scores.sort(key=lambda c: -c.confidence)
        if not scores:
            return Interpretation(text, None, 0.0, reply=reply, declined="out_of_scope")
        best = next(s for s in self.skills if s.name == scores[0].skill)
        slots = self._slots(text, best.slots)
        return Interpretation(
            text, best.name, scores[0].confidence, slots, tuple(scores[1:4]), reply=reply
        )

    def _slots(self, text: str, wanted: Sequence[SlotSpec]) -> dict[str, Slot]:
        lowered = text.lower()
        found: dict[str, Slot] = {}
        for slot in wanted:
            value = self._find(slot, lowered)
            if value is not None:
                found[slot.name] = Slot(slot.name, value, value)
        return found

    def _find(self, slot: SlotSpec, lowered: str) -> str | None:
        words = set(re.findall(r"[\w.-]+", lowered))
        match slot.type:
            case SlotType.VERSION:
                m = _VERSION.search(lowered)
                return m.group(1) if m else None
            case SlotType.TICKET:
                m = _TICKET.search(lowered)
                return m.group(1).upper() if m else None
            case SlotType.CHANGE:
                m = _CHANGE.search(lowered)
                return m.group(1).upper() if m else None
            case SlotType.ENV:
                return next(
                    (e for w in words if (e := self.catalog.canonical_env(w)) is not None), None
                )
            case SlotType.PERSON:
                return next((p for p in self.people if p in words and p != "me"), None)
        return next((c for c in self.choices(slot) if c in words), None)
