"""The time range a page or an API call looks at, cut into days or weeks.

Buckets are numbered by the database (seconds since 1970 divided by the bucket's width), so a
series over 100,000 rows comes back as one row per bucket: Python never sees the rows.
Weeks start on Monday (ISO 8601), days at midnight UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Integer, cast, func

from chatbot.errors import UserError
from chatbot.incidents.kpi import epoch_seconds

DAY = 86400
# 1970-01-05 was a Monday: weeks are counted from there.
MONDAY_OFFSET = 4 * DAY


class Step(StrEnum):
    DAY = "day"
    WEEK = "week"

    @property
    def seconds(self) -> int:
        return DAY if self is Step.DAY else 7 * DAY

    @property
    def origin(self) -> int:
        return 0 if self is Step.DAY else MONDAY_OFFSET


# The ranges a page offers: label -> days.
RANGES: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
MAX_BUCKETS = 400


@dataclass(frozen=True, slots=True)
class Period:
    """[since, until) cut into `step`s; `since` is moved back to the start of its bucket so
    the first bucket is whole."""

    since: datetime
    until: datetime
    step: Step

    @classmethod
    def of(cls, since: datetime, until: datetime, step: Step | None = None) -> Period:
        if until <= since:
            raise UserError("the end of the range must come after its start")
        chosen = step or (Step.DAY if until - since <= timedelta(days=92) else Step.WEEK)
        start = cls.bucket_start(chosen, cls.bucket_of(chosen, since.timestamp()))
        if (until - start).total_seconds() / chosen.seconds > MAX_BUCKETS:
            raise UserError(f"at most {MAX_BUCKETS} {chosen}s at once; choose weeks or less time")
        return cls(start, until, chosen)

    @classmethod
    def last(cls, days: int, now: datetime | None = None, step: Step | None = None) -> Period:
        """The last `days` days up to the end of today (UTC)."""
        now = now or datetime.now(UTC)
        end = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)
        return cls.of(end - timedelta(days=days), end, step)

    @staticmethod
    def bucket_of(step: Step, epoch: float) -> int:
        return int((epoch - step.origin) // step.seconds)

    @staticmethod
    def bucket_start(step: Step, index: int) -> datetime:
        return datetime.fromtimestamp(step.origin + index * step.seconds, UTC)

    def indexes(self) -> range:
        first = self.bucket_of(self.step, self.since.timestamp())
        last = self.bucket_of(self.step, self.until.timestamp() - 1)
        return range(first, last + 1)

    def starts(self) -> list[date]:
        return [self.bucket_start(self.step, i).date() for i in self.indexes()]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indexes())

    def bucket(self, column: Any, dialect: str) -> Any:
        """The SQL expression numbering `column`'s bucket (an integer)."""
        return self.bucket_of_seconds(epoch_seconds(column, dialect), dialect)

    def bucket_of_seconds(self, seconds: Any, dialect: str) -> Any:
        """The same, for an SQL expression already in seconds since 1970."""
        scaled = (seconds - self.step.origin) / self.step.seconds
        if dialect == "postgresql":
            return cast(func.floor(scaled), BigInteger)
        return cast(scaled, Integer)  # SQLite truncates; times after 1970 are positive


def parse_step(text: str | None) -> Step | None:
    if not text:
        return None
    try:
        return Step(text.strip().lower())
    except ValueError:
        raise UserError(f"{text!r} is not a step; use day or week") from None
