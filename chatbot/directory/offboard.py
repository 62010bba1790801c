"""A person deactivated or deleted in the directory can do nothing from that moment.

Resolving them already gives a guest (the in-memory index drops them on refresh) and their
votes stop counting (`Voting` counts only active approvers). This module does the rest, in one
transaction with its audit entries: every request they made that is still waiting
(confirmation, approval, or a timed start) is cancelled, and its approvers are told through the
outbox that no decision is needed any more. Approvals waiting for them as a manager go to
their own manager, with a card. Then (outside the transaction: remote calls) `Leaver` removes
every grant, ends sessions and disables the account; the report of every step, done or not
and why, is one `person.offboarded` audit entry and a note to their manager.

A leaver `[jml.offboarding]` names (executives) is the exception: nothing is taken away until
a second person approves the `employee.offboard` request `SecondPerson` asks for; approved,
that request runs this same offboarding (`approved=True`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot import texts
from chatbot.directory.leaver import Item, Leaver, OffboardReport, Step
from chatbot.governance import audit, cards, outbox
from chatbot.governance.actions import State
from chatbot.governance.rbac import Rbac
from chatbot.identity import Directory
from chatbot.store.engine import Store
from chatbot.store.tables import Action, DirectoryPerson, ScheduledAction
from chatbot.types import Principal, ReplyKind, utcnow

if TYPE_CHECKING:
    from chatbot.jml.leavers import SecondPerson

ACTOR = "directory"
# States in which an action is still only intended; "scheduled" covers timed starts.
OPEN = ("awaiting_confirmation", "awaiting_approval", "scheduled")


class Offboarding:
    def __init__(
        self,
        store: Store,
        directory: Directory,
        rbac: Rbac,
        leaver: Leaver | None = None,
        second: SecondPerson | None = None,
    ) -> None:
        self.store, self.directory, self.rbac, self.leaver = store, directory, rbac, leaver
        self.second = second

    async def person_id(self, name: str) -> str | None:
        """The directory id of a person by name (deactivated ones too)."""
        async with self.store.read() as tx:
            query = select(DirectoryPerson.id).where(
                DirectoryPerson.name == name,
                DirectoryPerson.deleted == False,  # noqa: E712
            )
            return (await tx.exec(query)).first()

    async def person(
        self,
        person_id: str,
        by: str | None = None,
        approved: bool = False,
        running: int | None = None,
    ) -> OffboardReport | None:
        """Take everything away from a person who left; the report, None when unknown. One
        who needs a second person waits for that approval (`waiting`) unless `approved`;
        `running` is the chat request now asking, which never stands for that approval."""
        name = self.directory.name_of(person_id)
        if name is None:
            return None
        begun = utcnow()
        if not approved and self.second is not None:
            waiting = await self._second_person(person_id, name, by, running)
            if waiting is not None:
                return waiting
        items = [Item(Step.REQUEST, f"#{i}", True, "cancelled") for i in await self._cancel(name)]
        who = self.directory.find_any(name) or Principal(name, "", name)
        items += await self._hand_over(who)
        if self.leaver is not None:
            items += await self.leaver.remove(who)
        report = OffboardReport(name, begun, utcnow(), tuple(items))
        boss = self.directory.acting_manager(who)
        async with self.store.transaction() as tx:
            await audit.append(
                tx,
                audit.AuditRecord(
                    actor=ACTOR,
                    event="person.offboarded",
                    platform="scim",
                    channel="-",
                    outcome="ok" if report.complete else "partial",
                    detail=report.as_detail(),
                ),
            )
            if boss is not None:
                outbox.notify(tx, [boss.name], texts.offboard_report(report))
        return report

    async def _second_person(
        self, person_id: str, name: str, by: str | None, running: int | None
    ) -> OffboardReport | None:
        """The report of an offboarding that waits for a second person (None: it may run)."""
        assert self.second is not None
        begun = utcnow()
        who = self.directory.find_any(name) or Principal(name, "", name)
        why = await self.second.why(person_id, who)
        if why is None:
            return None
        action_id, problem = await self.second.ask(who, why, by, running)
        said = texts.offboard_waits(name, why, action_id or 0) if action_id else problem
        item = Item(Step.APPROVAL, f"#{action_id}" if action_id else name, False, said)
        report = OffboardReport(name, begun, utcnow(), (item,), waiting=action_id)
        if action_id is None:  # nobody could be asked: said in the audit trail, not hidden
            async with self.store.transaction() as tx:
                await audit.append(
                    tx,
                    audit.AuditRecord(
                        actor=ACTOR,
                        event="person.offboard_not_asked",
                        platform="scim",
                        channel="-",
                        outcome="refused",
                        detail=report.as_detail(),
                    ),
                )
        return report

    async def _hand_over(self, leaver: Principal) -> list[Item]:
        """Requests waiting for the leaver's approval as a manager go to their manager."""
        mine = f"@manager:{leaver.name}"
        boss = self.directory.acting_manager(leaver)
        items: list[Item] = []
        async with self.store.transaction() as tx:
            query = select(Action).where(
                Action.approvers_role == mine, Action.state == State.AWAITING_APPROVAL
            )
            for action in list((await tx.exec(query)).all()):
                if boss is None:
                    items.append(
                        Item(Step.APPROVAL, f"#{action.id}", False, texts.OFFBOARD_NO_MANAGER)
                    )
                    continue
                await self._reroute(tx, action, leaver.name, boss.name)
                items.append(Item(Step.APPROVAL, f"#{action.id}", True, f"now with {boss.name}"))
        return items

    async def _reroute(self, tx: AsyncSession, action: Action, old: str, new: str) -> None:
        await tx.exec(  # type: ignore[call-overload]
            update(Action)
            .where(col(Action.id) == action.id, col(Action.state) == State.AWAITING_APPROVAL)
            .values(approvers_role=f"@manager:{new}", updated_at=utcnow())
        )
        await audit.append(
            tx,
            audit.AuditRecord(
                actor=ACTOR,
                event="approval.handed_over",
                platform="scim",
                channel="-",
                skill=action.skill,
                action_id=action.id,
                outcome="ok",
                detail={"from": old, "to": new, "reason": "approver deactivated"},
            ),
        )
        shown = Action(**{**action.model_dump(), "approvers_role": f"@manager:{new}"})
        zone, asker = self.directory.zone(new), self.directory.zone(action.requester).name
        text = texts.handed_over(old, cards.card_text(shown, zone=zone, requester=asker))
        outbox.notify(
            tx, [new], text, action.id, ReplyKind.APPROVAL, buttons=cards.buttons(action.id or 0)
        )

    async def _cancel(self, name: str) -> list[int]:
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
                if was == State.SCHEDULED:  # its timer row too, so listings drop it
                    await tx.exec(  # type: ignore[call-overload]
                        update(ScheduledAction)
                        .where(col(ScheduledAction.action_id) == action.id)
                        .values(state="cancelled")
                    )
                if was == State.AWAITING_APPROVAL:
                    role = action.approvers_role or "admin"
                    approvers = [p.name for p in self.directory.with_role(role, self.rbac)]
                    note = texts.offboarded_note(action.id or 0, name, action.skill)
                    outbox.notify(tx, approvers, note, action.id)
        return cancelled
