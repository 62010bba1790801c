"""Rule matchers that skills declare: spaCy `Matcher` token patterns, one Matcher per skill set.

A classifier learns from a dozen examples; a skill author sometimes knows an exact phrasing
that must count ("bounce <service>", "roll back"). A pattern match is evidence like the
skill's keyword (decide.py), and adds to its score. Patterns run on the corrected lower-case
tokens, with catalog entities set as `ENT_TYPE` (SERVICE, ENV, PERSON, DATE, ...), so a
pattern may say `{"ENT_TYPE": "SERVICE"}`. Everything is built at (re)load, never per message.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from spacy.errors import MatchPatternError
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

from intents.entities import Entity
from intents.text import Token
from skills.api import SkillSpec

log = logging.getLogger(__name__)
TEXT_KEYS = frozenset({"LOWER", "ORTH", "TEXT", "NORM"})


def plain(value: Any, key: str = "") -> Any:
    """A pattern as spaCy wants it: lists, not tuples (SkillSpec keeps tuples to stay
    frozen), and text values lower-case, since patterns see the lower-case tokens."""
    if isinstance(value, Mapping):
        return {
            k: plain(v, str(k).upper() if str(k).upper() in TEXT_KEYS else key)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [plain(v, key) for v in value]
    return value.lower() if key and isinstance(value, str) else value


def pattern_problem(pattern: Any) -> str | None:
    """Why a pattern is refused (one line), or None when it is valid. Besides spaCy's own
    checks, a pattern must name at least one word it requires: `[{}]` would match every
    message, and a match counts as strong evidence for a skill."""
    if not isinstance(pattern, list | tuple) or not all(isinstance(t, Mapping) for t in pattern):
        return "a pattern is a list of token tables, e.g. [{LOWER: 'flush'}, {LOWER: 'cache'}]"
    try:
        Matcher(Vocab(), validate=True).add("check", [plain(pattern)])
    except (MatchPatternError, ValueError, TypeError, KeyError) as exc:
        return " ".join(str(exc).split())[:300]
    if not any(
        TEXT_KEYS & {str(k).upper() for k in t} and t.get("OP", "1") in ("1", "+") for t in pattern
    ):
        return "the pattern must require at least one word (LOWER, ORTH, TEXT or NORM)"
    return None


def pattern_words(patterns: Iterable[Sequence[Mapping[str, Any]]]) -> set[str]:
    """The literal words patterns name: typo correction should reach them too."""
    words: set[str] = set()
    for pattern in patterns:
        for token in pattern:
            for key, value in token.items():
                if key.upper() not in TEXT_KEYS:
                    continue
                values = value.get("IN", ()) if isinstance(value, Mapping) else (value,)
                words |= {v.lower() for v in values if isinstance(v, str)}
    return words


class SkillRules:
    """The skills' patterns in Matchers, one per set of words a pattern needs first; a bad
    pattern is logged and left out, so one faulty plug-in cannot stop the assistant
    (manifests are validated before they are stored).

    A message runs only the Matchers whose words it has (most messages: none), instead of
    one Matcher of every pattern: spaCy tries each pattern's first token (set predicates in
    Python) on every token, which for a message naming one skill's word was mostly work
    for the others. A pattern's gate is every required token that names words ("what ...
    on fire" needs "what" or its like, "on" and "fire"), looked up by its first. Patterns
    that need no word (REGEX only) are in a Matcher run always."""

    def __init__(self, vocab: Vocab, specs: Sequence[SkillSpec]) -> None:
        self._vocab = vocab
        self.words: set[str] = set()
        self._matchers: list[Matcher] = []
        self._always: list[int] = []  # Matchers of patterns that need no particular word
        self._by_word: dict[str, list[int]] = {}  # a needed word -> the Matchers needing it
        self._gates: list[tuple[frozenset[str], ...]] = []  # per Matcher: each must be met
        # Per Matcher: whether a pattern of it reads entities (ENT_TYPE and the like); a
        # message whose open gates need none skips marking its entities on the Doc.
        self._reads_entities: list[bool] = []
        gates: dict[tuple[frozenset[str], ...], int] = {}
        for spec in specs:
            for pattern in spec.patterns:
                problem = pattern_problem(pattern)
                if problem is not None:
                    log.warning("skill %s: pattern %s left out: %s", spec.name, pattern, problem)
                    continue
                good = plain(pattern)
                self.words |= pattern_words([good])
                gate = _needed(good)
                if gate not in gates:
                    gates[gate] = len(self._matchers)
                    self._matchers.append(Matcher(vocab))
                    self._gates.append(gate)
                    self._reads_entities.append(False)
                    if not gate:
                        self._always.append(gates[gate])
                    for word in gate[0] if gate else ():
                        self._by_word.setdefault(word, []).append(gates[gate])
                self._matchers[gates[gate]].add(spec.name, [good])
                if _reads_entities(good):
                    self._reads_entities[gates[gate]] = True
        self.active = bool(self._matchers)

    def match(self, tokens: Sequence[Token], entities: Sequence[Entity]) -> dict[str, int]:
        """Per skill, the token index where its first pattern match starts."""
        if not self.active or not tokens:
            return {}
        norms = [t.norm for t in tokens]
        present = set(norms)
        by_word = self._by_word
        if present.isdisjoint(by_word) and not self._always:
            return {}  # most messages: no word opens a gate
        wanted = {
            i
            for word in present.intersection(by_word)  # most words open no gate
            for i in by_word[word]
            if all(not words.isdisjoint(present) for words in self._gates[i][1:])
        }
        wanted.update(self._always)
        if not wanted:
            return {}  # most messages: no Doc, no Matcher
        doc = Doc(self._vocab, words=norms)
        if entities and any([self._reads_entities[i] for i in wanted]):
            starts = [t.start for t in tokens]
            spans = []
            for entity in entities:
                first, last = bisect_left(starts, entity.start), bisect_left(starts, entity.end)
                if first < last:
                    spans.append(Span(doc, first, last, label=entity.label))
            doc.ents = filter_spans(spans)
        found: dict[str, int] = {}
        for index in sorted(wanted):
            for key, start, _ in self._matchers[index](doc):
                name = self._vocab.strings[key]
                found[name] = min(start, found.get(name, start))
        return found


def _reads_entities(pattern: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a token of the pattern asks about entities (ENT_TYPE, ENT_IOB, ENT_ID...),
    the only attributes that setting `Doc.ents` changes, or about a custom extension ("_"),
    which might read them."""
    keys = [str(key).upper() for token in pattern for key in token]
    return any([key.startswith("ENT_") or key == "_" for key in keys])


def _needed(pattern: Sequence[Mapping[str, Any]]) -> tuple[frozenset[str], ...]:
    """The words of each required token that names words, in pattern order: a message
    without one of each cannot match, so it skips the Matcher (set look-ups per message)."""
    needed = []
    for token in pattern:
        if token.get("OP", "1") in ("1", "+"):
            words = pattern_words([[{k: v for k, v in token.items() if k != "OP"}]])
            if words:
                needed.append(frozenset(words))
    return tuple(needed)
