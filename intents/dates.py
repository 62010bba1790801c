"""Dates and times as people type them, resolved to ISO 8601 against an injected "now".

"tomorrow at 10pm", "on friday", "next monday 9am", "2026-12-01", "in 2 hours", "at 10:30".
A date alone gives a date ("2026-11-27"); anything with a time gives a UTC datetime
("2026-11-27T22:00+00:00"), since a chat message carries no time zone we could trust.
"12/01" is skipped: day-first and month-first readers disagree, and a wrong date is worse
than a question. "for 2 hours" stays a duration (entities.py); "in 2 hours" is a time here.

Pieces (a day word, a weekday, an ISO date, a clock time, "in N units") are found with
regexes, then adjacent pieces ("tomorrow" + "at 10pm") merge into one entity, so a slot gets
one value. Everything depends only on the text and `now`: the same clock, the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
SHORT_DAYS = {
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
DAY_WORDS = {
    "today": 0,
    "tonight": 0,
    "tomorrow": 1,
    "tmrw": 1,
    "tmr": 1,
    "tomorow": 1,
    "tommorow": 1,
    "tommorrow": 1,
    "yesterday": -1,
}
UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
UNITS = {
    "m": "m",
    "h": "h",
    "d": "d",
    "w": "w",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "day": "d",
    "days": "d",
    "week": "w",
    "weeks": "w",
}
COUNTS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
}

_DAY = "|".join(sorted(DAY_WORDS, key=len, reverse=True))
_WEEK = "|".join(WEEKDAYS)
_SHORT = "|".join(sorted(SHORT_DAYS, key=len, reverse=True))
# A cheap first look: most messages name no date, and they pay for this one search only.
_COUNT = "|".join(COUNTS)
HINT_RE = re.compile(
    rf"\d{{4}}-\d|\d:\d\d|\d\s*[ap]\.?m|\bat\s+\d|\bin\s+(?:\d|(?:{_COUNT})\b)"
    rf"|\b(?:{_DAY}|{_WEEK}|{_SHORT}|noon|midnight)\b",
    re.I,
)
# The words HINT_RE looks for. A text that has no digit, none of them as a whole word, and
# no "in" with a count word has no date: checked on its words, a set look-up, instead of
# running the regex (alternatives tried at every position) over every message.
HINT_WORDS = frozenset({*DAY_WORDS, *WEEKDAYS, *SHORT_DAYS, "noon", "midnight"})
COUNT_WORDS = frozenset(COUNTS)
# Every ASCII character that is not a word character (as `\b` sees them) made a space.
_NOT_WORD = str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c == "_")})
_DIGIT_RE = re.compile(r"\d")
DAY_RE = re.compile(rf"\b(?:{_DAY})\b", re.I)
WEEKDAY_RE = re.compile(rf"\b(?:(next|this|coming)\s+)?({_WEEK})\b", re.I)
# Short names are ordinary words too ("sat", "sun", "wed"): only after on/next/this/by.
SHORT_RE = re.compile(
    rf"(?<=\bon )({_SHORT})\b|(?<=\bby )({_SHORT})\b|\b(next|this)\s+({_SHORT})\b", re.I
)
LOOSE_RE = re.compile(rf"\b(next|this)?\s*({_SHORT})\b", re.I)
ISO_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{1,2}):(\d{2}))?\b", re.I)
CLOCK_RE = re.compile(
    r"(?:\bat\s+)?\b(?:([01]?\d|2[0-3]):([0-5]\d)\s*([ap]\.?m\.?)?|(1[0-2]|0?[1-9])\s*([ap]\.?m\.?))"
    r"(?![\w:])|\bat\s+([01]?\d|2[0-3])\b(?![:.\w])|\b(noon|midnight)\b",
    re.I,
)
# A number may touch its unit ("in 10min"); a count word may not ("in and" is no "an d").
IN_RE = re.compile(
    rf"\bin\s+(?:(\d{{1,4}})\s*|({_COUNT})\s+)"
    rf"({'|'.join(sorted(UNITS, key=len, reverse=True))})\b",
    re.I,
)
JOIN_RE = re.compile(r"^[\s,]*(?:at|on|by|,)?\s*$", re.I)


@dataclass(frozen=True, slots=True)
class Piece:
    """One part of a date: a day, a clock time, or an exact moment ("in 2 hours")."""

    start: int
    end: int
    day: date | None = None
    clock: time | None = None
    moment: datetime | None = None
    evening: bool = False  # "tonight": a bare "at 10" then means 22:00


@dataclass(frozen=True, slots=True)
class Found:
    """A date or datetime in the text: canonical ISO value and where it was typed."""

    value: str
    start: int
    end: int


def _next_weekday(today: date, weekday: int, strictly_after: bool) -> date:
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and strictly_after:
        ahead = 7
    return today + timedelta(days=ahead)


def _clock(m: re.Match[str]) -> time | None:
    if m.group(7):
        return time(12) if m.group(7).lower() == "noon" else time(0)
    if m.group(6):
        return time(int(m.group(6)))
    hour = int(m.group(1) or m.group(4))
    minute = int(m.group(2) or 0)
    half = (m.group(3) or m.group(5) or "").lower()[:1]
    if half and not 1 <= hour <= 12:
        return None
    if half == "p" and hour < 12:
        hour += 12
    elif half == "a" and hour == 12:
        hour = 0
    return time(hour, minute)


def _pieces(text: str, now: datetime, loose: bool) -> list[Piece]:
    today = now.date()
    out: list[Piece] = []
    for m in DAY_RE.finditer(text):
        word = m.group(0).lower()
        out.append(
            Piece(
                m.start(),
                m.end(),
                today + timedelta(days=DAY_WORDS[word]),
                evening=word == "tonight",
            )
        )
    for m in WEEKDAY_RE.finditer(text):
        day = _next_weekday(today, WEEKDAYS[m.group(2).lower()], (m.group(1) or "") == "next")
        out.append(Piece(m.start(), m.end(), day))
    for m in (LOOSE_RE if loose else SHORT_RE).finditer(text):
        if loose:
            prefix, name = m.group(1), m.group(2)
        else:
            prefix, name = m.group(3), m.group(1) or m.group(2) or m.group(4)
        day = _next_weekday(today, SHORT_DAYS[name.lower()], (prefix or "").lower() == "next")
        out.append(Piece(m.start(), m.end(), day))
    for m in ISO_RE.finditer(text):
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            clock = time(int(m.group(4)), int(m.group(5))) if m.group(4) else None
        except ValueError:
            continue
        out.append(Piece(m.start(), m.end(), day, clock))
    for m in CLOCK_RE.finditer(text):
        if (clock := _clock(m)) is not None:
            out.append(Piece(m.start(), m.end(), clock=clock))
    for m in IN_RE.finditer(text):
        word = (m.group(1) or m.group(2)).lower()
        count = int(word) if word.isdigit() else COUNTS[word]
        delta = timedelta(minutes=count * UNIT_MINUTES[UNITS[m.group(3).lower()]])
        if delta.days and not delta.seconds:  # "in 3 days": a day, not a minute of it
            out.append(Piece(m.start(), m.end(), today + delta))
        else:
            out.append(
                Piece(m.start(), m.end(), moment=now.replace(second=0, microsecond=0) + delta)
            )
    out.sort(key=lambda p: (p.start, -p.end))
    kept: list[Piece] = []
    for piece in out:  # the longest piece wins an overlap ("next friday" over "friday")
        if not kept or piece.start >= kept[-1].end:
            kept.append(piece)
    return kept


def _merge(group: list[Piece], now: datetime) -> str:
    moment = next((p.moment for p in group if p.moment is not None), None)
    if moment is not None:
        return moment.isoformat(timespec="minutes")
    day = next((p.day for p in group if p.day is not None), None)
    clock = next((p.clock for p in group if p.clock is not None), None)
    if clock is None:
        assert day is not None
        return day.isoformat()
    if any(p.evening for p in group) and clock.hour < 12:
        clock = clock.replace(hour=clock.hour + 12)
    when = datetime.combine(day or now.date(), clock, tzinfo=UTC)
    if day is None and when < now:
        when += timedelta(days=1)  # "at 10pm" said at 23:00 means tomorrow's
    return when.isoformat(timespec="minutes")


def find_dates(
    text: str, now: datetime, loose: bool = False, *, hinted: bool = False
) -> list[Found]:
    """Every date or time in `text`, adjacent pieces merged. `loose` also reads bare short
    weekday names, for spans a trained model already called a date."""
    if not hinted and not may_name_a_date(text):
        return []
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    groups: list[list[Piece]] = []
    for piece in _pieces(text, now, loose):
        last = groups[-1] if groups else None
        if (
            last is not None
            and JOIN_RE.match(text[last[-1].end : piece.start])
            and _fits(last, piece)
        ):
            last.append(piece)
        else:
            groups.append([piece])
    return [Found(_merge(g, now), g[0].start, g[-1].end) for g in groups]


def word_runs(text: str) -> frozenset[str] | None:
    """The whole words of an ASCII text, lower-case (what `\bword\b` can match), or None
    for other text: with a digit or beyond ASCII, only the regexes themselves can say."""
    if not text.isascii() or _DIGIT_RE.search(text):
        return None
    return frozenset(text.translate(_NOT_WORD).lower().split())


def may_name_a_date(text: str) -> bool:
    """False only when HINT_RE cannot match: every alternative of it needs a digit, a hint
    word, or "in" before a word starting with a count ("in two hours")."""
    words = word_runs(text)
    if words is None:
        return (not text.isascii() or _digit_may_hint(text)) and bool(HINT_RE.search(text))
    return hints_a_date(words)


# What HINT_RE's alternatives with a digit need besides it: "-" (an ISO date), ":" (a clock
# time), "am" or "pm" (dotted or not) after it; the others need the word "at" or "in", or a
# hint word.
_DIGIT_HINTS = ("-", ":", "am", "pm", "a.m", "p.m")


def _digit_may_hint(text: str) -> bool:
    """False only when HINT_RE cannot match an ASCII text that has a digit ("deploy web
    1.2.3", "status of INC0012345"): the regex tries its alternatives at every position,
    these are a few substring and set look-ups."""
    lower = text.lower()
    if any([hint in lower for hint in _DIGIT_HINTS]):
        return True
    words = frozenset(lower.translate(_NOT_WORD).split())
    return "at" in words or "in" in words or not HINT_WORDS.isdisjoint(words)


def hints_a_date(words: frozenset[str]) -> bool:
    """`may_name_a_date` on the `word_runs` of an ASCII text without digits."""
    return not HINT_WORDS.isdisjoint(words) or ("in" in words and not COUNT_WORDS.isdisjoint(words))


def _fits(group: list[Piece], piece: Piece) -> bool:
    """A day and a clock time make one moment; two days or two times do not."""
    has_day = any(p.day is not None or p.moment is not None for p in group)
    has_clock = any(p.clock is not None or p.moment is not None for p in group)
    return (piece.day is not None and not has_day) or (piece.clock is not None and not has_clock)
