"""A second person for executives: a leaver matched by `[jml.offboarding]` (a role, a job
title, a group) is offboarded only once someone else approves, as an `employee.offboard`
request; every other leaver is offboarded at once (chatbot/directory/offboard.py).

The request is asked as the person who started the offboarding (`chatops employee offboard
--as`), or `jml.onboard_as` when SCIM or a pull sync deactivated the leaver; its approvers are
the configured role (or the leaver's manager), never the requester, with the approval cards
of every request, and approved, it starts through the one start gate and runs the whole
offboarding as `OffboardSkill`. The requester and the leaver's manager are told it waits.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlmodel import col, select

from chatbot import texts
from chatbot.config import MANAGER_APPROVER
from chatbot.governance import actions, audit, outbox
from chatbot.governance.actions import State
from chatbot.jml.skill import OFFBOARD
from chatbot.store.tables import Action, DirectoryGroup, DirectoryMember, DirectoryPerson
from chatbot.types import Decision, Message, Principal, Reply, Verdict
from skills.api import Risk

if TYPE_CHECKING:
    from chatbot.assistant import Assistant

# A request for this leaver that is still on its way: a second one is not asked.
OPEN = (State.AWAITING_APPROVAL, State.APPROVED, State.QUEUED, State.RUNNING, State.SCHEDULED)


class SecondPerson:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings.jml.offboarding

    async def why(self, person_id: str, who: Principal) -> str | None:
        """What makes this leaver one a second person must approve (None: nothing). Read
        from the directory record: a deactivated person holds no roles or groups any more."""
        s = self.settings
        if not s.wanted:
            return None
        title, groups = await self._record(person_id)
        held = replace(who, roles=frozenset(r for r, _ in who.role_sources), groups=groups)
        roles = {r.lower() for r in self.assistant.authorizer.rbac.roles_of(held)}
        for role in s.second_person_roles:
            if role.lower() in roles:
                return texts.second_person_because("role", role)
        lowered = {g.lower() for g in groups}
        for group in s.second_person_groups:
            if group.lower() in lowered:
                return texts.second_person_because("group", group)
        for wanted in s.second_person_titles:
            if wanted.lower() == title.lower():
                return texts.second_person_because("title", wanted)
        return None

    async def _record(self, person_id: str) -> tuple[str, frozenset[str]]:
        """The person's job title and the names of the groups they are in."""
        async with self.assistant.store.read() as tx:
            row = await tx.get(DirectoryPerson, person_id)
            query = (
                select(DirectoryGroup.display_name)
                .join(DirectoryMember, col(DirectoryMember.group_id) == col(DirectoryGroup.id))
                .where(DirectoryMember.person_id == person_id, DirectoryGroup.deleted == False)  # noqa: E712
            )
            groups = frozenset((await tx.exec(query)).all())
        try:
            title = str(json.loads(row.resource or "{}").get("title") or "") if row else ""
        except ValueError:
            title = ""
        return title, groups

    async def approved(self, action_id: int | None) -> bool:
        """Whether someone other than its requester approved this request: the second person
        an executive's offboarding waits for (a chat request confirmed by its requester alone
        is not)."""
        if action_id is None:
            return False
        async with self.assistant.store.read() as tx:
            action = await tx.get(Action, action_id)
            if action is None:
                return False
            voters = await actions.approvals(tx, action_id)
        return any(v != action.requester for v in voters)

    async def ask(
        self, leaver: Principal, why: str, by: str | None, running: int | None = None
    ) -> tuple[int | None, str]:
        """The waiting request's id (an open one is reused, never `running`, the request
        now asking), or None and why none was asked."""
        a = self.assistant
        existing = await self._open(leaver.name, running)
        if existing is not None:
            return existing, ""
        requester = a.directory.find(by or a.settings.jml.onboard_as or "-")
        if requester is None or requester.guest:
            return None, texts.OFFBOARD_NO_REQUESTER
        approvers = self.settings.approvers
        if approvers == MANAGER_APPROVER:
            boss = a.directory.acting_manager(leaver)
            if boss is None or boss.name == requester.name:
                return None, texts.OFFBOARD_NO_SECOND_MANAGER
            approvers = f"@manager:{boss.name}"
        rule = f"jml.offboarding: a second person ({why})"
        decision = Decision(
            Verdict.APPROVE, rule, "", Risk.HIGH.value, approvers, self.settings.approvals
        )
        message = Message(platform="scim", user_id=requester.name, channel="scim")
        slots = {"person": leaver.name}
        ttl = a.approvals.approval_expiry()
        async with a.store.transaction() as tx:
            action = await actions.create(
                tx, requester, message, OFFBOARD.name, slots, decision, ttl
            )
        replies = await a.approvals.confirm(requester, message, action.id or 0)
        await self._deliver(requester.name, leaver, why, replies)
        return action.id, ""

    async def _open(self, name: str, running: int | None) -> int | None:
        async with self.assistant.store.read() as tx:
            query = select(Action).where(
                Action.skill == OFFBOARD.name, col(Action.state).in_([s.value for s in OPEN])
            )
            rows = (await tx.exec(query)).all()
        found = [a for a in rows if actions.slots_of(a).get("person") == name and a.id != running]
        return found[0].id if found else None

    async def _deliver(
        self, requester: str, leaver: Principal, why: str, replies: list[Reply]
    ) -> None:
        """Approval cards to the approvers (or the approvals channel); the requester and the
        leaver's manager hear that the offboarding waits, and why."""
        boss = self.assistant.directory.acting_manager(leaver)
        told = [requester, *([boss.name] if boss is not None else [])]
        async with self.assistant.store.transaction() as tx:
            for r in replies:
                if r.to is not None or r.channel is not None:
                    to = [r.to] if r.to else []
                    outbox.notify(tx, to, r.text, r.action_id, r.kind, r.channel, r.buttons)
            action_id = next((r.action_id for r in replies if r.action_id), None)
            text = texts.offboard_waits(leaver.name, why, action_id or 0)
            outbox.notify(tx, told, text, action_id)
            await audit.append(
                tx,
                audit.AuditRecord(
                    actor="directory",
                    event="person.offboard_waiting",
                    platform="scim",
                    channel="-",
                    action_id=action_id,
                    outcome="waiting",
                    detail={"person": leaver.name, "reason": why, "requester": requester},
                ),
            )
