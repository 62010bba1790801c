"""Thumbs up and down on answers, as the KPI pages read them.

The web chat's feedback (chatbot/feedback.py, issue 16) stores and counts the votes; this
module is the one place the insights read it through, so the pages do not care where the
votes live. `from_feedback` is the source used in production once that module is present;
`no_votes` stands in where it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chatbot.store.engine import Store


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


async def no_votes(store: Store, since: datetime) -> Satisfaction | None:
    """No feedback store in this build: the figure shows as "no data"."""
    return None
