"""Entities: catalog names (spaCy PhraseMatcher over corrected tokens) and patterns (regex).

Catalog entities come from configuration, so a new service needs no code. Phrases are matched
on the corrected tokens and mapped back to the typed text, so a slot can show what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from chatbot.config import Catalog
from intents.cues import may_contain
from intents.dates import COUNTS, UNITS, find_dates, hints_a_date, word_runs
from intents.text import Token

PRIORITIES: dict[str, tuple[str, ...]] = {
    "critical": ("critical", "urgent", "emergency", "blocker", "highest", "p1", "sev1", "asap"),
    "high": ("high", "important", "p2", "sev2"),
    "medium": ("medium", "normal", "moderate", "p3", "sev3"),
    "low": ("low", "minor", "lowest", "trivial", "p4", "sev4"),
}
ABBREVIATIONS = {"db": "database", "prod": "production", "api": "api", "gw": "gateway"}
SELF_WORDS = frozenset({"me", "my", "myself", "mine", "i"})

TICKET_RE = re.compile(r"\binc[\s#-]?(\d{1,7})\b", re.I)
# An incident of the alert desk, INC-12: a hyphen and at most 6 digits (tickets have 7).
INCIDENT_RE = re.compile(r"\binc-(\d{1,6})\b", re.I)
CHANGE_RE = re.compile(r"\bchg[\s#-]?(\d{1,7})\b", re.I)
VERSION_RE = re.compile(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?(?:-[0-9a-z.]+)?)(?![\w.]*\d)", re.I)
# Durations read the same unit and number words as dates ("in 2 hours"), plus a few more.
_UNITS = {**UNITS, "wk": "w", "wks": "w"}
_NUMBERS = {**COUNTS, "24": 24}
# A number may touch its unit ("2h"); a count word may not: "am" is no "a m", "ad" no "a d".
DURATION_RE = re.compile(
    r"\b(?:(\d{1,4})\s*-?\s*|(an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
    r"(?:\s+|\s*-\s*))(minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w)\b",
    re.I,
)
# Whole words DURATION_RE needs when the text has no digit: a count word and a unit
# ("an hour", "one-day").
_COUNT_WORDS = frozenset(w for w in _NUMBERS if w.isalpha())
_UNIT_WORDS = frozenset(_UNITS)
HALF_HOUR_RE = re.compile(r"\bhalf an? hour\b", re.I)
# A cheap first look: ids and versions need a digit, and most messages have none.
DIGIT_RE = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Entity:
    """A typed span with its canonical value; `corrected` when a typo was fixed to find it."""

    label: str
    value: str
    text: str
    start: int
    end: int
    corrected: bool = False


def _name_variants(name: str) -> set[str]:
    parts = re.split(r"[-_ ]+", name)
    variants = {name, " ".join(parts), "".join(parts)}
    singular = [p[:-1] if p.endswith("s") and len(p) > 4 else p for p in parts]
    variants |= {" ".join(singular), "-".join(singular)}
    spelled = [ABBREVIATIONS.get(p, p) for p in parts]
    variants |= {" ".join(spelled)}
    return variants


def _unique_parts(names: Iterable[str], reserved: set[str]) -> dict[str, str]:
    """Parts that name one catalog entry alone ("gateway" -> api-gateway; "api" names two)."""
    owners: dict[str, set[str]] = {}
    for name in names:
        for raw in re.split(r"[-_ ]+", name):
            for part in {raw, ABBREVIATIONS.get(raw, raw)}:
                if part != name and part not in reserved:
                    owners.setdefault(part, set()).add(name)
    return {part: next(iter(o)) for part, o in owners.items() if len(o) == 1}


class EntityFinder:
    """Finds every entity in a text; slots then pick the ones their types need."""

    def __init__(self, nlp: Language, catalog: Catalog, people: Iterable[str]) -> None:
        self._nlp = nlp
        self._matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        self._canonical: dict[str, tuple[str, str]] = {}
        envs = {a.lower(): env for env, al in catalog.environments.items() for a in (env, *al)}
        reserved = set(envs) | {"the", "a", "service"}
        phrases: dict[str, dict[str, str]] = {"ENV": envs, "PERSON": {}, "PRIORITY": {}}
        phrases["PERSON"] = {p.lower(): p.lower() for p in people}
        phrases["PRIORITY"] = {a: p for p, al in PRIORITIES.items() for a in al}
        for label, names in (("SERVICE", catalog.services), ("RESOURCE", tuple(catalog.resources))):
            table = {v.lower(): n for n in names for v in _name_variants(n)}
            for part, owner in _unique_parts(names, reserved).items():
                table.setdefault(part, owner)
            phrases[label] = table
        self._words = {
            w
            for table in phrases.values()
            for p in table
            for w in re.findall(r"[a-z0-9]+", p.lower())
        }
        # Every phrase starts with one of these words: a message with none of them cannot
        # match, and skips building a Doc for the matcher (most messages name no catalog thing).
        self._first: set[str] = set()
        # The same phrases by their words, for matching without a Doc (see _spans).
        self._phrases: dict[tuple[str, ...], list[str]] = {}
        for label, table in phrases.items():
            for phrase, canonical in table.items():
                key = f"{label}:{canonical}"
                self._canonical[key] = (label, canonical)
                doc = nlp.make_doc(phrase.lower())
                self._matcher.add(key, [doc])
                if len(doc):
                    self._first.add(doc[0].text)
                    self._phrases.setdefault(tuple(t.text for t in doc), []).append(key)
        self._lengths = sorted({len(words) for words in self._phrases})

    def vocabulary(self) -> set[str]:
        """Words worth correcting typos towards (catalog names, their parts, aliases)."""
        return set(self._words)

    def find(self, text: str, tokens: Sequence[Token], now: datetime) -> list[Entity]:
        """Every entity; dates resolve against `now` (the Understander's clock)."""
        found = self._patterns(text, now)
        taken = [(e.start, e.end) for e in found]
        norms = [t.norm for t in tokens]
        if tokens and not self._first.isdisjoint(norms):
            for key, begin, end in self._spans(norms):
                first, last = tokens[begin], tokens[end - 1]
                if taken and any(
                    [first.start < stop and start < last.end for start, stop in taken]
                ):
                    continue
                label, value = self._canonical[key]
                corrected = (
                    first.corrected
                    if end - begin == 1
                    else any([t.corrected for t in tokens[begin:end]])
                )
                found.append(
                    Entity(
                        label, value, text[first.start : last.end], first.start, last.end, corrected
                    )
                )
        return sorted(found, key=lambda e: e.start) if len(found) > 1 else found

    def _spans(self, norms: list[str]) -> list[tuple[str, int, int]]:
        """Catalog phrases in the words, as the PhraseMatcher and `filter_spans` find them
        (longest first, then earliest; no overlaps), by looking each run of words up in the
        phrase table: no Doc of the corrected words per message (most of this step's time).
        A phrase under two keys (a name that is, say, a service and a resource) goes to the
        PhraseMatcher, whose order of keys then decides, as it always did."""
        found: list[tuple[int, int, list[str]]] = []
        starts = self._first
        for begin in range(len(norms)):
            if norms[begin] not in starts:
                continue  # every phrase starts with one of these words
            for size in self._lengths:
                keys = self._phrases.get(tuple(norms[begin : begin + size]))
                if keys is not None and begin + size <= len(norms):
                    found.append((begin, begin + size, keys))
        if len(found) < 2:  # nothing to order or to overlap (most messages)
            if found and len(found[0][2]) > 1:
                return self._matched(norms)
            return [(keys[0], begin, end) for begin, end, keys in found]
        if any([len(keys) > 1 for _, _, keys in found]):
            return self._matched(norms)
        found.sort(key=lambda f: (f[1] - f[0], -f[0]), reverse=True)
        kept: list[tuple[str, int, int]] = []
        seen: set[int] = set()
        for begin, end, keys in found:  # filter_spans: a span's ends must be free
            if begin not in seen and end - 1 not in seen:
                kept.append((keys[0], begin, end))
                seen.update(range(begin, end))
        return sorted(kept, key=lambda k: k[1])

    def _matched(self, norms: list[str]) -> list[tuple[str, int, int]]:
        """`_spans` by spaCy's PhraseMatcher and filter_spans on a Doc of the words."""
        doc = Doc(self._nlp.vocab, words=norms)
        spans = [Span(doc, s, e, label=key) for key, s, e in self._matcher(doc)]
        strings = self._nlp.vocab.strings
        return [(strings[span.label], span.start, span.end) for span in filter_spans(spans)]

    def _patterns(self, text: str, now: datetime) -> list[Entity]:
        # The text's whole words, once, decide which regexes can match at all; None (a
        # digit, or beyond ASCII) runs each of them (see dates.word_runs).
        words = word_runs(text)
        if words is None:
            days = find_dates(text, now)
        else:
            days = find_dates(text, now, hinted=True) if hints_a_date(words) else []
        found = [Entity("DATE", d.value, text[d.start : d.end], d.start, d.end) for d in days]
        dates = [(e.start, e.end) for e in found]
        if words is None and DIGIT_RE.search(text):
            found.extend(_ids(text))
        for m in DURATION_RE.finditer(text) if words is None or _hints_a_duration(words) else ():
            number = (m.group(1) or m.group(2)).lower()
            count = int(number) if number.isdigit() else _NUMBERS[number]
            unit = _UNITS[m.group(3).lower()]
            if unit == "w":
                count, unit = count * 7, "d"
            if any(s <= m.start() < e for s, e in dates):
                continue  # "in 2 hours" is a time; "for 2 hours" stays a duration
            found.append(Entity("DURATION", f"{count}{unit}", m.group(0), m.start(), m.end()))
        if "half" in words if words is not None else may_contain(text, ("half",)):
            for m in HALF_HOUR_RE.finditer(text):
                found.append(Entity("DURATION", "30m", m.group(0), m.start(), m.end()))
        return found


def may_name_a_duration(text: str) -> bool:
    """False only when DURATION_RE cannot match (see _COUNT_WORDS): most messages."""
    words = word_runs(text)
    return words is None or _hints_a_duration(words)


def _hints_a_duration(words: frozenset[str]) -> bool:
    return not _COUNT_WORDS.isdisjoint(words) and not _UNIT_WORDS.isdisjoint(words)


def _ids(text: str) -> list[Entity]:
    """Incident, ticket and change ids and versions, in that order."""
    found = []
    # A regex runs only when the text has what it needs ("inc", "chg", a dot), compared
    # lower-cased for ASCII text; other text always runs them (see cues.may_contain).
    lower = text.lower() if text.isascii() else None
    if lower is None or "inc-" in lower:
        for m in INCIDENT_RE.finditer(text):
            value = f"INC-{int(m.group(1))}"
            found.append(Entity("INCIDENT", value, m.group(0), m.start(), m.end()))
    # INC-12 is also read as a ticket ("close ticket inc-42"); the skill's slot picks.
    for label, regex, needle in (("TICKET", TICKET_RE, "inc"), ("CHANGE", CHANGE_RE, "chg")):
        if lower is not None and needle not in lower:
            continue
        for m in regex.finditer(text):
            value = label[:3].replace("TIC", "INC").replace("CHA", "CHG") + m.group(1).zfill(7)
            found.append(Entity(label, value, m.group(0), m.start(), m.end()))
    if "." in text:
        for m in VERSION_RE.finditer(text):
            found.append(Entity("VERSION", m.group(1).lower(), m.group(0), m.start(), m.end()))
    return found
