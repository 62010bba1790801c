"""Who an action is for, when the text names someone the understanding did not resolve.

"reset the password for bob@example.com", "... of robert", "unlock bobby's account": the
person is named, so the requester must never stand in for them. `named_target` finds the
name (an email anywhere; a word after "for" or "of"; a possessive; the word right after
"unlock"/"reset"), leaving out the requester's own words ("me", "my") and the words the
skill's own examples use ("password", "vpn"), which name no one. The assistant then resolves
it in the directory or asks "Which person did you mean?" with the close matches as buttons;
only a request that names nobody is for the requester.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz, process

from chatbot.types import Principal
from skills.api import SkillSpec

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = r"([^\W\d_][\w.'-]*)"
_NAMED = (
    re.compile(rf"\b(?:for|of)\s+{_WORD}", re.IGNORECASE),
    re.compile(r"\b([^\W\d_][\w-]*)'s\b", re.IGNORECASE),
    re.compile(rf"^\s*(?:please\s+)?(?:unlock|reset)\s+{_WORD}", re.IGNORECASE),
)
SELF = frozenset({"me", "my", "myself", "mine", "i", "own", "us", "our", "ourselves", "self"})
STOP = frozenset(
    {
        "a", "an", "the", "this", "that", "these", "those", "it", "its", "all", "every",
        "some", "any", "one", "someone", "somebody", "please", "now", "today", "again",
        "him", "her", "them", "his", "their", "user", "person", "colleague", "account",
    }
)  # fmt: skip


def vocabulary(spec: SkillSpec, extra: Iterable[str] = ()) -> frozenset[str]:
    """Words that name no one for this skill: those of its examples and catalog names."""
    words = {w for example in spec.examples for w in re.findall(r"[\w-]+", example.lower())}
    return frozenset(words | {e.lower() for e in extra})


def named_target(text: str, known_words: frozenset[str]) -> str | None:
    """The person the text names as the target, as typed; None when it names nobody."""
    email = _EMAIL.search(text)
    if email:
        return email.group(0)
    for pattern in _NAMED:
        for found in pattern.finditer(text):
            word = found.group(1).strip(".'-").lower()
            if word and word not in SELF and word not in STOP and word not in known_words:
                return found.group(1).strip(".'-")
    return None


def close_matches(named: str, people: Sequence[Principal], limit: int = 3) -> list[str]:
    """Directory names close to what was typed (names, email names, display names)."""
    keys: dict[str, str] = {}
    for person in people:
        for key in (person.name, person.email.split("@")[0], person.display_name.split(" ")[0]):
            if key:
                keys.setdefault(key.lower(), person.name)
    wanted = named.split("@")[0].lower()
    found = process.extract(wanted, list(keys), scorer=fuzz.WRatio, limit=limit * 3)
    names: list[str] = []
    for key, score, _ in found:
        if score >= 50 and keys[key] not in names:
            names.append(keys[key])
    return names[:limit]
