"""Answers to a pending confirmation: yes, no or cancel, and None when unsure.

Order matters and is safe by construction: a cancel cue wins over everything, any "no" cue
blocks a yes, and a yes needs a yes cue with nothing that casts doubt on it ("but", "?",
"wait", or a long sentence about something else). An unsure reply is never a yes.

Consent is explicit: thanks, "cool" or "later" are not answers (thanks alone is not consent
to act), and a sentence about something else ("my wifi is not working in room B") is not a
"no" because it contains "not": a reply with more than `MAX_OTHER_WORDS` words that are
neither reply words nor function words is about something else, and is None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from rapidfuzz import process
from rapidfuzz.distance import OSA
from spacy.lang.en.stop_words import STOP_WORDS

CANCEL_PHRASES = (
    "never mind",
    "nevermind",
    "forget it",
    "forget about it",
    "do nothing",
    "nothing please",
    "please do nothing",
    "go away",
    "shut up",
    "be quiet",
    "shut your mouth",
    "turn off",
    "don't do",
    "dont do",
    "do not do",
    "stop talking",
    "stop listening",
    "leave me alone",
    "call it off",
    "scrap that",
    "scratch that",
    "not anymore",
)
CANCEL_WORDS = frozenset(
    {
        "cancel",
        "canceled",
        "cancelled",
        "cancelling",
        "abort",
        "stop",
        "quit",
        "exit",
        "dismiss",
        "end",
        "quiet",
        "nevermind",
        "halt",
        "terminate",
    }
)
NO_PHRASES = (
    "no way",
    "oh no",
    "not now",
    "not really",
    "i don't",
    "i do not",
    "don't want",
    "nothing much",
    "leave it",
    "rather not",
    "not at all",
    "hold off",
)
NO_WORDS = frozenset(
    {
        "no",
        "nope",
        "nah",
        "not",
        "never",
        "negative",
        "reject",
        "rejected",
        "decline",
        "deny",
        "wrong",
        "nay",
        "incorrect",
        "don't",
        "dont",
        "n't",
    }
)
YES_OVERRIDES = ("no doubt", "no problem", "not a problem", "no worries", "why not", "no objection")
YES_PHRASES = (
    "do it",
    "go ahead",
    "go for it",
    "sounds good",
    "sounds great",
    "sounds perfect",
    "of course",
    "that is correct",
    "that's correct",
    "that is right",
    "that's right",
    "that right",
    "i'm sure",
    "i am sure",
    "let's do it",
    "let's go",
    "ship it",
    "make it so",
    "please do",
    "all good",
    "looks good",
    "lgtm",
    "sure thing",
    "why not",
    "no doubt",
    "no problem",
    "not a problem",
)
YES_WORDS = frozenset(
    {
        "yes",
        "y",
        "yeah",
        "yea",
        "ya",
        "yep",
        "yup",
        "yas",
        "sure",
        "ok",
        "okay",
        "k",
        "kk",
        "confirm",
        "confirmed",
        "fine",
        "great",
        "perfect",
        "right",
        "correct",
        "good",
        "absolutely",
        "definitely",
        "affirmative",
        "approve",
        "approved",
        "proceed",
        "agreed",
        "certainly",
        "indeed",
        "alright",
        "yess",
        "yesss",
        "aye",
        "roger",
    }
)
UNSURE_PHRASES = (
    "not sure",
    "good morning",
    "good afternoon",
    "good evening",
    "good night",
    "no idea",
    "not yet sure",
    "i don't know",
    "don't know",
    "dont know",
    "no clue",
)
# Words of an explicit yes: what a high-risk action (risk high, or prod) needs when typed.
EXPLICIT_YES = frozenset({"yes", "confirm", "confirmed", "approve", "proceed"})
FILLER = frozenset(
    {
        "oh",
        "hey",
        "please",
        "just",
        "now",
        "sorry",
        "thanks",
        "thank",
        "said",
        "mean",
        "anymore",
        "quite",
        "exactly",
        "even",
        "close",
        "like",
        "want",
        "much",
        "does",
        "very",
        "sounds",
        "bro",
        "buddy",
        "man",
        "dude",
        "mate",
        "god",
        "gosh",
        "lol",
        "haha",
    }
)
MAX_OTHER_WORDS = 1
MAX_OTHER_WORDS_CANCEL = 2  # "i said stop talking": a cancel may say a little more
assert MAX_OTHER_WORDS_CANCEL >= MAX_OTHER_WORDS  # _about_something_else's first look
DOUBT_WORDS = frozenset(
    {
        "but",
        "wait",
        "if",
        "unless",
        "maybe",
        "perhaps",
        "instead",
        "hmm",
        "not",
        "only",
        "except",
        "dunno",
        "unsure",
        "which",
        "what",
    }
)
MAX_YES_WORDS = 8
VOCABULARY = tuple(sorted(w for w in CANCEL_WORDS | NO_WORDS | YES_WORDS if len(w) >= 4))


WORD = re.compile(r"[a-z']+")
KNOWN = frozenset(VOCABULARY)
REPLY_WORDS = CANCEL_WORDS | NO_WORDS | YES_WORDS | FILLER
# Every reply phrase, spaced for blanking, with the words it is made of.
PHRASE_WORDS = tuple(
    (f" {p} ", frozenset(p.split()))
    for p in (*CANCEL_PHRASES, *NO_PHRASES, *YES_PHRASES, *YES_OVERRIDES)
)
# The phrases as looked for in a reply (" word word "), spaced once here instead of per
# phrase per message.
SPACED_UNSURE = frozenset(f" {p} " for p in UNSURE_PHRASES)
SPACED_CANCEL = frozenset(f" {p} " for p in CANCEL_PHRASES)
SPACED_OVERRIDES = tuple(f" {p} " for p in YES_OVERRIDES)  # in order: blanked one by one
OVERRIDES = frozenset(SPACED_OVERRIDES)
SPACED_NO = frozenset(f" {p} " for p in NO_PHRASES)
SPACED_YES = frozenset(f" {p} " for p in YES_PHRASES)
# Per word, the spaced phrases that contain it. A phrase is in a reply only if each of its
# words is, so a reply's candidate phrases come from its own few words ("help" has none)
# instead of trying every phrase of every list on every message.
_BY_WORD: Mapping[str, tuple[tuple[str, frozenset[str]], ...]] = MappingProxyType(
    {
        word: tuple(
            (f" {p} ", frozenset(p.split()))
            for p in dict.fromkeys(
                (*UNSURE_PHRASES, *CANCEL_PHRASES, *NO_PHRASES, *YES_PHRASES, *YES_OVERRIDES)
            )
            if word in p.split()
        )
        for word in {
            w
            for p in (*UNSURE_PHRASES, *CANCEL_PHRASES, *NO_PHRASES, *YES_PHRASES, *YES_OVERRIDES)
            for w in p.split()
        }
    }
)
# Words that never count as "other": reply words, function words, and any word of a phrase
# (blanked with it). Every other word of a text counts.
NEVER_OTHER = REPLY_WORDS | STOP_WORDS | frozenset(w for _, ws in PHRASE_WORDS for w in ws)


@lru_cache(maxsize=4096)
def _as_reply_word(word: str) -> str:
    """One typo from a reply word ("yess", "cancle") is that word. Remembered per word: the
    same few thousand words come back all day."""
    if len(word) < 5 or word in KNOWN or word in STOP_WORDS:
        return word
    found = process.extractOne(word, VOCABULARY, scorer=OSA.distance, score_cutoff=1)
    return found[0] if found and found[0][0] == word[0] else word


def _words(text: str) -> list[str]:
    return [_as_reply_word(w) for w in WORD.findall(text.lower().replace("’", "'"))]


def _possible(present: set[str]) -> set[str]:
    """The spaced phrases all of whose words are in `present`: the only ones a text of
    these words can contain."""
    return {
        phrase
        for word in present.intersection(_BY_WORD)
        for phrase, needs in _BY_WORD[word]
        if needs <= present
    }


def read_reply(text: str) -> str | None:
    """'yes', 'no', 'cancel' or None."""
    words = _words(text)
    if not words or _about_something_else(words):
        return None
    joined = " " + " ".join(words) + " "
    possible = _possible(set(words))

    def has(phrases: frozenset[str]) -> bool:
        return any([phrase in joined for phrase in possible.intersection(phrases)])

    if has(SPACED_UNSURE):
        return None
    if has(SPACED_CANCEL) or CANCEL_WORDS & set(words):
        return "cancel"
    if has(OVERRIDES):
        doubtless = joined
        for phrase in SPACED_OVERRIDES:
            doubtless = doubtless.replace(phrase, " ")
        if not (NO_WORDS & set(doubtless.split())):
            return None if _doubtful(text, doubtless.split()) else "yes"
    if has(SPACED_NO) or NO_WORDS & set(words):
        return "no"
    if (has(SPACED_YES) or YES_WORDS & set(words)) and not _doubtful(text, words):
        return "yes"
    return None


def _doubtful(text: str, words: list[str]) -> bool:
    return "?" in text or bool(DOUBT_WORDS & set(words)) or len(words) > MAX_YES_WORDS


def _about_something_else(words: list[str]) -> bool:
    """More words than a reply has that no reply is made of: a sentence of its own."""
    # Words that no phrase contains stay whatever is blanked: when they alone are too many
    # (most messages that are not replies), the phrases need not be looked at; more than
    # either limit needs no look at the cancel words either.
    others = len([w for w in words if w not in NEVER_OTHER])
    if others > MAX_OTHER_WORDS_CANCEL:
        return True
    present = set(words)
    limit = MAX_OTHER_WORDS_CANCEL if not CANCEL_WORDS.isdisjoint(present) else MAX_OTHER_WORDS
    if others > limit:
        return True
    rest = " " + " ".join(words) + " "
    possible = _possible(present)
    # In order, repeats too: one blanking can uncover another ("no problem no problem").
    for phrase, _ in PHRASE_WORDS if possible else ():
        if phrase in possible:  # blanking only drops words: a phrase needs all of its own
            rest = rest.replace(phrase, " ")
    other = [w for w in rest.split() if w not in REPLY_WORDS and w not in STOP_WORDS]
    return len(other) > limit


def explicit_yes(text: str) -> bool:
    """A typed consent strong enough for a high-risk action: "yes" (or "confirm", "approve",
    "proceed") said plainly, with nothing doubtful, no other content and no "no"."""
    words = _words(text)
    return (
        read_reply(text) == "yes"
        and bool(EXPLICIT_YES & set(words))
        and not (NO_WORDS & set(words))
    )
