"""The clock every governance rule reads, passed in so tests and replays can set "now".

Change windows, freezes, rate-limit buckets and expiry all depend on the time; reading it
through one injected callable (never `datetime.now` inside a rule) lets a test say "it is
Saturday 03:00 in Berlin" without patching the standard library.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Returns the current time, timezone-aware."""

    def __call__(self) -> datetime: ...


def system_clock() -> datetime:
    return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until moved: for tests and for replaying a decision."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime, e.g. datetime(..., tzinfo=UTC)")
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
