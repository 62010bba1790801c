"""The understanding stage: text in, `Interpretation` out. `Understander` is the one entry point.

spaCy (blank English: tokenizer, PhraseMatcher, the Matcher of skills' own patterns, textcat)
plus rules (dates resolved against an injected clock) plus rapidfuzz; a trained spaCy pipeline,
when configured, may add entities (pretrained.py), nothing needs one. Everything
expensive happens in `__init__`/`reload` (and is cached on disk); `parse` is a few hundred
microseconds of pure work, deterministic for a given skill set.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import spacy
from rapidfuzz import process
from rapidfuzz.distance import OSA
from spacy.lang.en.stop_words import STOP_WORDS

from chatbot.config import Catalog
from chatbot.types import Interpretation, ReplyIntent, Slot
from intents import cues, replies
from intents.classifier import NONE_LABEL, Classifier, build_training_set
from intents.decide import Decision, SkillTable, decide
from intents.entities import PRIORITIES, Entity, EntityFinder
from intents.pretrained import ModelEntities
from intents.rules import SkillRules
from intents.slots import LABELS, fill, self_reference
from intents.text import Corrector, Token, tokenize
from skills.api import SkillSpec, SlotSpec, SlotType

PLACEHOLDERS = {
    "TICKET": "ticketid",
    "CHANGE": "changeid",
    "VERSION": "versionnumber",
    "DURATION": "timespan",
    "INCIDENT": "incidentid",
}
WORD_RE = re.compile(r"[a-z]+")
PAYLOAD_MARKS = frozenset({":", "about", "because", "regarding", "-", "saying"})
TRAINING_NOW = datetime(2000, 1, 3, tzinfo=UTC)  # examples never depend on today's date
# Politeness and filler carry no request ("Hello! Could you kindly ...? Thanks a lot!").
POLITE = frozenset(
    {
        "hello",
        "hi",
        "hey",
        "yo",
        "hiya",
        "thanks",
        "thank",
        "thx",
        "cheers",
        "plz",
        "kindly",
        "?",
        "mate",
        "folks",
        "team",
    }
)
ASKING = frozenset({"could", "would", "can", "will", "ca", "wo"})
CLAUSE_ENDS = frozenset({".", "!", "?", ";"})
MAX_CLAUSE_TOKENS = 80
NOISE = frozenset(
    {
        "a",
        "an",
        "the",
        "my",
        "me",
        "our",
        "your",
        "this",
        "these",
        "those",
        "some",
        "please",
        "pls",
        "just",
        "kindly",
        "'s",
        ",",
        ".",
        "!",
    }
)


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
        self._neighbours = _neighbour_words(self._keywords.values())
        self._rules = SkillRules(self._nlp.vocab, self.skills)
        vocabulary = {w for ks in self._keywords.values() for k in ks for w in k}
        vocabulary |= {w for p in self._rules.words for w in p.split()} - STOP_WORDS
        vocabulary |= self._entities.vocabulary()
        known = {w for line in self._negatives for w in WORD_RE.findall(line.lower())}
        known |= {w for s in self.skills for e in s.examples for w in WORD_RE.findall(e.lower())}
        vocabulary |= _recurring_words(self.skills)
        self._corrector = Corrector(vocabulary, known - vocabulary)
        self._vocabulary = frozenset(vocabulary)
        examples = [(e, s.name) for s in self.skills for e in s.examples]
        data = build_training_set(examples, self._negatives, self._class_text)
        self._classifier = Classifier(data, self.cache_dir)

    def parse(self, text: str) -> Interpretation:
        reply = self.read_reply(text)
        dry, body = cues.dry_run(text)
        body = cues.without_filler(body)
        tokens = self._in_context(self._joined(tokenize(self._nlp, body, self._corrector)))
        entities = self.entities(body, tokens)
        decision = self._decide(tokens, entities)
        if decision.skill is None and decision.declined != "negated":
            decision = self._in_a_clause(tokens, entities) or decision
        elif decision.skill is not None and self._table.by_name[decision.skill].side_effect:
            decision = self._not_contradicted(decision, tokens, entities)
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

    def _clauses(
        self, tokens: list[Token], entities: Sequence[Entity]
    ) -> list[tuple[list[Token], list[Entity]]]:
        """The sentences of a message (and ", could you ..." parts), with their entities."""
        cuts = [
            i + 1
            for i, t in enumerate(tokens)
            if t.norm in CLAUSE_ENDS
            or (
                t.norm in {",", "-", ":"}
                and i + 1 < len(tokens)
                and tokens[i + 1].norm in ASKING | {"please", "pls", "kindly"}
            )
        ]
        # A mark that ends the message cuts nothing: the one "clause" would be the message
        # itself, decided again for the same answer.
        cuts = [cut for cut in cuts if cut < len(tokens)]
        if not cuts or len(tokens) > MAX_CLAUSE_TOKENS:
            return []
        out = []
        for start, end in zip([0, *cuts], [*cuts, len(tokens)], strict=True):
            part = tokens[start:end]
            if len(part) >= 2:
                out.append((part, [e for e in entities if part[0].start <= e.start < part[-1].end]))
        return out

    def _in_a_clause(self, tokens: list[Token], entities: Sequence[Entity]) -> Decision | None:
        """A long message with the request in the middle ("Hello! Could you kindly reset my
        password? I'm travelling. Thanks!"): each sentence on its own, so the request is not
        drowned by the rest. Only one sentence may ask for something with a side effect;
        two different ones is not a guess we make."""
        found: list[Decision] = []
        for part, inside in self._clauses(tokens, entities):
            decision = self._decide(part, inside)
            if decision.declined == "negated":
                return None
            if decision.skill is not None:
                found.append(decision)
        side = {d.skill for d in found if self._table.by_name[d.skill or ""].side_effect}
        if not found or len(side) > 1:
            return None
        return max(found, key=lambda d: d.confidence)

    def _not_contradicted(
        self, decision: Decision, tokens: list[Token], entities: Sequence[Entity]
    ) -> Decision:
        """An action read from the whole message stands only if no sentence of it says not
        to ("... actually no, don't restart checkout") or asks for another action."""
        for part, inside in self._clauses(tokens, entities):
            other = self._decide(part, inside)
            if other.declined == "negated":
                return Decision(None, other.confidence, decision.ranked, declined="negated")
            if (
                other.skill not in (None, decision.skill)
                and self._table.by_name[other.skill or ""].side_effect
            ):
                return Decision(
                    None,
                    decision.confidence,
                    decision.ranked,
                    ambiguous=True,
                    declined="out_of_scope",
                )
        return decision

    def _joined(self, tokens: list[Token]) -> list[Token]:
        """Words split by a space that make one of our words ("pass word" -> password)."""
        out: list[Token] = []
        skip = False
        for here, after in zip(tokens, [*tokens[1:], None], strict=False):
            if skip:
                skip = False
                continue
            joined = here.norm + after.norm if after is not None else ""
            if (
                after is not None
                and len(joined) >= 6
                and joined.isalpha()
                and joined in self._vocabulary
                and after.start - here.end <= 1
            ):
                out.append(Token(f"{here.text} {after.text}", here.start, after.end, joined))
                skip = True
            else:
                out.append(here)
        return out

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
        texts = [self._tokens_text(tokens, entities)]
        cut = next((i for i, t in enumerate(tokens) if t.norm in PAYLOAD_MARKS), len(tokens))
        if 2 <= cut < len(tokens) - 1:
            texts.append(self._tokens_text(tokens[:cut], entities))
        scores, *heads = self._classifier.scores_of(texts)
        for head in heads:
            for label, value in head.items():
                if label != NONE_LABEL:
                    scores[label] = max(scores[label], value)
        return scores

    def _in_context(self, tokens: list[Token]) -> list[Token]:
        """Second look at ordinary words one typo away from a keyword of a skill the text
        already points at: "rest my vpn" is "reset my vpn", "i need some rest" stays rest."""
        present = {t.norm for t in tokens}
        sets = [ws for p in present for ws in self._neighbours.get(p, ())]
        targets = frozenset().union(*sets) - present if sets else frozenset()
        if not targets:
            return tokens
        out = []
        for tok in tokens:
            word = tok.norm
            if not tok.corrected and len(word) >= 4 and word.isalpha():
                # The alphabetically first target one edit away with the same first letter
                # (a wrong first letter is another word); none is at distance 0, the text's
                # own words not being targets. The cutoff lets rapidfuzz stop early.
                near = min(
                    (
                        k
                        for k in targets
                        if k[0] == word[0] and OSA.distance(word, k, score_cutoff=1) <= 1
                    ),
                    default=None,
                )
                if near is not None:
                    tok = Token(tok.text, tok.start, tok.end, near, True)
            out.append(tok)
        return out

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
        return self._tokens_text(tokens, self._entities.find(text, tokens, TRAINING_NOW))

    def _tokens_text(self, tokens: Sequence[Token], entities: Sequence[Entity]) -> str:
        """What the classifier reads: corrected lower-case words without articles and
        politeness, plurals of vocabulary words made singular, and placeholders for ids,
        versions and durations, so that the words that carry the request stand together."""
        spans = [
            (e.start, e.end, PLACEHOLDERS[e.label]) for e in entities if e.label in PLACEHOLDERS
        ]
        words: list[str] = []
        norms = [t.norm for t in tokens]
        for i, tok in enumerate(tokens):
            place = next((p for s, e, p in spans if s <= tok.start < e), None) if spans else None
            if place is None:
                if tok.norm in NOISE or tok.norm in POLITE:
                    continue
                if (tok.norm in ASKING and norms[i + 1 : i + 2] == ["you"]) or (
                    tok.norm == "you" and i and norms[i - 1] in ASKING
                ):
                    continue  # "could you ...": how it is asked, not what
                words.append(self._singular(tok.norm))
            elif not words or words[-1] != place:
                words.append(place)
        return " ".join(words)

    def _singular(self, word: str) -> str:
        for cut in (1, 2):
            if word.endswith("s") and word[:-cut] in self._vocabulary:
                return word[:-cut]
        return word


def _as_typed(slot: Slot, text: str) -> Slot:
    """A slot found in the text with its dry-run marker blanked out: show what was typed,
    and a free-text value without the gap the marker left."""
    if slot.start < 0 or slot.text == text[slot.start : slot.end]:
        return slot
    value = " ".join(slot.value.split()) if slot.value == slot.text else slot.value
    return replace(slot, value=value, text=text[slot.start : slot.end])


def _neighbour_words(
    keywords: Iterable[tuple[tuple[str, ...], ...]],
) -> dict[str, tuple[frozenset[str], ...]]:
    """Per keyword word, the word sets of the skills that use it: the typo targets that word
    makes plausible, looked up per token instead of scanning every skill per message.

    Each skill's set is built once and shared, so memory grows with the number of keywords;
    a copy per word (as before) grew with its square: 6,000 keywords took gigabytes."""
    out: dict[str, list[frozenset[str]]] = {}
    for ks in keywords:
        words = frozenset(w for k in ks for w in k if w.isalpha())
        for word in words:
            out.setdefault(word, []).append(words)
    return {word: tuple(sets) for word, sets in out.items()}


def _recurring_words(skills: Iterable[SkillSpec]) -> set[str]:
    """Words a skill's own examples keep using ("account" for account.unlock): typos of them
    ("acount") are worth correcting, though they are not keywords that pick the skill."""
    out: set[str] = set()
    for spec in skills:
        counts = Counter(w for e in spec.examples for w in set(WORD_RE.findall(e.lower())))
        out |= {w for w, n in counts.items() if n >= 3 and len(w) >= 5 and w not in STOP_WORDS}
    return out
