"""Thumbs up and down on answers, as the KPI pages read them.

The web chat's feedback (chatbot/feedback.py) stores and counts the votes; this module is the
one place the insights read them through: `from_feedback` is `feedback.tally`, and
`series` counts the votes per bucket of the period (the vote table's `at` is indexed), so a
page can draw satisfaction over time next to the other KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlmodel import col

from chatbot import feedback
from chatbot.insights.period import Period
from chatbot.store.engine import Store
from chatbot.store.tables import FeedbackVote


@dataclass(frozen=True, slots=True)
class Satisfaction:
    up: int
    down: int

    @property
    def rate(self) -> float | None:
        """The share of thumbs up, or None without votes."""
        total = self.up + self.down
        return round(self.up / total, 4) if total else None

    def as_json(self) -> dict[str, object]:
        return {"up": self.up, "down": self.down, "rate": self.rate}


class SatisfactionSource(Protocol):
    async def __call__(self, store: Store, since: datetime) -> Satisfaction | None: ...


async def from_feedback(store: Store, since: datetime) -> Satisfaction | None:
    """The web chat's votes cast since `since`."""
    found = await feedback.tally(store, since=since)
    return Satisfaction(found.up, found.down)


async def no_votes(store: Store, since: datetime) -> Satisfaction | None:
    """For a build without a feedback store: the figure shows as "no data"."""
    return None


async def series(store: Store, period: Period) -> dict[int, Satisfaction]:
    """Votes per bucket of `period` (bucket index -> up and down)."""
    async with store.read() as tx:
        bucket = period.bucket(FeedbackVote.at, tx.sync_session.get_bind().dialect.name)
        rows = (
            await tx.execute(
                select(bucket, col(FeedbackVote.verdict), func.count())
                .where(col(FeedbackVote.at) >= period.since, col(FeedbackVote.at) < period.until)
                .group_by(bucket, col(FeedbackVote.verdict))
            )
        ).all()
    found: dict[int, Satisfaction] = {}
    for b, verdict, n in rows:
        was = found.get(b, Satisfaction(0, 0))
        up = verdict == feedback.Verdict.UP
        found[b] = Satisfaction(was.up + n * up, was.down + n * (not up))
    return found
