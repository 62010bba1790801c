"""The understanding stage: text in, `Interpretation` out. `Understander` is the one entry point.

spaCy (blank English: tokenizer, PhraseMatcher, the Matcher of skills' own patterns, textcat)
plus rules (dates resolved against an injected clock) plus rapidfuzz; a trained spaCy pipeline,
when configured, may add entities (pretrained.py), nothing needs one. Everything
expensive happens in `__init__`/`reload` (and is cached on disk); `parse` is a few hundred
microseconds of pure work, deterministic for a given skill set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import numpy as np
import spacy
from rapidfuzz import process
from spacy.lang.en.stop_words import STOP_WORDS

from chatbot.config import Catalog
from chatbot.types import Interpretation, ReplyIntent, Slot
from intents import cues, replies
from intents.classifier import NONE_LABEL, Classifier, build_training_set
from intents.clauses import in_a_clause, not_contradicted
from intents.decide import Decision, SkillTable, decide
from intents.entities import PRIORITIES, Entity, EntityFinder
from intents.pretrained import ModelEntities
from intents.rules import SkillRules
from intents.slots import LABELS, fill, self_reference
from intents.text import Corrector, Token, tokenize
from intents.wording import WORD_RE, Wording, neighbour_words, recurring_words
from skills.api import SkillSpec, SlotSpec, SlotType

PAYLOAD_MARKS = frozenset({":", "about", "because", "regarding", "-", "saying"})
TRAINING_NOW = datetime(2000, 1, 3, tzinfo=UTC)  # examples never depend on today's date


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
        clock: Callable[[], datetime] | None = None,
        model: str = "",
    ) -> None:
        """`clock` is "now" for relative dates ("tomorrow"): parsing is deterministic for a
        given clock. `model` names an optional trained spaCy pipeline (pretrained.py); a bad
        name raises ConfigError naming the setting."""
        self.catalog = catalog
        self.people = tuple(p.lower() for p in people)
        self.cache_dir = cache_dir
        self.clock = clock or (lambda: datetime.now(UTC))
        self._nlp = spacy.blank("en")
        self._entities = EntityFinder(self._nlp, catalog, self.people)
        self._model = ModelEntities(model, self.people, catalog.services) if model else None
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
        self._table = SkillTable(self.skills, self._keywords)
        self._rules = SkillRules(self._nlp.vocab, self.skills)
        vocabulary = {w for ks in self._keywords.values() for k in ks for w in k}
        vocabulary |= {w for p in self._rules.words for w in p.split()} - STOP_WORDS
        vocabulary |= self._entities.vocabulary()
        known = {w for line in self._negatives for w in WORD_RE.findall(line.lower())}
        known |= {w for s in self.skills for e in s.examples for w in WORD_RE.findall(e.lower())}
        vocabulary |= recurring_words(self.skills)
        self._corrector = Corrector(vocabulary, known - vocabulary)
        self._wording = Wording(frozenset(vocabulary), neighbour_words(self._keywords.values()))
        examples = [(e, s.name) for s in self.skills for e in s.examples]
        data = build_training_set(examples, self._negatives, self._class_text)
        self._classifier = Classifier(data, self.cache_dir)

    def parse(self, text: str) -> Interpretation:
        reply = self.read_reply(text)
        dry, body = cues.dry_run(text)
        body = cues.without_filler(body)
        wording = self._wording
        tokens = wording.in_context(wording.joined(tokenize(self._nlp, body, self._corrector)))
        entities = self.entities(body, tokens)
        decision = self._decide(tokens, entities)
        if decision.skill is None and decision.declined != "negated":
            decision = in_a_clause(self._decide, self._table, tokens, entities) or decision
        elif decision.skill is not None and self._table.by_name[decision.skill].side_effect:
            decision = not_contradicted(self._decide, self._table, decision, tokens, entities)
        slots = {}
        if decision.skill is not None:
            slots = fill(self._table.by_name[decision.skill].slots, entities, body)
            if dry:
                slots = {name: _as_typed(slot, text) for name, slot in slots.items()}
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

    def _decide(self, tokens: list[Token], entities: Sequence[Entity]) -> Decision:
        scores = self._scores(tokens, entities)
        rules = self._rules.match(tokens, entities)
        return decide(self._table, scores, tokens, entities, rules)

    def entities(self, text: str, tokens: Sequence[Token] | None = None) -> list[Entity]:
        """Every entity in the text (rules, then the trained model's when one is set)."""
        if tokens is None:
            tokens = tokenize(self._nlp, text, self._corrector)
        now = self.clock()
        found = self._entities.find(text, tokens, now)
        return self._model.add(text, found, now) if self._model is not None else found

    def _scores(self, tokens: list[Token], entities: Sequence[Entity]) -> dict[str, float]:
        """Scores for the whole text and, when it has one, for the command before its payload
        ("open a ticket: <long description>"), so a long description does not drown it."""
        texts = [self._wording.class_text(tokens, entities)]
        norms = [t.norm for t in tokens]
        cut = len(norms)
        if not PAYLOAD_MARKS.isdisjoint(norms):  # most messages have no payload
            cut = next(i for i, norm in enumerate(norms) if norm in PAYLOAD_MARKS)
        if 2 <= cut < len(tokens) - 1:
            texts.append(self._wording.class_text(tokens[:cut], entities))
        labels = self._classifier.labels
        vectors = self._classifier.vectors_of(texts)
        scores = vectors[0]
        if len(vectors) > 1:  # the better of the two for every label but NONE_LABEL
            merged = np.maximum(scores, vectors[1])
            none = labels.index(NONE_LABEL)
            merged[none] = scores[none]
            scores = merged
        return dict(zip(labels, scores.tolist(), strict=True))

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
        near = process.extract(typed.lower(), choices, limit=3, score_cutoff=60)
        hint = tuple(c for c, _, _ in near) or choices[:3]
        return SlotReading(None, f"I don't know {typed!r}.", hint)

    def _reading(self, slot: SlotSpec, typed: str, corrector: Corrector) -> str | None:
        tokens = tokenize(self._nlp, typed, corrector)
        label = LABELS.get(slot.type)
        found = [e for e in self._entities.find(typed, tokens, self.clock()) if e.label == label]
        return found[0].value if found else None

    def _class_text(self, text: str) -> str:
        tokens = tokenize(self._nlp, text, self._corrector)
        return self._wording.class_text(tokens, self._entities.find(text, tokens, TRAINING_NOW))


def _as_typed(slot: Slot, text: str) -> Slot:
    """A slot found in the text with its dry-run marker blanked out: show what was typed,
    and a free-text value without the gap the marker left."""
    if slot.start < 0 or slot.text == text[slot.start : slot.end]:
        return slot
    value = " ".join(slot.value.split()) if slot.value == slot.text else slot.value
    return replace(slot, value=value, text=text[slot.start : slot.end])
