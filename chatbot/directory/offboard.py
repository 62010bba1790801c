"""A person deactivated or deleted in the directory can do nothing from that moment.

Resolving them already gives a guest (the in-memory index drops them on refresh) and their
votes stop counting (`Voting` counts only active approvers). This module does the rest, in one
transaction with its audit entries: every request they made that is still waiting
(confirmation, approval, or a timed start) is cancelled, and its approvers are told through the
outbox that no decision is needed any more.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select

from chatbot import texts
from chatbot.governance import audit, outbox
from chatbot.governance.actions import State
from chatbot.governance.rbac import Rbac
from chatbot.identity import Directory
from chatbot.store.engine import Store
from chatbot.store.tables import Action
from chatbot.types import utcnow

ACTOR = "directory"
# States in which an action is still only intended; "scheduled" covers timed starts.
OPEN = ("awaiting_confirmation", "awaiting_approval", "scheduled")


class Offboarding:
    def __init__(self, store: Store, directory: Directory, rbac: Rbac) -> None:
        self.store, self.directory, self.rbac = store, directory, rbac

    async def person(self, person_id: str) -> list[int]:
        """Cancel what the person left open; the ids of the cancelled actions."""
        name = self.directory.name_of(person_id)
        if name is None:
            return []
        cancelled: list[int] = []
        async with self.store.transaction() as tx:
            await audit.append(
                tx,
                audit.AuditRecord(
                    actor=ACTOR,
                    event="person.deactivated",
                    platform="scim",
                    channel="-",
                    outcome="ok",
                    detail={"person": name},
                ),
            )
            query = select(Action).where(Action.requester == name, col(Action.state).in_(OPEN))
            for action in list((await tx.exec(query)).all()):
                event = audit.AuditRecord(
                    actor=ACTOR,
                    event="action.cancelled",
                    platform="scim",
                    channel="-",
                    skill=action.skill,
                    action_id=action.id,
                    outcome=State.CANCELLED,
                    detail={"reason": "requester deactivated", "person": name},
                )
                was = action.state
                # One guarded UPDATE per action, so a click racing this one moves it once.
                moved = await tx.exec(  # type: ignore[call-overload]
                    update(Action)
                    .where(col(Action.id) == action.id, col(Action.state) == was)
                    .values(
                        state=State.CANCELLED, result="requester deactivated", updated_at=utcnow()
                    )
                )
                if moved.rowcount != 1:
                    continue
                await audit.append(tx, event)
                cancelled.append(action.id or 0)
                if was == State.AWAITING_APPROVAL:
                    role = action.approvers_role or "admin"
                    approvers = [p.name for p in self.directory.with_role(role, self.rbac)]
                    note = texts.offboarded_note(action.id or 0, name, action.skill)
                    outbox.notify(tx, approvers, note, action.id)
        return cancelled
