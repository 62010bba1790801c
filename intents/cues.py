"""Cues that turn a text about an action into something other than a command.

"don't restart billing" (negated), "did someone restart checkout?" (a question about the
past), "the deploy went fine" (a report). Inability ("i can't unlock my account") and broken
things ("my vpn is not working") are requests, so only cues that scope the command count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from intents.text import Token

DRY_RUN_RE = re.compile(r"(--dry-run\b|\bdry[\s-]?run\b)", re.I)
NEGATORS = frozenset({"dont", "never", "shouldnt", "mustnt", "without", "avoid", "stop"})
NEGATOR_PAIRS = frozenset(
    {
        ("do", "n't"),
        ("do", "not"),
        ("no", "need"),
        ("not", "to"),
        ("should", "not"),
        ("should", "n't"),
        ("must", "not"),
        ("must", "n't"),
        ("please", "dont"),
    }
)
# Anywhere in the message, these say the action is not wanted ("my vpn works again, no need
# to reset it"): the negation need not stand right before the command word.
NOT_NEEDED = (
    ("no", "need"),
    ("works", "again"),
    ("working", "again"),
    ("fixed", "itself"),
    ("not", "needed"),
    ("no", "longer"),
    ("never", "mind"),
)
NOT_NEEDED_FIRST = frozenset(first for first, _ in NOT_NEEDED)
PAST_QUESTION_START = frozenset(
    {
        "did",
        "has",
        "have",
        "had",
        "was",
        "were",
        "why",
        "when",
        "who",
        "whom",
        "didnt",
        "hasnt",
        "wasnt",
    }
)
INFO_QUESTION_START = frozenset(
    {"how", "what", "what's", "whats", "where", "which", "is", "are", "does", "do"}
)
REQUEST_OPENERS = frozenset({"can", "could", "would", "will", "please", "may"})
REPORT_VERBS = frozenset(
    {
        "went",
        "was",
        "were",
        "worked",
        "succeeded",
        "finished",
        "completed",
        "happened",
        "is",
        "looks",
        "looked",
        "seems",
        "seemed",
        "passed",
        "failed",
        "broke",
        "took",
    }
)


# Phrases that only soften a request; blanked (offsets stay) so the request stands out.
FILLER_RE = re.compile(
    r"\b(?:when(?:ever)? you (?:get|have) (?:a|the) (?:chance|minute|moment|sec(?:ond)?)|"
    r"if (?:you can|you could|possible|you don't mind)|quick one|no rush|"
    r"hope you(?:'re| are)? (?:well|good|doing well)|hi there|hello there|"
    r"(?:thanks|thank you|thx)(?: a lot| so much| very much| in advance)?)\b",
    re.I,
)


# A word each phrase of FILLER_RE contains: a text with none of them has no filler.
FILLER_HINTS = ("when", "if", "quick", "rush", "hope", "there", "than", "thx")


def may_contain(text: str, needles: Sequence[str]) -> bool:
    """False when the text certainly has none of the (lower-case) needles, so a regex that
    needs one of them need not run over it. An ASCII text is compared lower-cased, as a
    case-blind regex compares ASCII letters; other text always may (a case-blind regex
    also matches some letters beyond ASCII, e.g. the Kelvin sign as "k")."""
    if not text.isascii():
        return True
    lower = text.lower()
    return any([needle in lower for needle in needles])  # a list: no generator to resume


def without_filler(text: str) -> str:
    """The text with politeness and filler blanked out, offsets kept."""
    if not may_contain(text, FILLER_HINTS):
        return text
    return FILLER_RE.sub(lambda m: " " * len(m.group(0)), text)


def dry_run(text: str) -> tuple[bool, str]:
    """Whether the text asks for a dry run, and the text without that marker."""
    if may_contain(text, ("dry",)) and DRY_RUN_RE.search(text):
        return True, DRY_RUN_RE.sub(lambda m: " " * len(m.group(0)), text)  # offsets stay
    return False, text


def negated(tokens: Sequence[Token], at: int) -> bool:
    """A negation cue within the three tokens before the command word at index `at`."""
    # Only those three words and the one after each are read: word j here is token low + j.
    low = max(0, at - 3)
    words = [t.norm.replace("'", "") if t.norm == "don't" else t.norm for t in tokens[low : at + 1]]
    for j in range(at - low):
        if words[j] in NEGATORS or (
            j + 1 < len(words) and (words[j], words[j + 1]) in NEGATOR_PAIRS
        ):
            return True
        if words[j] == "not" and j == at - low - 1:
            return True
    return False


def not_needed(tokens: Sequence[Token]) -> bool:
    """ "no need to reset it", "it works again": the person says the action is not wanted."""
    words = [t.norm for t in tokens]
    if NOT_NEEDED_FIRST.isdisjoint(words):
        return False  # most messages: no word that starts one of the pairs
    return any(pair in NOT_NEEDED for pair in pairwise(words))


def question_about_action(tokens: Sequence[Token]) -> bool:
    """A question about what happened ("did someone restart...", "why was ... closed")."""
    if not tokens:
        return False
    first = tokens[0].norm
    if first in PAST_QUESTION_START:
        return not (first in {"why", "who", "when"} and _asks_for_action(tokens))
    return False


def _asks_for_action(tokens: Sequence[Token]) -> bool:
    """ "who can help me", "why can't i log in, reset my password" still ask for something."""
    words = {t.norm for t in tokens[1:4]}
    return bool(words & {"can", "could", "will", "would", "ca"})


def informational(tokens: Sequence[Token]) -> bool:
    """A how/what/is question: read-only skills may answer it, actions wait for a request."""
    if not tokens or tokens[0].norm not in INFO_QUESTION_START:
        return False
    words = [t.norm for t in tokens[:4]]
    if words[0] == "do" and (len(words) < 2 or words[1] not in {"i", "you", "we", "they"}):
        return False
    return not ("i" in words[1:3] and words[0] in {"is", "are"})


def reported(tokens: Sequence[Token], at: int, past_form: bool) -> bool:
    """The command word is used to report ("the deploy went fine", "i restarted web")."""
    if past_form:
        return True
    follow = [t.norm for t in tokens[at + 1 : at + 3]]
    return (
        at > 0
        and tokens[at - 1].norm in {"the", "that", "this", "our", "last"}
        and any(w in REPORT_VERBS for w in follow)
    )
