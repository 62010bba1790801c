"""employee.offboard: a leaver named in chat loses everything at once, as a SCIM
`active: false` would do it.

The request went through the one path (RBAC for who asks, the policy, a confirmation card,
the start gate); running it marks the person inactive in the directory (audited), then
`Offboarding` (where `[jml.offboarding]` wants a second person for this leaver, it asks one
first, unless this request is the one a second person approved) cancels their waiting
requests, hands their approvals to their manager, ends
sessions, disables the account and removes every grant the assistant knows of; the report
says what was done and what was not, and why.
"""

from __future__ import annotations

from chatbot import texts
from chatbot.directory import records
from chatbot.directory.deactivate import deactivate
from chatbot.jml import grants
from chatbot.jml.skill import OFFBOARD, Onboarder
from chatbot.types import Outcome
from skills.api import SkillContext


class OffboardSkill:
    spec = OFFBOARD

    def __init__(self, onboarder: Onboarder | None) -> None:
        self._found = onboarder

    async def preview(self, ctx: SkillContext) -> Outcome:
        found = self._found
        if found is None or found.jml is None:
            return Outcome(False, texts.OFFBOARD_UNCONNECTED)
        person = ctx.slots["person"]
        async with found.store.transaction() as tx:
            held = await grants.of(tx, person, grants.HELD)
        return Outcome(True, texts.offboard_would(person, len(held)))

    async def run(self, ctx: SkillContext) -> Outcome:
        found = self._found
        if found is None or found.jml is None:
            return Outcome(False, texts.OFFBOARD_UNCONNECTED)
        person = ctx.slots["person"]
        if person == ctx.principal.name:
            return Outcome(False, texts.OFFBOARD_SELF)
        assistant = found.jml.assistant
        done = await deactivate(found.store, person, ctx.principal.name, "chat")
        if done is None:
            return Outcome(False, texts.jml_unknown_named(person))
        await assistant.directory.refresh(found.store)
        jml = found.jml
        approved = await jml.second.approved(ctx.action_id)
        offboarding = jml.offboarding()
        report = await offboarding.person(
            done.person_id, ctx.principal.name, approved=approved, running=ctx.action_id
        )
        if report is None:
            return Outcome(False, texts.jml_unknown_named(person))
        if report.waiting is not None:  # an executive: a second person approves first
            return Outcome(True, report.items[0].detail)
        removed = ",".join(i.target for i in report.removed)
        said = texts.offboard_report(report)
        if done.source == records.CONFIG:  # the settings file brings them back at the next start
            said = f"{said}\n{texts.offboard_config_person(person)}"
        return Outcome(report.complete, said, {"removed": removed})
