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
from intents.text import Token, plain_forms
from skills.api import Risk, SkillSpec

SIDE_EFFECT_THRESHOLD = 0.42
READ_ONLY_THRESHOLD = 0.25
NO_KEYWORD_FACTOR = 0.6
SLOT_BONUS = 0.1
AMBIGUOUS_RATIO = 0.75
RISKY = frozenset({Risk.MEDIUM, Risk.HIGH})
HELP_SKILL = "help"
VAGUE_CONFIDENCE = 0.3
QUESTION_WORDS = frozenset({"how", "what", "who", "which", "any", "anything"})


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a skill's keyword was found; `past` when only its past form was ("restarted")."""

    at: int
    past: bool


@dataclass(frozen=True, slots=True)
class Decision:
    skill: str | None
    confidence: float
    ranked: tuple[Candidate, ...]
    ambiguous: bool = False
    declined: str | None = None


def keyword_hit(tokens: Sequence[Token], keywords: Sequence[tuple[str, ...]]) -> Hit | None:
    """First token where one of the keywords (single or multi-word) starts."""
    norms = [t.norm for t in tokens]
    for i, norm in enumerate(norms):
        forms = plain_forms(norm)
        for words in keywords:
            if words[0] not in forms or tuple(norms[i + 1 : i + len(words)]) != words[1:]:
                continue
            past = norm != words[0] and norm.endswith(("ed", "d")) and not norm.endswith("ied")
            passive = i > 0 and norms[i - 1] in {"be", "get", "been", "got"}
            return Hit(i, past and not passive and len(words) == 1)
    return None


def _id_hit(spec: SkillSpec, tokens: Sequence[Token], entities: Sequence[Entity]) -> Hit | None:
    """A ticket or change id names its object as surely as the word "ticket" does."""
    labels = {LABELS.get(s.type) for s in spec.slots} & {"TICKET", "CHANGE"}
    for entity in entities:
        if entity.label in labels:
            at = next((i for i, t in enumerate(tokens) if t.end > entity.start), 0)
            return Hit(at, False)
    return None


def _slot_evidence(spec: SkillSpec, entities: Sequence[Entity]) -> tuple[int, bool]:
    labels = {e.label for e in entities}
    found = [s for s in spec.slots if LABELS.get(s.type) in labels]
    catalog = any(s.type in CATALOG_TYPES for s in found)
    return len({s.type for s in found}), catalog


def decide(
    specs: Sequence[SkillSpec],
    keywords: Mapping[str, tuple[tuple[str, ...], ...]],
    scores: Mapping[str, float],
    tokens: Sequence[Token],
    entities: Sequence[Entity],
) -> Decision:
    ranked: list[tuple[float, str, Hit | None]] = []
    for spec in specs:
        p = scores.get(spec.name, 0.0)
        hit = keyword_hit(tokens, keywords.get(spec.name, ())) or _id_hit(spec, tokens, entities)
        if spec.side_effect and hit is None:
            continue
        kinds, catalog = _slot_evidence(spec, entities)
        needs_thing = spec.risk in RISKY and any(s.type in CATALOG_TYPES for s in spec.slots)
        if spec.side_effect and needs_thing and not catalog:
            continue
        score = p if hit else p * NO_KEYWORD_FACTOR
        if hit:
            score += SLOT_BONUS * min(kinds, 2) * (p >= 0.1)
        ranked.append((min(score, 1.0), spec.name, hit))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    candidates = tuple(Candidate(name, round(score, 4)) for score, name, _ in ranked[:4])
    by_name = {spec.name: spec for spec in specs}
    none_score = scores.get(NONE_LABEL, 0.0)
    asked: float | None = None
    for score, name, hit in ranked:
        spec = by_name[name]
        floor = SIDE_EFFECT_THRESHOLD if spec.side_effect else READ_ONLY_THRESHOLD
        if score < floor or none_score > score:
            break
        declined = _declined(spec, tokens, hit) if spec.side_effect else None
        if declined == "question":
            asked = score if asked is None else asked
            continue  # a question: a read-only skill below may answer it
        if declined is not None:
            return Decision(None, round(score, 4), candidates, declined=declined)
        rest = [r for r in ranked if r[1] != name]
        close = bool(rest) and rest[0][0] >= AMBIGUOUS_RATIO * score
        others = tuple(c for c in candidates if c.skill != name)[:3]
        return Decision(name, round(score, 4), others, ambiguous=close)
    if asked is not None:
        return Decision(None, round(asked, 4), candidates, declined="question")
    if not ranked:
        return Decision(None, 0.0, candidates, declined="out_of_scope")
    vague = _vague_question(tokens, keywords.get(HELP_SKILL, ()))
    if vague and HELP_SKILL in by_name:
        others = tuple(c for c in candidates if c.skill != HELP_SKILL)[:3]
        return Decision(HELP_SKILL, VAGUE_CONFIDENCE, others)
    score, name, hit = ranked[0]
    why = _declined(by_name[name], tokens, hit) if by_name[name].side_effect else None
    declined = why if why in {"negated", "question"} else "out_of_scope"
    return Decision(None, round(score, 4), candidates, declined=declined)


def _vague_question(tokens: Sequence[Token], help_words: Sequence[tuple[str, ...]]) -> bool:
    """"how to do it", "is there any help": no content words at all, so say what we can do."""
    words = [t.norm for t in tokens if t.norm.isalpha() or "'" in t.norm]
    helpers = {w for k in help_words for w in k}
    if not words or len(words) > 6 or not (set(words) & (QUESTION_WORDS | helpers)):
        return False
    return all(w in STOP_WORDS or w in helpers or w.startswith("'") for w in words)


def _declined(spec: SkillSpec, tokens: Sequence[Token], hit: Hit | None) -> str | None:
    if hit is None:
        return None
    if cues.negated(tokens, hit.at):
        return "negated"
    if cues.question_about_action(tokens):
        return "question"
    if cues.reported(tokens, hit.at, hit.past):
        return "out_of_scope"
    if spec.risk is not Risk.NONE and cues.informational(tokens):
        return "question"
    return None
