"""A joiner's start date that moves (SCIM PUT or PATCH of startDate) while their onboarding
request still waits for approval: the request's start moves with it.

The timed start of a request is its `scheduled_actions` row, read when the approval comes
(`Schedules.hold`). While that row is still `pending` (not yet approved), moving its `run_at`
is all it takes: the approval then holds it until the new day, or starts it at once when the
new day has come. Once approved and `scheduled`, a timer is already waiting on the job engine
and is not moved here: that is audited (`jml.start_not_moved`) so HR can cancel and ask
again. A request asked without a date stays untimed (its decision was not a timed one).
"""

from __future__ import annotations

from datetime import datetime

from chatbot.governance import audit
from chatbot.governance.actions import State
from chatbot.jml import grants
from chatbot.jml.grants import GrantState
from chatbot.jml.skill import ONBOARD
from chatbot.store.engine import Store
from chatbot.store.tables import Action, ScheduledAction
from intents.when import When

WAITING = (State.AWAITING_CONFIRMATION, State.AWAITING_APPROVAL)
PENDING = "pending"  # schedules.PENDING: the row of a request not yet approved


def _record(event: str, action: Action, person: str, **detail: object) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor="directory",
        event=event,
        platform="scim",
        channel="-",
        skill=action.skill,
        action_id=action.id,
        outcome="ok" if event == "action.rescheduled" else "refused",
        detail={"person": person, **detail},
    )


async def move(store: Store, person: str, when: When | None, now: datetime) -> list[int]:
    """Move the waiting onboarding requests of `person` to `when` (None: the start date is
    today or past, so at once); the ids of the requests moved."""
    at = when.at if when is not None and when.at is not None else now
    moved: list[int] = []
    async with store.transaction() as tx:
        pending = await grants.of(tx, person, (GrantState.PENDING,))
        for action_id in sorted({r.action_id for r in pending if r.action_id}):
            action = await tx.get(Action, action_id)
            row = await tx.get(ScheduledAction, action_id)
            if action is None or row is None or action.skill != ONBOARD.name:
                continue
            if row.run_at == at:
                continue
            if row.state != PENDING or action.state not in WAITING:
                why = "the request is already approved and waiting for its old date"
                await audit.append(tx, _record("jml.start_not_moved", action, person, reason=why))
                continue
            was = row.run_at
            row.run_at = at
            if when is not None:
                row.zone, row.said = when.zone, when.said
            tx.add(row)
            await audit.append(
                tx,
                _record(
                    "action.rescheduled", action, person, was=was.isoformat(), run_at=at.isoformat()
                ),
            )
            moved.append(action_id)
    return moved
