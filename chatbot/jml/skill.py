"""employee.onboard: grant, in order, the bundle items its onboarding request holds.

The request (chatbot/jml/joiners.py) wrote one `pending` row per item with this action's id;
running the action grants each through the back end the item names and records it, so the
governance around it (the manager's approval, the start date as a timed start, the start
gate, the audit trail) is the one every request gets. A failed step stops the run: the items
before it stay granted and are listed, the failed one says why, and the rest wait; asking
again (or Retry on the failure card) retries them, Undo (or `chatops employee undo`)
removes what this request granted. The joiner gets a welcome note with what they have and
how to ask for more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatbot import texts
from chatbot.config import Settings
from chatbot.governance import outbox
from chatbot.jml import cards, grants
from chatbot.jml.grants import GrantState
from chatbot.jml.provision import Backends
from chatbot.store.engine import Store
from chatbot.types import Outcome
from skills.api import Requirement, Risk, SkillContext, SkillSpec, SlotSpec, SlotType

if TYPE_CHECKING:  # built after the skills, by the assistant
    from chatbot.jml.wiring import Jml

ONBOARD = SkillSpec(
    name="employee.onboard",
    title="Onboard an employee",
    confirmation="Give {person} the access of {role}?",
    description="Give a new or moving employee the access their role comes with.",
    examples=(
        "onboard the new hire jo as an engineer",
        "please onboard sam, joining sales next week",
        "kick off onboarding for pat starting on monday",
        "new joiner kim starts tomorrow in engineering, her manager is dave",
        "onboard a new starter for the support team",
        "we have a new developer joining on the 14th, onboard them",
        "onboard robin as a designer from 2027-01-04",
    ),
    keywords=("onboard", "onboarding", "new hire", "new joiner", "new starter"),
    patterns=(
        ({"LOWER": {"IN": ("onboard", "on-board")}}, {"IS_ALPHA": True}),
        ({"LOWER": {"IN": ("onboard", "on-board")}}, {"LIKE_EMAIL": True}),
    ),
    slots=(
        SlotSpec("person", SlotType.PERSON, prompt="Who is joining?"),
        # Not asked for: without one, the person's role, department and title in the
        # directory say which bundles apply (Joiners.onboard).
        SlotSpec("role", SlotType.TEXT, required=False),
        SlotSpec("start_date", SlotType.DATE, required=False),
        SlotSpec("manager", SlotType.PERSON, required=False),
    ),
    risk=Risk.MEDIUM,
    requires=Requirement.APPROVAL,
    namespace="employee",
)

OFFBOARD = SkillSpec(
    name="employee.offboard",
    title="Offboard an employee",
    confirmation=(
        "Offboard {person} now? Their account is disabled, their sessions end, and every "
        "access I know of is removed."
    ),
    description="Take everything away from someone who left: sessions, account, all access.",
    examples=(
        "offboard jordan",
        "please run the leaver process for sam",
        "morgan has left the company, remove all of their access",
        "start offboarding for pat, today was their last day",
        "deprovision kim, she resigned",
        "offboard the leaver alex",
    ),
    keywords=("offboard", "offboarding", "leaver", "deprovision", "left the company"),
    patterns=(
        ({"LOWER": {"IN": ("offboard", "off-board", "deprovision")}}, {"IS_ALPHA": True}),
        ({"LOWER": {"IN": ("offboard", "off-board", "deprovision")}}, {"LIKE_EMAIL": True}),
        (
            {"LOWER": "left"},
            {"LOWER": {"IN": ("the", "our")}},
            {"LOWER": {"IN": ("company", "organisation", "organization", "firm", "business")}},
        ),
    ),
    slots=(SlotSpec("person", SlotType.PERSON, prompt="Who is leaving?"),),
    risk=Risk.HIGH,
    requires=Requirement.CONFIRM,
    namespace="employee",
)


class Onboarder:
    """What the skills need from the runtime: the store and the bundles' back ends; and,
    once the assistant is built (`attach`), its jml parts, which offboarding needs (the
    directory, the leaver's back ends)."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.store, self._backends = store, Backends(settings, store)
        self.jml: Jml | None = None

    @property
    def backends(self) -> Backends:
        """The runtime's back ends once attached (they know the manifests' bundles too)."""
        return self.jml.backends if self.jml is not None else self._backends

    def attach(self, jml: Jml) -> None:
        self.jml = jml


class OnboardSkill:
    spec = ONBOARD

    def __init__(self, onboarder: Onboarder | None) -> None:
        self._found = onboarder

    def _onboarder(self) -> Onboarder | None:
        return self._found

    async def preview(self, ctx: SkillContext) -> Outcome:
        found = self._onboarder()
        if found is None:
            return Outcome(False, texts.ONBOARD_UNCONNECTED)
        async with found.store.transaction() as tx:
            rows = [
                r for r in await grants.of(tx, ctx.slots["person"]) if r.action_id == ctx.action_id
            ]
        listed = ", ".join(r.resource for r in rows if r.state != GrantState.GRANTED)
        return Outcome(True, texts.onboard_would(ctx.slots["person"], listed or "nothing"))

    async def run(self, ctx: SkillContext) -> Outcome:
        found = self._onboarder()
        if found is None:
            return Outcome(False, texts.ONBOARD_UNCONNECTED)
        person = ctx.slots["person"]
        async with found.store.transaction() as tx:
            rows = [
                r
                for r in await grants.of(tx, person, (GrantState.PENDING, GrantState.FAILED))
                if r.action_id == ctx.action_id
            ]
        done: list[str] = []
        for step, row in enumerate(rows, start=1):
            await ctx.progress(texts.onboard_step(step, len(rows), row.resource))
            ok, said = await found.backends.grant(row.backend, person, row.grant, ctx.http)
            async with found.store.transaction() as tx:
                fresh = await tx.get(type(row), row.id)
                if fresh is not None:
                    grants.move(fresh, GrantState.GRANTED if ok else GrantState.FAILED, said)
                    tx.add(fresh)
                if not ok:  # the card with Retry and Undo goes to the one who asked
                    left = [r.resource for r in rows[step:]]
                    text = texts.onboard_failed(
                        person, step, len(rows), row.resource, said, done, left
                    )
                    cards.offer(tx, ctx.principal.name, ctx.action_id, text)
            if not ok:
                return Outcome(False, text, {"failed": row.resource, "granted": ",".join(done)})
            done.append(row.resource)
        async with found.store.transaction() as tx:
            held = [r.resource for r in await grants.of(tx, person, (GrantState.GRANTED,))]
            outbox.notify(tx, [person], texts.welcome(person, held))
        return Outcome(True, texts.onboarded(person, done), {"granted": ",".join(done)})
