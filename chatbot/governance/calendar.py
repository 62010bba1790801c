"""Change windows and freeze periods: whether an action may run *now*, and if not, until when.

A freeze always wins. When any window matches the skill and its slots, the action may run only
inside one of those windows; the denial names the next opening in the window's own time zone
(and in UTC), so a person in another country knows exactly when to come back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from chatbot.config import DAYS, ChangeWindow, Freeze


@dataclass(frozen=True, slots=True)
class Closed:
    """Why the action may not run now: the rule, and a sentence for the person."""

    rule: str
    reason: str


def matches(
    skill_glob: str, where: Mapping[str, Sequence[str]], skill: str, slots: Mapping[str, str]
) -> bool:
    return fnmatchcase(skill, skill_glob) and all(slots.get(k) in v for k, v in where.items())


def _shown(when: datetime, zone: str) -> str:
    local = when.astimezone(ZoneInfo(zone))
    utc = when.astimezone(UTC)
    return f"{local:%a %Y-%m-%d %H:%M} {zone} ({utc:%H:%M} UTC)"


def _open_at(window: ChangeWindow, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(window.timezone))
    return DAYS[local.weekday()] in window.days and window.start <= local.time() < window.end


def next_opening(window: ChangeWindow, now: datetime) -> datetime:
    """The first start of the window strictly after `now` (within the next eight days)."""
    zone = ZoneInfo(window.timezone)
    local = now.astimezone(zone)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        start = datetime.combine(day, window.start, tzinfo=zone)
        if DAYS[day.weekday()] in window.days and start > now:
            return start
    raise AssertionError("a validated window opens at least once a week")


class ChangeCalendar:
    def __init__(self, windows: Sequence[ChangeWindow], freezes: Sequence[Freeze]) -> None:
        self._windows = tuple(enumerate(windows))
        self._freezes = tuple(enumerate(freezes))

    def check(self, skill: str, slots: Mapping[str, str], now: datetime) -> Closed | None:
        """None when the action may run at `now`; otherwise the rule and the reason."""
        for index, freeze in self._freezes:
            if not matches(freeze.skill, freeze.where, skill, slots):
                continue
            if freeze.start_at <= now < freeze.end_at:
                until = _shown(freeze.end_at, freeze.timezone)
                return Closed(
                    f"freezes[{index}] ({freeze.name})",
                    f"{skill} is frozen for {freeze.name} until {until}",
                )
        applicable = [(i, w) for i, w in self._windows if matches(w.skill, w.where, skill, slots)]
        if not applicable or any(_open_at(w, now) for _, w in applicable):
            return None
        index, soonest = min(applicable, key=lambda iw: next_opening(iw[1], now))
        opening = next_opening(soonest, now)
        end = soonest.end.strftime("%H:%M")
        return Closed(
            f"windows[{index}] ({soonest.name})",
            f"{skill} runs only in the change window {soonest.name} "
            f"({', '.join(soonest.days)} {soonest.start:%H:%M}-{end} {soonest.timezone}); "
            f"the next window opens {_shown(opening, soonest.timezone)}",
        )
