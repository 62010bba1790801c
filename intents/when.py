"""When an action should start, read in the person's time zone: "at 8pm tonight", "in 10
minutes", "tomorrow at 9", "on Friday at 17:00 CET", "at the next change window".

Times are never dropped: a request that names one becomes a scheduled action, and a time we
cannot be sure of is asked about rather than guessed:

- `past`: the moment has gone ("today at 9am" said at noon);
- `ambiguous`: a bare hour without am/pm, a part of the day or a day ("at 8");
- `date_only`: a day without a time ("on Friday");
- `recurring`: "every Monday at 9", refused until recurring jobs exist.

The clock phrases themselves are read by `intents.dates` (it measured best on our phrasings;
see bench/dates_compare.py). It resolves against a naive "now", so we hand it the local wall
time and put the zone back on what it finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from intents.dates import find_dates

RECURRING_RE = re.compile(
    r"\b(?:every|each)\s+(?:day|morning|evening|night|week|month|hour|weekday|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d+\s*(?:minutes?|hours?|days?))"
    r"\b|\b(?:daily|weekly|hourly|nightly|monthly)\b",
    re.I,
)
WINDOW_RE = re.compile(r"\b(?:at|in|during)\s+the\s+(?:next\s+)?change\s+window\b", re.I)
ZONE_NAMES = {
    "utc": "UTC",
    "gmt": "UTC",
    "z": "UTC",
    "cet": "CET",
    "cest": "CET",
    "met": "CET",
    "est": "America/New_York",
    "edt": "America/New_York",
    "et": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "bst": "Europe/London",
    "ist": "Asia/Kolkata",
    "jst": "Asia/Tokyo",
    "aest": "Australia/Sydney",
}
ZONE_RE = re.compile(
    r"(?<=\d)\s*(?:am|pm)?\s*\b(" + "|".join(ZONE_NAMES) + r")\b|\b([A-Z][a-z]+/[A-Za-z_]+)\b",
    re.I,
)
BARE_HOUR_RE = re.compile(
    r"\bat\s+(?:[1-9]|1[0-2])\b(?![:.]\d|\s*(?:[ap]\.?m\b|o'?clock|h\b))", re.I
)
# With a day named ("tomorrow at 9", "on Monday at 8"), a bare hour is the working day's.
PART_OF_DAY_RE = re.compile(
    r"\b(?:tonight|morning|evening|afternoon|night|noon|midnight|today|"
    r"tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday)\b",
    re.I,
)
GRACE = timedelta(minutes=1)


class Problem(StrEnum):
    PAST = "past"
    AMBIGUOUS = "ambiguous"
    DATE_ONLY = "date_only"
    RECURRING = "recurring"


@dataclass(frozen=True, slots=True)
class When:
    """A start time: `at` in UTC and the zone it was said in; or why we must ask."""

    said: str
    zone: str
    at: datetime | None = None
    window: bool = False  # "at the next change window": the calendar decides the moment
    problem: Problem | None = None
    start: int = -1
    end: int = -1


def zone_of(name: str, default: str = "UTC") -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def read_when(text: str, now: datetime, zone: str) -> When | None:
    """The start time the text names, or None when it names none."""
    if m := RECURRING_RE.search(text):
        return When(m.group(0), zone, problem=Problem.RECURRING, start=m.start(), end=m.end())
    if m := WINDOW_RE.search(text):
        return When(m.group(0), zone, window=True, start=m.start(), end=m.end())
    spoken = ZONE_RE.search(text)
    if spoken is not None:
        named = spoken.group(1) or spoken.group(2)
        zone = ZONE_NAMES.get(named.lower(), named)
    tz = zone_of(zone)
    local_now = now.astimezone(tz).replace(tzinfo=UTC)  # the wall clock, as dates.py wants it
    for found in find_dates(text, local_now):
        said = text[found.start : found.end]
        end = spoken.end() if spoken is not None and spoken.start() >= found.end - 1 else found.end
        if "T" not in found.value:
            return When(said, zone, problem=Problem.DATE_ONLY, start=found.start, end=end)
        wall = datetime.fromisoformat(found.value).replace(tzinfo=None)
        at = wall.replace(tzinfo=tz).astimezone(UTC)
        if BARE_HOUR_RE.search(said) and not PART_OF_DAY_RE.search(text):
            return When(said, zone, at, problem=Problem.AMBIGUOUS, start=found.start, end=end)
        if at < now - GRACE:
            return When(said, zone, at, problem=Problem.PAST, start=found.start, end=end)
        return When(said, zone, at, start=found.start, end=end)
    return None


def shown(at: datetime, zone: str) -> str:
    """A moment as the person reads it: their wall time and zone, and UTC beside it."""
    local = at.astimezone(zone_of(zone))
    if zone == "UTC":
        return f"{local:%a %d %b %H:%M} UTC"
    return f"{local:%a %d %b %H:%M} {zone} ({at.astimezone(UTC):%H:%M} UTC)"
