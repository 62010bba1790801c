"""Thumbs up or down on the assistant's answers: stored, audited, and counted for the KPIs.

One vote per person per answer: a second vote replaces the first (people change their mind,
and a double click must not count twice). Every vote is an audit entry (`feedback.recorded`,
outcome "up" or "down", the skill that answered, if known), written in the same transaction
as the vote. `tally` is what the KPI page reads: the satisfaction rate is up / (up + down)
over the votes as they stand now, cast since a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from chatbot.governance import audit
from chatbot.store.engine import Store
from chatbot.store.tables import FeedbackVote
from chatbot.types import utcnow

EVENT = "feedback.recorded"


class Verdict(StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class Satisfaction:
    up: int
    down: int

    @property
    def rate(self) -> float | None:
        """The share of thumbs up; None when nobody voted (no votes is not 0 %)."""
        total = self.up + self.down
        return self.up / total if total else None


async def record(
    store: Store, *, person: str, reply_id: str, verdict: Verdict, skill: str | None
) -> None:
    """Store `person`'s verdict on one answer (replacing an earlier one) and audit it."""
    verdict = Verdict(verdict)
    try:
        await _write(store, person, reply_id, verdict, skill)
    except IntegrityError:  # the same person's other vote on it landed first: replace that
        await _write(store, person, reply_id, verdict, skill)


async def _write(
    store: Store, person: str, reply_id: str, verdict: Verdict, skill: str | None
) -> None:
    async with store.transaction() as tx:
        vote = await tx.get(FeedbackVote, (person, reply_id))
        before = vote.verdict if vote is not None else None
        if vote is None:
            vote = FeedbackVote(person=person, reply_id=reply_id, verdict=verdict, at=utcnow())
        vote.verdict, vote.skill, vote.at = verdict.value, skill, utcnow()
        tx.add(vote)
        await tx.flush()
        event = audit.AuditRecord(
            actor=person,
            event=EVENT,
            platform="web",
            channel="web",
            skill=skill,
            outcome=verdict.value,
            detail={"reply_id": reply_id, "replaces": before},
        )
        await audit.append(tx, event)


async def tally(store: Store, *, since: datetime | None = None) -> Satisfaction:
    """How many answers got a thumbs up and how many a thumbs down (votes since `since`)."""
    query = select(FeedbackVote.verdict, func.count()).group_by(col(FeedbackVote.verdict))
    if since is not None:
        query = query.where(col(FeedbackVote.at) >= since)
    async with store.read() as tx:
        counts = dict((await tx.exec(query)).all())
    return Satisfaction(up=counts.get(Verdict.UP.value, 0), down=counts.get(Verdict.DOWN.value, 0))


async def verdicts(store: Store, person: str, reply_ids: list[str]) -> dict[str, Verdict]:
    """This person's current votes on these answers (to show which thumb is pressed)."""
    if not reply_ids:
        return {}
    query = select(FeedbackVote.reply_id, FeedbackVote.verdict).where(
        FeedbackVote.person == person, col(FeedbackVote.reply_id).in_(reply_ids)
    )
    async with store.read() as tx:
        rows = (await tx.exec(query)).all()
    return {ref: Verdict(verdict) for ref, verdict in rows}
