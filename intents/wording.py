"""What the words of a message become on the way to the classifier.

Words split by a space that make one of ours ("pass word"), a second typo look at words
near a keyword the message already names ("rest my vpn"), and the text the classifier
reads: corrected lower-case words without articles and politeness, plurals of our words
made singular, placeholders for ids, versions and durations. Built per skill set
(`Understander.reload`); per message it is plain Python over a few tokens.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

from rapidfuzz.distance import OSA
from spacy.lang.en.stop_words import STOP_WORDS

from intents.entities import Entity
from intents.text import MEMO_LIMIT, Token
from skills.api import SkillSpec

WORD_RE = re.compile(r"[a-z]+")
PLACEHOLDERS = {
    "TICKET": "ticketid",
    "CHANGE": "changeid",
    "VERSION": "versionnumber",
    "DURATION": "timespan",
    "INCIDENT": "incidentid",
}
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

# What class_text leaves out, in one set: one look-up per word instead of two.
SKIPPED = NOISE | POLITE


class Wording:
    """The word-level steps of a message, for one skill set: `vocabulary` (the words that
    decide something) and `neighbours` (per keyword word, the word sets of the skills that
    use it, see `neighbour_words`)."""

    def __init__(
        self, vocabulary: frozenset[str], neighbours: Mapping[str, tuple[frozenset[str], ...]]
    ) -> None:
        self.vocabulary = vocabulary
        self._neighbours = neighbours
        # Every way one of our joinable words starts: a message with none of them as a
        # word has no two words that join, and skips the pairwise look.
        self._heads = frozenset(
            v[:k] for v in vocabulary if len(v) >= 6 and v.isalpha() for k in range(1, len(v))
        )
        # The words two may join into (what `joined` looks for), for one look-up per pair.
        self._joinable = frozenset(v for v in vocabulary if len(v) >= 6 and v.isalpha())
        # Every typo target of `in_context` by its first letter, the one a target must share.
        initials: dict[str, set[str]] = {}
        for sets in neighbours.values():
            for words in sets:
                for word in words:
                    initials.setdefault(word[:1], set()).add(word)
        self._initials = {first: frozenset(words) for first, words in initials.items()}
        self._near: dict[str, frozenset[str]] = {}  # see _near_words

    def joined(self, tokens: list[Token]) -> list[Token]:
        """Words split by a space that make one of our words ("pass word" -> password)."""
        norms = [t.norm for t in tokens]
        if self._heads.isdisjoint(norms[:-1]):
            return tokens
        # Most messages have a word that starts one of ours (short words do), but no pair
        # that makes one: one set look-up per pair before the loop that builds tokens.
        joinable = self._joinable
        if not any([a + b in joinable for a, b in pairwise(norms)]):
            return tokens
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
                and joined in self.vocabulary
                and after.start - here.end <= 1
            ):
                out.append(Token(f"{here.text} {after.text}", here.start, after.end, joined))
                skip = True
            else:
                out.append(here)
        return out

    def in_context(self, tokens: list[Token]) -> list[Token]:
        """Second look at ordinary words one typo away from a keyword of a skill the text
        already points at: "rest my vpn" is "reset my vpn", "i need some rest" stays rest."""
        present = {t.norm for t in tokens}
        sets = [ws for p in present for ws in self._neighbours.get(p, ())]
        if not sets:
            return tokens
        targets: frozenset[str] | None = None  # built for the first word that has near ones
        memo = self._near
        out: list[Token] | None = None
        for i, tok in enumerate(tokens):
            word = tok.norm
            if tok.corrected or len(word) < 4 or not word.isalpha():
                continue
            near = memo.get(word)
            if near is None:
                near = self._near_words(word)
            if not near:
                continue  # most words: no keyword word one edit away
            if targets is None:
                targets = frozenset().union(*sets) - present
            # The alphabetically first target one edit away; none is the word itself, the
            # text's own words not being targets.
            best = min(near & targets, default=None)
            if best is not None:
                out = list(tokens) if out is None else out
                out[i] = Token(tok.text, tok.start, tok.end, best, True)
        return tokens if out is None else out

    def _near_words(self, word: str) -> frozenset[str]:
        """Keyword words (of any skill) one edit from this word with the same first letter
        (a wrong first letter is another word), remembered per word: which of them count
        depends on the message, but not the edit distances. One edit changes the length by
        one at most, which rules most out before rapidfuzz is asked; its cutoff lets it stop
        early."""
        found = self._near.get(word)
        if found is None:
            size = len(word)
            found = frozenset(
                k
                for k in self._initials.get(word[0], ())
                if -1 <= len(k) - size <= 1 and OSA.distance(word, k, score_cutoff=1) <= 1
            )
            if len(self._near) >= MEMO_LIMIT:
                self._near.clear()
            self._near[word] = found
        return found

    def class_text(self, tokens: Sequence[Token], entities: Sequence[Entity]) -> str:
        """What the classifier reads: corrected lower-case words without articles and
        politeness, plurals of vocabulary words made singular, and placeholders for ids,
        versions and durations, so that the words that carry the request stand together."""
        spans = [
            (e.start, e.end, PLACEHOLDERS[e.label]) for e in entities if e.label in PLACEHOLDERS
        ]
        norms = [t.norm for t in tokens]
        if not spans and ASKING.isdisjoint(norms):
            # Most messages: no placeholder and no "could you", so each word stands alone.
            kept = [norm for norm in norms if norm not in SKIPPED]
            return " ".join([self._singular(w) if w[-1:] == "s" else w for w in kept])
        words: list[str] = []
        vocabulary = self.vocabulary
        for i, tok in enumerate(tokens):
            place = next((p for s, e, p in spans if s <= tok.start < e), None) if spans else None
            if place is None:
                norm = norms[i]
                if norm in SKIPPED:
                    continue
                if (norm in ASKING and norms[i + 1 : i + 2] == ["you"]) or (
                    norm == "you" and i and norms[i - 1] in ASKING
                ):
                    continue  # "could you ...": how it is asked, not what
                if norm[-1:] == "s":  # "services" -> "service", "passes" -> "pass"
                    if norm[:-1] in vocabulary:
                        norm = norm[:-1]
                    elif norm[:-2] in vocabulary:
                        norm = norm[:-2]
                words.append(norm)
            elif not words or words[-1] != place:
                words.append(place)
        return " ".join(words)

    def _singular(self, word: str) -> str:
        """A plural of a vocabulary word made singular (as class_text does inline)."""
        if word[:-1] in self.vocabulary:
            return word[:-1]
        return word[:-2] if word[:-2] in self.vocabulary else word


def neighbour_words(
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


def recurring_words(skills: Iterable[SkillSpec]) -> set[str]:
    """Words a skill's own examples keep using ("account" for account.unlock): typos of them
    ("acount") are worth correcting, though they are not keywords that pick the skill."""
    out: set[str] = set()
    for spec in skills:
        counts = Counter(w for e in spec.examples for w in set(WORD_RE.findall(e.lower())))
        out |= {w for w, n in counts.items() if n >= 3 and len(w) >= 5 and w not in STOP_WORDS}
    return out
