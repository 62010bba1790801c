"""Answers to a pending confirmation: yes, no or cancel, and None when unsure.

Order matters and is safe by construction: a cancel cue wins over everything, any "no" cue
blocks a yes, and a yes needs a yes cue with nothing that casts doubt on it ("but", "?",
"wait", or a long sentence about something else). An unsure reply is never a yes.
"""

from __future__ import annotations

import re

from rapidfuzz import process
from rapidfuzz.distance import OSA
from spacy.lang.en.stop_words import STOP_WORDS

CANCEL_PHRASES = (
    "never mind", "nevermind", "forget it", "forget about it", "do nothing", "nothing please",
    "please do nothing", "go away", "shut up", "be quiet", "shut your mouth", "turn off",
    "don't do", "dont do", "do not do", "stop talking", "stop listening", "leave me alone",
    "call it off", "scrap that", "scratch that", "not anymore",
)
CANCEL_WORDS = frozenset({
    "cancel", "canceled", "cancelled", "cancelling", "abort", "stop", "quit", "exit", "dismiss",
    "end", "quiet", "nevermind", "halt", "terminate",
})
NO_PHRASES = ("no way", "oh no", "not now", "not really", "i don't", "i do not", "don't want",
              "nothing much", "leave it", "rather not", "not at all", "hold off")
NO_WORDS = frozenset({
    "no", "nope", "nah", "not", "never", "negative", "reject", "rejected", "decline", "deny",
    "wrong", "nay", "later", "incorrect", "don't", "dont", "n't",
})
YES_OVERRIDES = ("no doubt", "no problem", "not a problem", "no worries", "why not", "no objection")
YES_PHRASES = (
    "do it", "go ahead", "go for it", "sounds good", "sounds great", "sounds perfect",
    "of course", "that is correct", "that's correct", "that is right", "that's right",
    "that right", "i'm sure", "i am sure", "thank you", "let's do it", "let's go", "ship it",
    "make it so", "please do", "all good", "looks good", "lgtm", "sure thing", "why not",
    "no doubt", "no problem", "not a problem",
)
YES_WORDS = frozenset({
    "yes", "y", "yeah", "yea", "ya", "yep", "yup", "yas", "sure", "ok", "okay", "k", "kk",
    "confirm", "confirmed", "fine", "great", "perfect", "right", "correct", "good", "cool",
    "absolutely", "definitely", "affirmative", "approve", "approved", "proceed", "agreed",
    "certainly", "indeed", "alright", "thanks", "yess", "yesss", "aye", "roger",
})
DOUBT_WORDS = frozenset({"but", "wait", "if", "unless", "maybe", "perhaps", "instead", "hmm",
                         "not", "only", "except", "dunno", "unsure", "which", "what"})
MAX_YES_WORDS = 8
VOCABULARY = tuple(sorted(w for w in CANCEL_WORDS | NO_WORDS | YES_WORDS if len(w) >= 4))


def _words(text: str) -> list[str]:
    raw = re.findall(r"[a-z']+", text.lower().replace("’", "'"))
    out = []
    for word in raw:
        if len(word) >= 5 and word not in VOCABULARY and word not in STOP_WORDS:
            found = process.extractOne(word, VOCABULARY, scorer=OSA.distance, score_cutoff=1)
            word = found[0] if found and found[0][0] == word[0] else word
        out.append(word)
    return out


def read_reply(text: str) -> str | None:
    """'yes', 'no', 'cancel' or None."""
    words = _words(text)
    if not words:
        return None
    joined = " " + " ".join(words) + " "
    has = lambda phrases: any(f" {p} " in joined for p in phrases)  # noqa: E731
    if has(CANCEL_PHRASES) or CANCEL_WORDS & set(words):
        return "cancel"
    if has(YES_OVERRIDES):
        doubtless = joined
        for phrase in YES_OVERRIDES:
            doubtless = doubtless.replace(f" {phrase} ", " ")
        if not (NO_WORDS & set(doubtless.split())):
            return None if _doubtful(text, doubtless.split()) else "yes"
    if has(NO_PHRASES) or NO_WORDS & set(words):
        return "no"
    if (has(YES_PHRASES) or YES_WORDS & set(words)) and not _doubtful(text, words):
        return "yes"
    return None


def _doubtful(text: str, words: list[str]) -> bool:
    return "?" in text or bool(DOUBT_WORDS & set(words)) or len(words) > MAX_YES_WORDS
