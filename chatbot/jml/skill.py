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

from chatbot import texts
from chatbot.config import Settings
from chatbot.governance import outbox
from chatbot.jml import cards, grants
from chatbot.jml.grants import GrantState
from chatbot.jml.provision import Backends
from chatbot.store.engine import Store
from chatbot.types import Outcome
from skills.api import Requirement, Risk, SkillContext, SkillSpec, SlotSpec, SlotType

ONBOARD = SkillSpec(
    name="employee.onboard",
    title="Onboard an employee",
    confirmation="Give {person} the access of {role}?",
    description="Give a new or moving employee the access their role comes with.",
    slots=(
        SlotSpec("person", SlotType.PERSON),
        SlotSpec("role", SlotType.TEXT),
        SlotSpec("start_date", SlotType.DATE, required=False),
        SlotSpec("manager", SlotType.PERSON, required=False),
    ),
    risk=Risk.MEDIUM,
    requires=Requirement.APPROVAL,
    namespace="employee",
)


class Onboarder:
    """What the skill needs from the runtime: the store and the bundles' back ends."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.store, self.backends = store, Backends(settings, store)


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
