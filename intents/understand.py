"""The understanding stage: text in, `Interpretation` out. `Understander` is the one entry point.

spaCy (blank English: tokenizer, PhraseMatcher, textcat) plus rules plus rapidfuzz. Everything
expensive happens in `__init__`/`reload` (and is cached on disk); `parse` is a few hundred
microseconds of pure work, deterministic for a given skill set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import spacy

from chatbot.config import Catalog
from chatbot.types import Interpretation, ReplyIntent
from intents import cues, replies
from intents.classifier import Classifier, build_training_set
from intents.decide import decide
from intents.entities import PRIORITIES, Entity, EntityFinder
from intents.slots import LABELS, fill, self_reference
from intents.text import Corrector, Token, tokenize
from skills.api import SkillSpec, SlotSpec, SlotType

PLACEHOLDERS = {"TICKET": "ticketid", "CHANGE": "changeid", "VERSION": "versionnumber",
                "DURATION": "timespan"}
WORD_RE = re.compile(r"[a-z]+")


@dataclass(frozen=True, slots=True)
class SlotReading:
    """An answer to a slot question: the canonical value, or why not and what was meant."""

    value: str | None
    error: str = ""
    suggestions: tuple[str, ...] = ()


def load_negatives() -> tuple[str, ...]:
    """Our own everyday sentences (intents/data/negatives.txt) that must trigger nothing."""
    text = resources.files("intents").joinpath("data/negatives.txt").read_text("utf-8")
    return tuple(ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


class Understander:
    def __init__(
        self,
        catalog: Catalog,
        people: Iterable[str],
        skills: Sequence[SkillSpec],
        cache_dir: Path | None = None,
    ) -> None:
        self.catalog = catalog
        self.people = tuple(p.lower() for p in people)
        self.cache_dir = cache_dir
        self._nlp = spacy.blank("en")
        self._entities = EntityFinder(self._nlp, catalog, self.people)
        self._negatives = load_negatives()
        self.reload(skills)

    @property
    def trained(self) -> bool:
        """True when the last (re)load had to train; False when the cache had the model."""
        return self._classifier.trained

    @property
    def model_digest(self) -> str:
        return self._classifier.digest

    def reload(self, skills: Sequence[SkillSpec]) -> None:
        """A changed skill set: rebuild the vocabulary, retrain (or load) the classifier."""
        self.skills = tuple(skills)
        self._keywords = {
            s.name: tuple(tuple(k.lower().split()) for k in s.keywords if k.strip())
            for s in self.skills
        }
        vocabulary = {w for ks in self._keywords.values() for k in ks for w in k}
        vocabulary |= self._entities.vocabulary()
        known = {w for line in self._negatives for w in WORD_RE.findall(line.lower())}
        known |= {w for s in self.skills for e in s.examples for w in WORD_RE.findall(e.lower())}
        self._corrector = Corrector(vocabulary, known - vocabulary)
        examples = [(e, s.name) for s in self.skills for e in s.examples]
        data = build_training_set(examples, self._negatives, self._class_text)
        self._classifier = Classifier(data, self.cache_dir)

    def parse(self, text: str) -> Interpretation:
        reply = self.read_reply(text)
        dry, body = cues.dry_run(text)
        tokens = tokenize(self._nlp, body, self._corrector)
        entities = self._entities.find(body, tokens)
        scores = self._classifier.scores(self._tokens_text(tokens, entities))
        decision = decide(self.skills, self._keywords, scores, tokens, entities)
        slots = {}
        if decision.skill is not None:
            spec = next(s for s in self.skills if s.name == decision.skill)
            slots = fill(spec.slots, entities, body)
        return Interpretation(
            text=text,
            skill=decision.skill,
            confidence=decision.confidence,
            slots=MappingProxyType(slots),
            alternatives=decision.ranked,
            reply=reply,
            dry_run=dry,
            ambiguous=decision.ambiguous,
            declined=decision.declined,
        )

    def read_reply(self, text: str) -> ReplyIntent | None:
        found = replies.read_reply(text)
        return ReplyIntent(found) if found else None

    def choices(self, slot: SlotSpec) -> tuple[str, ...]:
        match slot.type:
            case SlotType.SERVICE:
                return tuple(self.catalog.services)
            case SlotType.ENV:
                return tuple(self.catalog.environments)
            case SlotType.RESOURCE:
                return tuple(self.catalog.resources)
            case SlotType.PRIORITY:
                return tuple(reversed(PRIORITIES))
            case SlotType.PERSON:
                return self.people
        return ()

    def read_slot(self, slot: SlotSpec, text: str) -> SlotReading:
        """Validate an answer. Catalog answers must be exact (or an alias): a typo gets a
        suggestion and the question again, since nothing else would confirm a guess here."""
        typed = text.strip()
        if slot.type is SlotType.TEXT:
            return SlotReading(typed) if typed else SlotReading(None, "Please type a few words.")
        if slot.type is SlotType.PERSON and self_reference(typed):
            return SlotReading(None)
        exact = self._reading(slot, typed, Corrector((), ()))
        if exact is not None:
            return SlotReading(exact)
        fuzzy = self._reading(slot, typed, self._corrector)
        choices = self.choices(slot)
        if fuzzy is not None:
            return SlotReading(None, f"I don't know {typed!r}.", (fuzzy,))
        from rapidfuzz import process  # noqa: PLC0415 - only on this rare path

        near = process.extract(typed.lower(), choices, limit=3, score_cutoff=60)
        hint = tuple(c for c, _, _ in near) or choices[:3]
        return SlotReading(None, f"I don't know {typed!r}.", hint)

    def _reading(self, slot: SlotSpec, typed: str, corrector: Corrector) -> str | None:
        tokens = tokenize(self._nlp, typed, corrector)
        label = LABELS.get(slot.type)
        found = [e for e in self._entities.find(typed, tokens) if e.label == label]
        return found[0].value if found else None

    def _class_text(self, text: str) -> str:
        tokens = tokenize(self._nlp, text, self._corrector)
        return self._tokens_text(tokens, self._entities.find(text, tokens))

    @staticmethod
    def _tokens_text(tokens: Sequence[Token], entities: Sequence[Entity]) -> str:
        """Corrected lower-case words; ids, versions and durations become placeholders."""
        spans = [(e.start, e.end, PLACEHOLDERS[e.label]) for e in entities
                 if e.label in PLACEHOLDERS]
        words: list[str] = []
        for tok in tokens:
            place = next((p for s, e, p in spans if s <= tok.start < e), None)
            if place is None:
                words.append(tok.norm)
            elif not words or words[-1] != place:
                words.append(place)
        return " ".join(words)
