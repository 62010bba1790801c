"""Timed actions: "restart search in staging at 8pm" starts at 8pm, not now, and not never.

The request is decided (RBAC, policy) and confirmed (and approved where policy says) now, as
any request; the one difference is at its start. `hold` is called where every confirmed or
approved action is about to run (Finisher.execute): an action with a time still ahead moves
to `scheduled` instead, with a timer on the job engine (chatbot/jobs: a persisted APScheduler
job, or a procrastinate job, so a restart keeps it). At the time, `start_due` re-decides it
(windows, freezes and RBAC are checked again at run time) and starts it through the one start
path, `Finisher.start_now`; the result reaches the requester through the outbox. Listed and
cancelled in chat ("what is scheduled") and with `chatops schedules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import col, select

from chatbot import texts
from chatbot.governance import actions, cards, outbox
from chatbot.governance.actions import State
from chatbot.governance.approvals import Approvals
from chatbot.governance.finish import record
from chatbot.store.tables import Action, ScheduledAction
from chatbot.times import Zone, say
from chatbot.types import Message, Principal, Reply, ReplyKind, utcnow

if TYPE_CHECKING:  # an annotation: `chatops schedules list` never loads the time parser
    from intents.when import When

SYSTEM = "scheduler"
SOON = timedelta(seconds=5)  # a time this close is "now": start at once
TIMED = cards.TIMED  # in the action's rule trace (audited): it was asked for a time


def timed_rule(rule: str, when: When) -> str:
    """The decision's rule trace with the start time added (audited with the decision)."""
    assert when.at is not None
    return f"{rule}{TIMED}{when.at.isoformat()}"


PENDING, SCHEDULED, STARTED, CANCELLED, DENIED = (
    "pending",
    "scheduled",
    "started",
    "cancelled",
    "denied",
)


@dataclass(frozen=True, slots=True)
class Listed:
    """A scheduled action as `chatops schedules list --json` shows it."""

    id: int
    requester: str
    what: str
    run_at: str
    zone: str
    shown: str
    said: str

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "requester": self.requester,
            "what": self.what,
            "run_at": self.run_at,
            "zone": self.zone,
            "when": self.shown,
            "said": self.said,
        }


# The job that starts a timed action (chatbot/jobs/registry.py). A cancelled or ended one needs
# no unscheduling: `start_due` does nothing to an action that is no longer `scheduled`.
START_JOB = "schedules.start_due"


class Schedules:
    def __init__(self, approvals: Approvals) -> None:
        self.approvals, self.store = approvals, approvals.store
        approvals.schedules = self

    async def plan(self, action_id: int, requester: str, when: When) -> None:
        """Remember the time of a request that is about to be confirmed."""
        assert when.at is not None
        async with self.store.transaction() as tx:
            tx.add(
                ScheduledAction(
                    action_id=action_id,
                    requester=requester,
                    run_at=when.at,
                    zone=when.zone,
                    said=when.said,
                    state=PENDING,
                    created_at=utcnow(),
                )
            )

    async def hold(self, message: Message | None, action: Action) -> list[Reply] | None:
        """Called with a `running` action about to start: a timed one whose time is ahead
        moves to `scheduled` and gets its timer; None means start it now. Untimed actions
        are told apart by their rule trace, without a database round trip."""
        if TIMED not in action.rule:
            return None
        async with self.store.transaction() as tx:
            row = await tx.get(ScheduledAction, action.id or 0)
            if row is None or row.state != PENDING:
                return None
            if row.run_at <= self.approvals.clock() + SOON:
                row.state = STARTED
                tx.add(row)
                return None
            event = record(
                action.requester,
                message,
                "action.scheduled",
                action,
                State.SCHEDULED,
                run_at=row.run_at.isoformat(),
                zone=row.zone,
            )
            moved = await actions.transition(
                tx,
                action.id or 0,
                {State.RUNNING},
                State.SCHEDULED,
                event,
                extra={"runner": None, "lease_until": None},
            )
            if moved is None:
                return None
            row.state = SCHEDULED
            tx.add(row)
            when = self.said(row)
        await self.approvals.jobs.enqueue(START_JOB, at=row.run_at, action_id=action.id or 0)
        text = texts.scheduled(self.approvals.what(moved), when, action.id or 0)
        return [Reply(text, ReplyKind.RESULT, action_id=action.id)]

    def said(self, row: ScheduledAction) -> str:
        """The start time as its requester reads it: in the zone they said it in, named when
        that is not plainly their own (times.say)."""
        reader = self.approvals.directory.zone(row.requester)
        zone = Zone(row.zone or reader.name, own=reader.own)
        return say(row.run_at, zone, requester=reader.name)

    async def start_due(self, action_id: int) -> bool:
        """Start a scheduled action whose time has come: a plain async function of the
        action id, so a job engine can call it as the in-process timer does. Checks RBAC,
        windows and freezes again; tells the requester what happened. True when it ran."""
        approvals = self.approvals
        action = await approvals.load(action_id)
        async with self.store.transaction() as tx:
            row = await tx.get(ScheduledAction, action_id)
        if action is None or row is None or action.state != State.SCHEDULED:
            return False
        message = Message(action.platform, action.requester, channel=action.channel)
        # The one start gate (Finisher.begin): RBAC for the requester as they are now, policy,
        # windows and freezes, rate limits; a refusal leaves the action `denied` with why.
        waiting = frozenset({State.SCHEDULED})
        replies = await approvals.start_now(action_id, SYSTEM, message, waiting)
        refused = any(r.kind is ReplyKind.ERROR for r in replies)
        async with self.store.transaction() as tx:
            await tx.exec(  # type: ignore[call-overload]
                update(ScheduledAction)
                .where(col(ScheduledAction.action_id) == action_id)
                .values(state=DENIED if refused else STARTED)
            )
            for reply in replies:
                outbox.notify(tx, [action.requester], reply.text, action_id, reply.kind)
        return bool(replies) and not refused

    async def waiting(self, person: str | None = None) -> list[Listed]:
        """Scheduled actions still to start, soonest first (one person's, or everyone's)."""
        async with self.store.transaction() as tx:
            query = select(ScheduledAction).where(col(ScheduledAction.state) == SCHEDULED)
            if person is not None:
                query = query.where(col(ScheduledAction.requester) == person)
            rows = list((await tx.exec(query.order_by(col(ScheduledAction.run_at)))).all())
            found = [(row, await actions.get(tx, row.action_id)) for row in rows]
        return [
            Listed(
                row.action_id,
                row.requester,
                self.approvals.what(action),
                row.run_at.isoformat(),
                row.zone,
                self.said(row),
                row.said,
            )
            for row, action in found
            if action is not None
        ]

    async def cancel(self, principal: Principal, action_id: int) -> str:
        """Cancel a scheduled action of one's own; the sentence to say back."""
        action = await self.approvals.load(action_id)
        if action is None or action.state != State.SCHEDULED:
            return texts.NO_SUCH_SCHEDULE.format(id=action_id)
        if action.requester != principal.name:
            return texts.NOT_YOURS.format(who=action.requester)
        event = record(principal.name, None, "action.cancelled", action, State.CANCELLED)
        async with self.store.transaction() as tx:
            moved = await actions.transition(
                tx, action_id, {State.SCHEDULED}, State.CANCELLED, event
            )
            if moved is None:
                return texts.NO_SUCH_SCHEDULE.format(id=action_id)
            await tx.exec(  # type: ignore[call-overload]
                update(ScheduledAction)
                .where(col(ScheduledAction.action_id) == action_id)
                .values(state=CANCELLED)
            )
        return texts.schedule_cancelled(self.approvals.what(action))


def matching(listed: Sequence[Listed], text: str) -> list[Listed]:
    """The scheduled actions a "cancel the restart at 8pm" names: those sharing a word."""
    words = {w for w in text.lower().replace("?", " ").split() if len(w) > 2} - {
        "cancel",
        "the",
        "please",
        "scheduled",
        "stop",
        "abort",
        "and",
    }
    if not words:
        return list(listed)
    return [s for s in listed if words & set(f"{s.what} {s.said}".lower().rstrip("?").split())]
