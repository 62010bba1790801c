"""An optional trained spaCy pipeline (setting `understanding.model`) that adds its entities.

Nothing needs one: the rules find what the assistant acts on. A trained model can add what
rules miss, but never a value outside our own catalogs: PERSON only when it names someone in
the directory, DATE/TIME only when it resolves to an ISO date, ORG/PRODUCT only when it is
close to a catalog service. It runs only when configured (NER costs milliseconds), and is
loaded once per process per name: the skill reloader builds a new Understander on every
skill change, and loading a pipeline takes far longer than training our classifier.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime

import spacy
from rapidfuzz import fuzz, process
from spacy.language import Language

from chatbot.errors import ConfigError
from intents.dates import find_dates
from intents.entities import Entity

SETTING = "understanding.model"
NER_PIPES = frozenset({"tok2vec", "transformer", "ner", "entity_ruler", "span_ruler"})
SERVICE_CUTOFF = 88
PERSON_CUTOFF = 80  # the model says it is a person: one typo in a short name may pass


@functools.lru_cache(maxsize=4)
def load_pipeline(name: str) -> Language:
    """`spacy.load` once per name, with only what finds entities left enabled."""
    try:
        nlp = spacy.load(name)
    except (OSError, ImportError, ValueError, KeyError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(SETTING, name, f"not an installed spaCy pipeline: {first}") from None
    nlp.select_pipes(disable=[p for p in nlp.pipe_names if p not in NER_PIPES])
    return nlp


class ModelEntities:
    """Maps a trained pipeline's entities onto ours, leaving what the rules found alone."""

    def __init__(self, name: str, people: Iterable[str], services: Sequence[str]) -> None:
        self._nlp = load_pipeline(name)
        self._people = tuple(people)
        self._services = tuple(services)

    def add(self, text: str, found: Sequence[Entity], now: datetime) -> list[Entity]:
        out = list(found)
        for ent in self._nlp(text).ents:
            start, end = ent.start_char, ent.end_char
            if any(e.start < end and start < e.end for e in out):
                continue
            entity = self._map(ent.label_, ent.text, start, now)
            if entity is not None:
                out.append(entity)
        return sorted(out, key=lambda e: e.start)

    def _map(self, label: str, typed: str, start: int, now: datetime) -> Entity | None:
        if label == "PERSON":
            name = self._person(typed)
            return Entity("PERSON", name, typed, start, start + len(typed)) if name else None
        if label in {"DATE", "TIME"}:
            dates = find_dates(typed, now, loose=True)
            if not dates:
                return None  # no ISO value to give: a slot never holds an unresolved date
            return Entity("DATE", dates[0].value, typed, start, start + len(typed))
        if label in {"ORG", "PRODUCT"}:
            best = process.extractOne(
                typed.lower(), self._services, scorer=fuzz.ratio, score_cutoff=SERVICE_CUTOFF
            )
            if best is not None:
                return Entity("SERVICE", best[0], typed, start, start + len(typed), True)
        return None

    def _person(self, typed: str) -> str | None:
        """A directory name: the whole span, or its first word ("Carol Jones" -> carol)."""
        words = typed.lower().split()
        if not words:
            return None
        for candidate in (" ".join(words), words[0]):
            best = process.extractOne(
                candidate, self._people, scorer=fuzz.ratio, score_cutoff=PERSON_CUTOFF
            )
            if best is not None:
                return str(best[0])
        return None
