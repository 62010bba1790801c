"""Button presses through `Assistant.handle`: each value names what it acts on (an action,
a schedule, a support offer, an access review, an incident, a remediation, a slot or skill
choice), and a value that no longer stands gets words, never a guess. Composed into
`Assistant` (assistant.py), its host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatbot import dialogue, texts
from chatbot.incidents import gating
from chatbot.types import ButtonValue, ButtonVerb, Message, Principal, Reply, ReplyKind

if TYPE_CHECKING:
    from chatbot.assistant import Assistant


class Presses:
    def __init__(self, host: Assistant) -> None:
        self.host = host

    async def remedy(self, principal: Principal, message: Message, arg: str) -> list[Reply]:
        """An incident's remediation button: a request like any other (RBAC, policy,
        confirmation, approval), whose answer goes on the incident's timeline."""
        found = await self.host.incidents.remedy(arg)
        spec = self.host.registry.spec(found[1].skill) if found else None
        if found is None or spec is None:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        incident_id, remedy = found
        replies = await self.host._proceed(principal, message, spec, remedy.slots, dry_run=False)
        answer = replies[0].text if replies else ""
        await self.host.incidents.requested(
            incident_id, principal.name, remedy, answer, message.event_id or ""
        )
        return replies

    async def press(self, principal: Principal, message: Message, value: str) -> list[Reply]:
        """A button: what its value names (an action, a schedule, an offer, a review, an
        incident, a remedy, a slot or skill choice), or why it no longer stands."""
        pressed = ButtonValue.parse(value)
        if pressed is None:
            return [Reply(texts.UNKNOWN_BUTTON, ReplyKind.ERROR)]
        verb, arg = pressed.verb, pressed.arg
        if verb is ButtonVerb.UNSCHEDULE:
            return [Reply(await self.host.schedules.cancel(principal, int(arg)))]
        if pressed.action_id is not None:
            return await self.host.approvals.press(principal, message, str(verb), pressed.action_id)
        if verb is ButtonVerb.OFFER:
            return await self.host.conversing.offer_taken(principal, message, arg)
        if verb in (ButtonVerb.REVIEW_KEEP, ButtonVerb.REVIEW_REVOKE):
            return await self.host.jml.press(principal, message, verb, int(arg))
        if verb in (ButtonVerb.ONBOARD_RETRY, ButtonVerb.ONBOARD_UNDO):
            return await self.host.jml.redo.press(principal, message, verb, int(arg))
        if verb in (ButtonVerb.INCIDENT_ACK, ButtonVerb.INCIDENT_RESOLVE):
            moved = await self.host.incidents.move(
                principal, verb, int(arg), message.event_id or ""
            )
            return [Reply(moved)]
        if verb is ButtonVerb.REMEDY:
            return await self.remedy(principal, message, arg)
        if verb is ButtonVerb.ROLLBACK:  # a deploy whose health gate failed
            deployed = await self.host.approvals.finish.load(int(arg))
            wanted = gating.rollback_slots(deployed)
            spec = self.host.registry.spec("deploy.rollback")
            if wanted is None or spec is None:
                return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
            return await self.host._proceed(principal, message, spec, wanted, dry_run=False)
        async with self.host.store.transaction() as tx:
            pending = await dialogue.load(tx, dialogue.conversation_key(principal, message))
        if verb is ButtonVerb.SLOT and pending is not None and pending.slot:
            return await self.host._fill(principal, message, pending, arg)
        if verb is ButtonVerb.PICK and pending is not None and arg in pending.choices:
            await self.host._forget(principal, message)
            spec = self.host.registry.spec(arg)
            if spec is not None:
                slots = {k: v for k, v in pending.slots.items() if spec.slot(k)}
                return await self.host._proceed(principal, message, spec, slots, dry_run=False)
        return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
