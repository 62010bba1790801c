"""The action state machine, persisted.

    awaiting_confirmation ─┬─> awaiting_approval ─┬─> approved ─> running ──┬─> succeeded
                           │                      ├─> rejected               ├─> failed
                           ├─> running            ├─> denied                 └─> interrupted
                           ├─> cancelled          ├─> cancelled
                           └─> expired            └─> expired

`approved`: the last approval needed came in (audited as `action.approved`, naming every
approver); the same transaction then claims the run (`action.started`), so a second click
finds the action already approved and does nothing.

`queued` (with `jobs.engine = "procrastinate"`): confirmed or approved, waiting for a worker,
which moves it `queued -> running` (only one worker can) and runs it; it stands where
`running` stands in the picture above when the web replicas run actions themselves.

`denied` after approval: the change window closed (or a freeze began) while it waited.
`interrupted`: the process running it died (its lease lapsed); it is never re-run.
`scheduled`: confirmed (and approved) for a time the person named; at that time it moves to
`running` through the same checks as any start, or to `denied` / `cancelled`
(chatbot/schedules.py).

Every transition is one conditional UPDATE (`WHERE state IN (...)`) in the same transaction as
its audit entry, so a double click, a redelivered event or a second replica cannot move an
action twice: exactly one caller sees the update succeed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.governance import audit
from chatbot.store.tables import Action, ApprovalVote
from chatbot.types import Decision, Message, Principal, utcnow


class State(StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DENIED = "denied"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    INTERRUPTED = "interrupted"
    SCHEDULED = "scheduled"


FINAL = frozenset(
    {
        State.SUCCEEDED,
        State.FAILED,
        State.DENIED,
        State.CANCELLED,
        State.REJECTED,
        State.EXPIRED,
        State.INTERRUPTED,
    }
)


def slots_of(action: Action) -> dict[str, str]:
    return dict(json.loads(action.slots))


async def create(
    session: AsyncSession,
    principal: Principal,
    message: Message,
    skill: str,
    slots: Mapping[str, str],
    decision: Decision,
    expires_at: datetime,
) -> Action:
    """The action, awaiting confirmation, and its `action.requested` entry, in the caller's
    transaction: one round trip."""
    return await session.run_sync(
        create_sync, principal, message, skill, slots, decision, expires_at
    )


def create_sync(
    session: Session,
    principal: Principal,
    message: Message,
    skill: str,
    slots: Mapping[str, str],
    decision: Decision,
    expires_at: datetime,
) -> Action:
    """`create` inside a synchronous transaction function (`Store.run`)."""
    now = utcnow()
    action = Action(
        requester=principal.name,
        skill=skill,
        slots=json.dumps(dict(slots), sort_keys=True),
        state=State.AWAITING_CONFIRMATION,
        risk=decision.risk,
        rule=decision.rule,
        approvers_role=decision.approvers_role,
        approvals_needed=decision.approvals_needed,
        platform=message.platform,
        channel=message.channel,
        thread=message.thread,
        created_at=now,
        updated_at=now,
        expires_at=expires_at,
    )
    action.id = session.execute(_CREATE, action.model_dump(exclude={"id"})).scalar_one()
    requested = audit.AuditRecord(
        actor=principal.name,
        event="action.requested",
        platform=message.platform,
        channel=message.channel,
        skill=skill,
        action_id=action.id,
        outcome=State.AWAITING_CONFIRMATION,
        detail={"slots": dict(slots), "rule": decision.rule, "risk": decision.risk},
    )
    audit.append_sync(session, [requested])
    return action


# Statements built once (the ORM's flush and bulk update cost more than the rows). The
# UPDATE sets the columns its parameters name, besides the two its WHERE binds, and returns
# the moved row, loaded as the session's action.
_TABLE = Action.__table__  # type: ignore[attr-defined]
_CREATE = _TABLE.insert().returning(_TABLE.c.id)
_MOVE = _TABLE.update().where(
    _TABLE.c.id == bindparam("moved_id"),
    _TABLE.c.state.in_(bindparam("moved_from", expanding=True)),
)
_MOVED = select(Action).from_statement(_MOVE.returning(*_TABLE.c))
_REFRESH = {"populate_existing": True}


async def get(session: AsyncSession, action_id: int) -> Action | None:
    return await session.get(Action, action_id)


async def transition(
    session: AsyncSession,
    action_id: int,
    allowed_from: frozenset[State] | set[State],
    to: State,
    record: audit.AuditRecord,
    result: str | None = None,
    extra: Mapping[str, object] | None = None,
    before: audit.AuditRecord | None = None,
) -> Action | None:
    """Move the action if it is in one of `allowed_from`; None when someone else moved it.
    The move, its audit entry and the moved row travel in one round trip.

    `extra` sets more columns in the same UPDATE (the runner and its lease, a new expiry).
    `before`: a step audited just before the move's own entry, when the move happens (the
    caller holds the row lock and knows it will).
    """
    return await session.run_sync(
        transition_sync, action_id, allowed_from, to, record, result, extra, before
    )


def transition_sync(
    session: Session,
    action_id: int,
    allowed_from: frozenset[State] | set[State],
    to: State,
    record: audit.AuditRecord,
    result: str | None = None,
    extra: Mapping[str, object] | None = None,
    before: audit.AuditRecord | None = None,
) -> Action | None:
    """`transition` inside a synchronous transaction function (`Store.run`)."""
    values: dict[str, object] = {"state": to, "updated_at": utcnow(), **(extra or {})}
    if result is not None:
        values["result"] = result
    values |= {"moved_id": action_id, "moved_from": sorted(s.value for s in allowed_from)}
    # The moved row comes back with the UPDATE (RETURNING), refreshing the session's copy
    # of the action as a read after it would.
    moved: Action | None = (
        session.execute(_MOVED, values, execution_options=_REFRESH).scalars().first()
    )
    if moved is None:
        return None
    audit.append_sync(session, [record] if before is None else [before, record])
    return moved


async def vote(session: AsyncSession, action_id: int, approver: str, decision: str) -> bool:
    """Record one approver's vote; False when they already voted on this action."""
    existing = await session.exec(
        select(ApprovalVote).where(
            ApprovalVote.action_id == action_id, ApprovalVote.approver == approver
        )
    )
    if existing.first() is not None:
        return False
    session.add(
        ApprovalVote(action_id=action_id, approver=approver, decision=decision, at=utcnow())
    )
    await session.flush()
    return True


async def approvals(session: AsyncSession, action_id: int) -> list[str]:
    rows = await session.exec(
        select(ApprovalVote.approver).where(
            ApprovalVote.action_id == action_id, ApprovalVote.decision == "approve"
        )
    )
    return list(rows.all())


async def voters(session: AsyncSession, action_id: int) -> list[str]:
    """Everyone who voted on the action, approve or reject (they are told what became of it)."""
    rows = await session.exec(
        select(ApprovalVote.approver).where(ApprovalVote.action_id == action_id)
    )
    return list(rows.all())


async def lock(session: AsyncSession, action_id: int) -> Action | None:
    """Load the action and lock its row until the transaction ends (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serialises writers), so votes on one action queue up."""
    return await session.get(Action, action_id, with_for_update=True, populate_existing=True)


async def waiting_for_approval(session: AsyncSession) -> list[Action]:
    rows = await session.exec(
        select(Action).where(Action.state == State.AWAITING_APPROVAL).order_by(col(Action.id))
    )
    return list(rows.all())
