"""Joiners and movers: what a person's bundles give that they do not hold yet is asked for
as one employee.onboard request; what only their old bundles gave is proposed for removal.

A joiner (SCIM create, `chatops employee onboard`) and a mover (a SCIM change of department,
title, manager or groups) are the same question: `wanted` (their bundles now) against their
`jml_grants` rows. New items become `pending` rows and one request, decided like any request
(RBAC for who asks, policy, the start date as a timed start, the start gate at the start) and
approved by the person's manager. Items no bundle justifies any more are not taken away on
a guess: they go to the manager as a review (keep or revoke), through `Reviews.propose`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from chatbot import texts
from chatbot.errors import NotFound, Refused
from chatbot.governance import actions, audit, outbox
from chatbot.governance.rbac import DIRECT
from chatbot.jml import bundles, grants, start_dates
from chatbot.jml.catalog import BundleCatalog
from chatbot.jml.grants import GrantState
from chatbot.jml.reviews import Reviews
from chatbot.jml.skill import ONBOARD
from chatbot.schedules import timed_rule
from chatbot.store.tables import DirectoryPerson, JmlGrant
from chatbot.times import say
from chatbot.types import Decision, Message, Principal, Reply, Verdict
from intents.when import When
from skills.api import Requirement

if TYPE_CHECKING:  # the assistant builds this module's objects: no import cycle
    from chatbot.assistant import Assistant


class NoBundle(Refused):
    """No bundle matches the person: nothing to ask for (not worth an audit entry)."""


@dataclass(frozen=True, slots=True)
class Asked:
    """What an onboarding request did: the request (None when nothing was new), the items it
    asks for, the items proposed for removal, and what to tell the one who asked."""

    person: str
    action_id: int | None
    asked: tuple[str, ...]
    proposed: tuple[str, ...]
    replies: tuple[Reply, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "person": self.person,
            "request": self.action_id,
            "asked": list(self.asked),
            "proposed_for_removal": list(self.proposed),
            "said": [r.text for r in self.replies if r.to is None],
        }


class Joiners:
    def __init__(self, assistant: Assistant, reviews: Reviews, catalog: BundleCatalog) -> None:
        self.assistant, self.reviews, self.catalog = assistant, reviews, catalog
        self.settings = assistant.settings

    async def directory_changed(self, person_ids: list[str]) -> None:
        """SCIM created or changed these people: ask for what their bundles now give and
        propose removing what only their old ones did, as `jml.onboard_as`. Never raises
        into the SCIM response: what could not be asked is audited with the reason."""
        if not self.catalog.current():
            return
        directory = self.assistant.directory
        requester = directory.find(self.settings.jml.onboard_as or "-")
        for person_id in person_ids:
            name = directory.name_of(person_id)
            if name is None:
                continue
            if requester is None or requester.guest:
                await self._not_asked(name, texts.JML_NO_REQUESTER)
                continue
            message = Message(platform="scim", user_id=requester.name, channel="scim")
            start = await self._start_of(person_id)
            try:
                # The start date of our SCIM extension (scim_schema): a day ahead makes the
                # request a timed start on it; none, today or past, the access follows the
                # manager's approval.
                await self.onboard(requester, name, start, message)
            except NoBundle:
                continue
            except (NotFound, Refused) as exc:
                await self._not_asked(name, str(exc))
            if start is not None:  # a date that moved moves the requests still waiting
                now = self.assistant.approvals.clock()
                await start_dates.move(
                    self.assistant.store, name, self.start_when(name, start), now
                )

    async def _start_of(self, person_id: str) -> date | None:
        async with self.assistant.store.transaction() as tx:
            row = await tx.get(DirectoryPerson, person_id)
        return None if row is None else row.start_date

    def start_when(self, person: str, start: date | datetime | None) -> When | None:
        """When the onboarding of `person` is to start: a day means its first minute on the
        joiner's own clock (their directory time zone, else `conversation.timezone`), so the
        access is there when they arrive; a datetime is that moment. None for no date, or a
        moment already reached (today, the past): it starts once approved."""
        if start is None:
            return None
        zone = self.assistant.directory.zone(person).name
        if isinstance(start, datetime):
            at, said = start, start.isoformat()
        else:
            at, said = datetime.combine(start, time(), tzinfo=ZoneInfo(zone)), start.isoformat()
        if at <= self.assistant.approvals.clock():
            return None
        return When(said=said, zone=zone, at=at.astimezone(UTC))

    async def _not_asked(self, person: str, why: str) -> None:
        async with self.assistant.store.transaction() as tx:
            await audit.append(
                tx,
                audit.AuditRecord(
                    actor="directory",
                    event="jml.not_asked",
                    platform="scim",
                    channel="-",
                    outcome="refused",
                    detail={"person": person, "reason": why},
                ),
            )

    async def onboard(
        self,
        requester: Principal,
        person: str,
        start: date | datetime | None,
        message: Message,
        manager: str | None = None,
        role: str | None = None,
        ask: bool = False,
    ) -> Asked:
        """Ask for what the person's bundles give and they lack; propose what they no longer
        need. Refused when nothing may be asked (no bundle, no manager, RBAC says no).
        `role`: a role, department or bundle someone named (chat), whose bundles are given
        too; `ask`: the requester confirms first (a card), as for any chat request."""
        who, want, new, stale = await self._plan(person, manager, role)
        proposed = await self.reviews.propose(who.name, who.manager, stale, requester.name)
        if not new:
            if not want and not proposed:
                raise NoBundle(texts.jml_no_bundle(who.name))
            said = texts.jml_nothing_new(who.name, [r.resource for r in stale])
            return Asked(who.name, None, (), tuple(r.resource for r in stale), (Reply(said),))
        action_id, replies = await self._request(requester, who, new, start, message, ask)
        return Asked(
            who.name,
            action_id,
            tuple(w.item.resource for w in new),
            tuple(r.resource for r in stale),
            tuple(replies),
        )

    async def _plan(
        self, person: str, manager: str | None, role: str | None
    ) -> tuple[
        bundles.Profile, dict[tuple[str, str], bundles.Wanted], list[bundles.Wanted], list[JmlGrant]
    ]:
        """The person as the directory has them, what their bundles give, what of it is new,
        and what they hold that no bundle justifies any more."""
        directory = self.assistant.directory
        async with self.assistant.store.transaction() as tx:
            who = await bundles.profile(tx, directory, person)
            if who is None:
                raise NotFound(texts.jml_unknown(person))
            if manager:
                boss = directory.find_any(manager)
                if boss is None:
                    raise NotFound(texts.jml_unknown(manager))
                # The directory's manager approves, and the start gate checks it is still
                # them: a manager named here must be that one, not a stand-in.
                if boss.name != who.manager:
                    raise Refused(texts.jml_other_manager(who.name, who.manager, boss.name))
            held = await grants.of(tx, who.name, grants.HELD)
        known = self.catalog.current()
        extra = bundles.named(known, role) if role else []
        if role and not extra:
            raise NotFound(texts.jml_unknown_role(role, sorted(known)))
        want = bundles.wanted(known, who, extra)
        have = {(r.backend, r.grant) for r in held}
        new = [w for key, w in want.items() if key not in have]  # in declared order
        stale = [
            r for r in held if (r.backend, r.grant) not in want and r.state == GrantState.GRANTED
        ]
        return who, want, new, stale

    async def preview(
        self, requester: Principal, person: str, manager: str | None, role: str | None
    ) -> str:
        """What onboarding would ask for now (a dry run, for those who may ask): nothing is
        written."""
        access = self.assistant.authorizer.rbac.check(
            requester, ONBOARD, {"person": person}, DIRECT
        )
        if not access.allowed:
            raise Refused(texts.jml_refused(access.reason))
        who, want, new, _ = await self._plan(person, manager, role)
        if not want:
            raise NoBundle(texts.jml_no_bundle(who.name))
        return texts.onboard_would(who.name, ", ".join(w.item.resource for w in new) or "nothing")

    async def _request(
        self,
        requester: Principal,
        who: bundles.Profile,
        new: list[bundles.Wanted],
        start: date | datetime | None,
        message: Message,
        ask: bool = False,
    ) -> tuple[int, list[Reply]]:
        a = self.assistant
        slots = {
            "person": who.name,
            "role": ", ".join(sorted({w.bundle for w in new})),
            "manager": who.manager or "",
        }
        if start is not None:
            slots["start_date"] = start.isoformat()[:10]
        decision = self._decide(requester, who, slots)
        when = self.start_when(who.name, start)
        if when is not None:
            decision = replace(decision, rule=timed_rule(decision.rule, when))
        if ask:
            return await self._ask(requester, who, new, when, message, slots, decision)
        ttl = a.approvals.approval_expiry()
        async with a.store.transaction() as tx:
            action = await actions.create(
                tx, requester, message, ONBOARD.name, slots, decision, ttl
            )
            for want in new:
                grants.add(tx, who.name, want, action.id)
        action_id = action.id or 0
        if when is not None:
            await a.schedules.plan(action_id, requester.name, when)
        replies = await a.approvals.confirm(requester, message, action_id)
        return action_id, await self._deliver(replies)

    async def _ask(
        self,
        requester: Principal,
        who: bundles.Profile,
        new: list[bundles.Wanted],
        when: When | None,
        message: Message,
        slots: dict[str, str],
        decision: Decision,
    ) -> tuple[int, list[Reply]]:
        """The chat path: the requester gets the card (what, for whom, from when, who
        approves) and sends it for approval themselves, as for any request."""
        a = self.assistant
        asked = await a.approvals.request(requester, message, ONBOARD, slots, decision)
        action_id = asked[0].action_id or 0
        async with a.store.transaction() as tx:
            for want in new:
                grants.add(tx, who.name, want, action_id)
        if when is None:
            return action_id, asked
        await a.schedules.plan(action_id, requester.name, when)
        assert when.at is not None
        day = say(when.at, a.directory.zone(requester.name), requester=when.zone)
        return action_id, [replace(asked[0], text=texts.timed(day, asked[0].text)), *asked[1:]]

    def _decide(
        self, requester: Principal, who: bundles.Profile, slots: dict[str, str]
    ) -> Decision:
        """RBAC for who asks and the policy for the skill, as for any request. A configured
        policy rule names the approvers and how many, as for any skill; without one the
        approver is the joiner's manager (the approver kind of the identity issue), whoever
        asks. Windows and freezes are checked at the start, by the start gate."""
        authorizer = self.assistant.authorizer
        access = authorizer.rbac.check(requester, ONBOARD, slots, DIRECT)
        if not access.allowed:
            raise Refused(texts.jml_refused(access.reason))
        need = authorizer.policy.requirements(ONBOARD, slots)
        rule = f"{access.rule}; {need.rule}"
        if need.requires is not Requirement.APPROVAL:
            verdict = Verdict.CONFIRM if need.requires is Requirement.CONFIRM else Verdict.ALLOW
            return Decision(verdict, rule, "", need.risk)
        if need.configured:
            count = max(need.approvals, 1)
            return Decision(Verdict.APPROVE, rule, "", need.risk, need.approvers, count)
        if who.manager is None:
            raise Refused(texts.jml_no_manager(who.name))
        manager = f"@manager:{who.manager}"
        return Decision(Verdict.APPROVE, rule, "", need.risk, manager, 1)

    async def _deliver(self, replies: list[Reply]) -> list[Reply]:
        """Cards for other people go to their inbox (the asker may be a SCIM client or a
        terminal); what is for the asker is returned."""
        mine = [r for r in replies if r.to is None and r.channel is None]
        others = [r for r in replies if r.to is not None or r.channel is not None]
        if others:
            async with self.assistant.store.transaction() as tx:
                for r in others:
                    outbox.notify(
                        tx,
                        [r.to] if r.to else [],
                        r.text,
                        r.action_id,
                        r.kind,
                        r.channel,
                        r.buttons,
                    )
        return mine

    async def undo(self, person: str, by: str, action_id: int | None = None) -> list[JmlGrant]:
        """Remove what an onboarding request granted (the latest one by default), each item
        through its back end; the rows it could not remove stay granted and say why."""
        return await self.reviews.removal.undo(person, by, action_id)
