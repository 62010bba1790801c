"""Requests by skill and how they ended, counted by the database.

Three records say what became of a request: an action row for anything with a side effect
(its state), an `executed` audit entry for a read-only skill (ok or failed), and a `decided`
audit entry with outcome `deny` for a request refused before any action existed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.governance.actions import State
from chatbot.store.tables import Action, AuditEntry


class Ending(StrEnum):
    """How a request ended, in the few words a chart legend has room for."""

    DONE = "done"
    FAILED = "failed"
    REFUSED = "refused"
    DROPPED = "dropped"
    OPEN = "open"


ENDINGS: dict[str, Ending] = {
    State.SUCCEEDED: Ending.DONE,
    State.FAILED: Ending.FAILED,
    State.INTERRUPTED: Ending.FAILED,
    State.DENIED: Ending.REFUSED,
    State.REJECTED: Ending.REFUSED,
    State.CANCELLED: Ending.DROPPED,
    State.EXPIRED: Ending.DROPPED,
    "ok": Ending.DONE,
    "deny": Ending.REFUSED,
}


@dataclass(frozen=True, slots=True)
class RequestCount:
    skill: str
    counts: dict[Ending, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_json(self) -> dict[str, object]:
        return {
            "skill": self.skill,
            "total": self.total,
            **{str(e): self.counts.get(e, 0) for e in Ending},
        }


async def request_counts(tx: AsyncSession, since: datetime, until: datetime) -> list[RequestCount]:
    """Per skill, the requests in [since, until) by ending; the most requested first."""
    actions = (
        await tx.execute(
            select(col(Action.skill), col(Action.state), func.count())
            .where(col(Action.created_at) >= since, col(Action.created_at) < until)
            .group_by(col(Action.skill), col(Action.state))
        )
    ).all()
    audited = (
        await tx.execute(
            select(col(AuditEntry.skill), col(AuditEntry.outcome), func.count())
            .where(
                col(AuditEntry.at) >= since,
                col(AuditEntry.at) < until,
                col(AuditEntry.skill).is_not(None),
                (
                    (col(AuditEntry.event) == "executed") & col(AuditEntry.action_id).is_(None)
                    | ((col(AuditEntry.event) == "decided") & (col(AuditEntry.outcome) == "deny"))
                ),
            )
            .group_by(col(AuditEntry.skill), col(AuditEntry.outcome))
        )
    ).all()
    table: dict[str, dict[Ending, int]] = defaultdict(lambda: defaultdict(int))
    for skill, state, n in [*actions, *audited]:
        table[str(skill)][ENDINGS.get(str(state), Ending.OPEN)] += int(n)
    found = [RequestCount(skill, dict(counts)) for skill, counts in table.items()]
    return sorted(found, key=lambda r: (-r.total, r.skill))
