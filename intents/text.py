"""Tokens with their place in the typed text, and typo correction against the words that matter.

Correction only maps a word onto the vocabulary that decides something (skill keywords,
catalog names and aliases) and never touches a word we know to be ordinary English: an
ordinary word turned into a catalog name is how a bot deploys on small talk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA
from spacy.attrs import IDX, LENGTH
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language

MEMO_LIMIT = 50_000


@dataclass(slots=True)
class Token:
    """One token: the typed text, its offsets, and the lower-case (maybe corrected) form.

    Not frozen, though nothing changes a token once made (joined and in_context make new
    ones): a frozen dataclass sets each field through object.__setattr__, which made the
    tokens of a message cost four times as much to build, every word of every message."""

    text: str
    start: int
    end: int
    norm: str
    corrected: bool = False


@lru_cache(maxsize=MEMO_LIMIT)
def plain_forms(word: str) -> tuple[str, ...]:
    """The word and its likely base forms (plural, -ing, -ed): cheap stemming for matching.
    Remembered per word: every token of every message and every keyword asks."""
    forms = [word]
    for suffix in ("ies", "es", "s", "ing", "ed", "d"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            forms.append(stem + "y" if suffix == "ies" else stem)
            if suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2]:
                forms.append(stem[:-1])  # "stopped" -> "stop"
    return tuple(forms)


class Corrector:
    """Corrects unknown words to the nearest vocabulary word within one or two edits."""

    def __init__(self, vocabulary: Iterable[str], known: Iterable[str]) -> None:
        vocab = {w for w in vocabulary if w.isalpha()}
        self._targets = sorted(w for w in vocab if len(w) >= 4)
        self._short = {w[:2]: w for w in sorted(vocab) if len(w) == 3}
        self._known = frozenset(vocab) | frozenset(known) | STOP_WORDS
        self._memo: dict[str, str] = {}

    @property
    def remembered(self) -> Callable[[str], str | None]:
        """A look-up of corrections already made (None for a word not seen yet)."""
        return self._memo.get

    def correct(self, word: str) -> str:
        """The word, or the vocabulary word it is a typo of. Remembered per word: the same
        words come back in every message, and the checks below cost more than a look-up."""
        found = self._memo.get(word)
        if found is None:
            found = self._correct(word)
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            self._memo[word] = found
        return found

    def _correct(self, word: str) -> str:
        if len(word) == 3 and word.isalpha() and word not in self._known:
            return self._short.get(word[:2], word)  # "vpm" -> "vpn": the last key slipped
        if len(word) < 4 or not word.isalpha() or word in self._known:
            return word
        if any(form in self._known for form in plain_forms(word)[1:]):
            return word
        return self._lookup(word)

    def _lookup(self, word: str) -> str:
        edits = 1 if len(word) < 8 else 2
        best = process.extractOne(word, self._targets, scorer=OSA.distance, score_cutoff=edits)
        if best is None:
            return word
        target = best[0]
        # A wrong first letter is rare in typing and common between different words.
        if target[0] != word[0] and len(word) < 6:
            return word
        return target


def tokenize(nlp: Language, text: str, corrector: Corrector) -> list[Token]:
    """Tokenize with spaCy's English rules; keep offsets into the typed text.

    Each token's offset and length come out of the Doc as one array: a spaCy `Token` object
    per word (text, idx, lower_, is_space) cost more than the tokenizer itself. A token is
    its slice of the text; its lower-case form and whether it is space are the lexeme's
    (`str.lower`, `str.isspace`), worked out here the same way."""
    tokens: list[Token] = []
    append, known = tokens.append, corrector.remembered
    for idx, length in nlp.make_doc(text).to_array([IDX, LENGTH]).tolist():
        word = text[idx : idx + length]
        if word.isspace():
            continue
        lower = word.lower()
        norm = known(lower) or corrector.correct(lower)  # the memo first: one call, not two
        append(Token(word, idx, idx + length, norm, norm != lower))
    return tokens
