"""From classifier scores and evidence in the text to one decision (or a refusal).

The classifier alone overfits small example sets, so a skill with a side effect also needs
its own keyword in the text (fuzzily), a risky skill that acts on catalog things needs one of
those things named, and questions, negations and reports about an action do not run it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

from chatbot.types import Candidate
from intents import cues
from intents.classifier import NONE_LABEL
from intents.entities import Entity
from intents.slots import CATALOG_TYPES, LABELS
from intents.text import MEMO_LIMIT, Token, plain_forms
from skills.api import Risk, SkillSpec, SlotType

SIDE_EFFECT_THRESHOLD = 0.42
READ_ONLY_THRESHOLD = 0.25
NO_KEYWORD_FACTOR = 0.6
SLOT_BONUS = 0.1
RULE_BONUS = 0.3  # a declared pattern matched: the author's own phrasing, strong evidence
AMBIGUOUS_RATIO = 0.75
RISKY = frozenset({Risk.MEDIUM, Risk.HIGH})
HELP_SKILL = "help"
VAGUE_CONFIDENCE = 0.3
QUESTION_WORDS = frozenset({"how", "what", "who", "which", "any", "anything"})
ID_LABELS = frozenset({"TICKET", "CHANGE", "INCIDENT"})
# round4 answers from the product only this far from a tie: x * 10000 is within 1e-12 of
# the exact product for the x it takes (below 1e6), so the nearest integer is certain.
TIE_MARGIN = 1e-6
Keywords = tuple[tuple[str, ...], ...]
KeywordEntry = tuple[str, int, tuple[str, ...], tuple[str, ...]]


@dataclass(slots=True)
class Hit:
    """Where a skill's keyword was found; `past` when only its past form was ("restarted").
    Plain slots, as Token: a frozen one cost 210 ns to build, this one 80 ns, and nothing
    changes a Hit once made."""

    at: int
    past: bool


@dataclass(slots=True)
class Decision:
    """Plain slots (see Hit): 390 ns to build frozen, one or more a message; never changed
    once made."""

    skill: str | None
    confidence: float
    ranked: tuple[Candidate, ...]
    ambiguous: bool = False
    declined: str | None = None


class SkillTable:
    """What `decide` needs from the skill set, worked out once per (re)load: parsing used to
    match every keyword of every skill against every token, which with 200 skills was most of
    the time of a message. Now each token's forms are looked up in an index of keywords by
    their first word, so a message costs its own length, not the size of the catalog."""

    def __init__(self, specs: Sequence[SkillSpec], keywords: Mapping[str, Keywords]) -> None:
        self.specs = tuple(specs)
        self.by_name = {spec.name: spec for spec in self.specs}
        self.help_words = frozenset(w for k in keywords.get(HELP_SKILL, ()) for w in k)
        # name, order among the skill's keywords, the keyword, and its words after the first
        self._first: dict[str, list[KeywordEntry]] = {}
        self._starting: dict[str, tuple[KeywordEntry, ...]] = {}  # see _entries
        for spec in self.specs:
            for order, words in enumerate(keywords.get(spec.name, ())):
                entry = (spec.name, order, words, words[1:])
                self._first.setdefault(words[0], []).append(entry)
        # Skills worth scoring are any with evidence (hits), and these (which need none).
        self.read_only = tuple(spec.name for spec in self.specs if not spec.side_effect)
        self.side_effect = frozenset(spec.name for spec in self.specs if spec.side_effect)
        self._id_labels = {
            spec.name: labels
            for spec in self.specs
            if (labels := frozenset(LABELS.get(s.type) for s in spec.slots) & ID_LABELS)
        }
        self._slot_labels = {
            spec.name: tuple((LABELS.get(s.type), s.type) for s in spec.slots)
            for spec in self.specs
        }
        self._slot_label_sets = {
            name: frozenset(label for label, _ in pairs)
            for name, pairs in self._slot_labels.items()
        }
        self._needs_thing = {
            spec.name
            for spec in self.specs
            if spec.risk in RISKY and any(s.type in CATALOG_TYPES for s in spec.slots)
        }
        # Per skill what ranking asks of every candidate, in one look-up: side effect, needs
        # a catalog thing named, the entity labels of its slots.
        self.facts = {
            spec.name: (
                spec.side_effect,
                spec.name in self._needs_thing,
                self._slot_label_sets[spec.name],
                self._slot_labels[spec.name],
            )
            for spec in self.specs
        }

    def hits(self, tokens: Sequence[Token], entities: Sequence[Entity]) -> dict[str, Hit]:
        """Per skill, the first token where one of its keywords (single or multi-word)
        starts; else, for skills that take one, where a ticket or change id is."""
        norms = [t.norm for t in tokens]
        hits: dict[str, Hit] = {}
        memo = self._starting
        for i, norm in enumerate(norms):
            entries = memo.get(norm)
            if entries is None:
                entries = self._entries(norm)
            if not entries:
                continue  # most words start no keyword
            found: dict[str, tuple[int, tuple[str, ...]]] = {}
            for name, order, words, tail in entries:
                if name in hits or (name in found and found[name][0] <= order):
                    continue
                if not tail or tuple(norms[i + 1 : i + len(words)]) == tail:
                    found[name] = (order, words)
            if not found:
                continue  # most words start no keyword
            passive = i > 0 and norms[i - 1] in {"be", "get", "been", "got"}
            made: dict[tuple[str, ...], Hit] = {}  # skills sharing a keyword share its Hit
            for name, (_, words) in found.items():
                hit = made.get(words)
                if hit is None:
                    past = (
                        norm != words[0] and norm.endswith(("ed", "d")) and not norm.endswith("ied")
                    )
                    hit = made[words] = Hit(i, past and not passive and len(words) == 1)
                hits[name] = hit
        ids = [(e.label, e.start) for e in entities if e.label in ID_LABELS]
        if ids:
            for name, labels in self._id_labels.items():
                if name in hits:
                    continue
                start = next((at for label, at in ids if label in labels), None)
                if start is not None:
                    at = next((i for i, t in enumerate(tokens) if t.end > start), 0)
                    hits[name] = Hit(at, False)  # an id names its object as the word would
        return hits

    def _entries(self, word: str) -> tuple[KeywordEntry, ...]:
        """The keywords that a form of this word (plain_forms, in order) starts, remembered
        per word: the same words come back in every message, and most start none."""
        entries = tuple(e for form in plain_forms(word) for e in self._first.get(form, ()))
        if len(self._starting) >= MEMO_LIMIT:
            self._starting.clear()
        self._starting[word] = entries
        return entries

    def slot_evidence(self, name: str, labels: frozenset[str]) -> tuple[int, bool]:
        """How many of the skill's slot types the text names, and whether a catalog one."""
        if labels.isdisjoint(self._slot_label_sets[name]):
            return 0, False  # most skills, most messages: nothing to count
        return _slot_evidence(self._slot_labels[name], labels)

    def needs_thing(self, name: str) -> bool:
        return name in self._needs_thing


def decide(
    table: SkillTable,
    scores: Mapping[str, float],
    tokens: Sequence[Token],
    entities: Sequence[Entity],
    rules: Mapping[str, int] | None = None,
) -> Decision:
    """`rules`: skills whose declared patterns matched, at which token (rules.py)."""
    hits = table.hits(tokens, entities)
    for name, at in (rules or {}).items():  # a match is a keyword hit, where it starts
        old = hits.get(name)
        if name in table.by_name and (old is None or at < old.at):
            hits[name] = Hit(at, old.past if old else False)
    by_name = table.by_name
    labels = frozenset([e.label for e in entities]) if entities else frozenset()
    ranked = _ranked(table, scores, hits, labels, rules or {})
    none_score = scores.get(NONE_LABEL, 0.0)
    asked: float | None = None
    for minus, name, hit in ranked:
        score = -minus
        spec = by_name[name]
        floor = SIDE_EFFECT_THRESHOLD if spec.side_effect else READ_ONLY_THRESHOLD
        if score < floor or none_score > score:
            break
        declined = _declined(spec, tokens, hit) if spec.side_effect else None
        if declined == "question":
            asked = score if asked is None else asked
            continue  # a question: a read-only skill below may answer it
        if declined is not None:
            return Decision(None, round4(score), _alternatives(ranked), declined=declined)
        # The best of the others: ranked[0], unless that is this skill.
        rest = ranked[0] if ranked[0][1] != name else ranked[1] if len(ranked) > 1 else None
        close = rest is not None and -rest[0] >= AMBIGUOUS_RATIO * score
        others = _alternatives(ranked, name)
        return Decision(name, round4(score), others, ambiguous=close)
    if asked is not None:
        return Decision(None, round4(asked), _alternatives(ranked), declined="question")
    if not ranked:
        return Decision(None, 0.0, (), declined="out_of_scope")
    vague = _vague_question(tokens, table.help_words)
    if vague and HELP_SKILL in by_name:
        return Decision(HELP_SKILL, VAGUE_CONFIDENCE, _alternatives(ranked, HELP_SKILL))
    minus, name, hit = ranked[0]
    score = -minus
    why = _declined(by_name[name], tokens, hit) if by_name[name].side_effect else None
    declined = why if why in {"negated", "question"} else "out_of_scope"
    return Decision(None, round4(score), _alternatives(ranked), declined=declined)


def round4(x: float) -> float:
    """`round(x, 4)`, the same float, for a fraction of its cost (about 300 ns a call, the
    decimal conversion it goes through, five calls a message). For 0 < x < 1e6 not within
    TIE_MARGIN of a tie, the integer k nearest to x * 10000 is certain, and round() returns
    the float nearest to k / 10^4, which is what the (correctly rounded) division k / 10000
    gives; anything else, and -0.0, goes to round()."""
    if 0.0 < x < 1e6:
        scaled = x * 10000.0
        whole = int(scaled)
        part = scaled - whole  # exact: whole <= scaled < whole + 1
        if part < 0.5 - TIE_MARGIN:
            return whole / 10000.0
        if part > 0.5 + TIE_MARGIN:
            return (whole + 1) / 10000.0
    return round(x, 4)


def _alternatives(
    ranked: Sequence[tuple[float, str, Hit | None]], chosen: str | None = None
) -> tuple[Candidate, ...]:
    """The four best as candidates, or the three best besides the chosen skill among those
    four: built only for the decision taken (a Candidate costs as much as a small dict)."""
    if chosen is None:
        return tuple([Candidate(name, round4(-minus)) for minus, name, _ in ranked[:4]])
    best = [(minus, name) for minus, name, _ in ranked[:4] if name != chosen][:3]
    return tuple([Candidate(name, round4(-minus)) for minus, name in best])


def _ranked(
    table: SkillTable,
    scores: Mapping[str, float],
    hits: Mapping[str, Hit],
    labels: frozenset[str],
    rules: Mapping[str, int],
) -> list[tuple[float, str, Hit | None]]:
    """(-score, skill, hit) of every candidate, best first (then by name): negated so that
    the tuples sort by themselves, names being unique, without a key function per message."""
    # Read-only skills without their word: no slot bonus, nothing needed.
    # -min(p, 1.0) written out: no call per skill (1.0 only when p is above it, as min).
    ranked: list[tuple[float, str, Hit | None]] = [
        (-(1.0 if p > 1.0 else p), name, None)
        for name in table.read_only
        if name not in hits
        for p in (scores.get(name, 0.0) * NO_KEYWORD_FACTOR,)
    ]
    facts = table.facts
    if not labels and not rules:
        # Most messages name no entity and match no pattern: no slot evidence, no rule
        # bonus, so a skill that needs a catalog thing is out and the others score their
        # probability (+ 0.0, as the slot bonus of nothing adds).
        ranked += [
            (-(1.0 if score > 1.0 else score), name, hit)
            for name, hit in hits.items()
            if not (facts[name][0] and facts[name][1])
            for score in (scores.get(name, 0.0) + 0.0,)
        ]
        ranked.sort()
        return ranked
    for name, hit in hits.items():
        effect, needs, slot_labels, slots = facts[name]
        if labels and not labels.isdisjoint(slot_labels):
            kinds, catalog = _slot_evidence(slots, labels)
        else:
            kinds, catalog = 0, False  # most skills, most messages: nothing to count
        if effect and not catalog and needs:
            continue
        p = scores.get(name, 0.0)
        score = p + SLOT_BONUS * min(kinds, 2) * (p >= 0.1)
        if name in rules:
            score += RULE_BONUS
        ranked.append((-min(score, 1.0), name, hit))
    ranked.sort()
    return ranked


def _slot_evidence(
    slots: Sequence[tuple[str | None, SlotType]], labels: frozenset[str]
) -> tuple[int, bool]:
    """How many of these slot types the labels name, and whether a catalog one."""
    found = [kind for label, kind in slots if label in labels]
    return len(set(found)), not CATALOG_TYPES.isdisjoint(found)


def _vague_question(tokens: Sequence[Token], helpers: frozenset[str]) -> bool:
    """ "how to do it", "is there any help": no content words at all, so say what we can do."""
    words = [t.norm for t in tokens if t.norm.isalpha() or "'" in t.norm]
    if not words or len(words) > 6 or not (set(words) & (QUESTION_WORDS | helpers)):
        return False
    return all(w in STOP_WORDS or w in helpers or w.startswith("'") for w in words)


def _declined(spec: SkillSpec, tokens: Sequence[Token], hit: Hit | None) -> str | None:
    if hit is None:
        return None
    if cues.negated(tokens, hit.at) or cues.not_needed(tokens):
        return "negated"
    if cues.question_about_action(tokens):
        return "question"
    if cues.reported(tokens, hit.at, hit.past):
        return "out_of_scope"
    if spec.risk is not Risk.NONE and cues.informational(tokens):
        return "question"
    return None
