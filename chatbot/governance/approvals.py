"""Confirmation and the start of an action: request, confirm, cancel, preview, send for approval.

Every step is a conditional state transition with its audit entry in one transaction; the
skill runs only for the one caller whose transition to `running` succeeded. Approvers' votes
live in `voting.py`; running, expiry and recovery in `finish.py`, timers in `chatbot/jobs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from chatbot import dialogue, texts
from chatbot.config import Settings
from chatbot.execute import Executor
from chatbot.governance import actions, cards
from chatbot.governance.actions import State
from chatbot.governance.authorize import Authorizer
from chatbot.governance.finish import record
from chatbot.governance.voting import Voting
from chatbot.identity import Directory
from chatbot.store.engine import Store
from chatbot.store.tables import Action
from chatbot.types import (
    Button,
    ButtonStyle,
    ButtonValue,
    ButtonVerb,
    Decision,
    Message,
    Principal,
    Reply,
    ReplyKind,
    Verdict,
)
from skills.api import SkillSpec
from skills.registry import SkillRegistry


class Approvals(Voting):
    def __init__(
        self,
        store: Store,
        registry: SkillRegistry,
        directory: Directory,
        authorizer: Authorizer,
        executor: Executor,
        settings: Settings,
    ) -> None:
        super().__init__(store, directory, authorizer, executor, settings)
        self.registry = registry
        self._ttl = timedelta(seconds=settings.limits.confirmation_ttl_seconds)
        self._approval_ttl = timedelta(seconds=settings.approvals.ttl_seconds)

    async def request(
        self,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        decision: Decision,
    ) -> list[Reply]:
        """Persist the action and ask the requester to confirm (or to send it for approval)."""
        key = dialogue.conversation_key(principal, message)
        async with self.store.transaction() as tx:
            action = await actions.create(
                tx, principal, message, spec.name, slots, decision, self.clock() + self._ttl
            )
            pending = dialogue.Pending(dialogue.CONFIRM, spec.name, slots, action.id)
            await dialogue.save(tx, key, pending, self._ttl)
        assert action.id is not None
        sentence = texts.sentence(spec, slots, principal.name)
        if decision.verdict is Verdict.APPROVE:
            role = decision.approvers_role or "approver"
            text = texts.needs_approval(sentence, role, decision.approvals_needed)
            label = texts.SEND_FOR_APPROVAL
        else:
            text = texts.confirm(sentence, slots.get("env") == "prod")
            label = texts.CONFIRM_BUTTON
        buttons = (
            Button(
                label, str(ButtonValue.action(ButtonVerb.CONFIRM, action.id)), ButtonStyle.PRIMARY
            ),
            Button(
                texts.CANCEL_BUTTON,
                str(ButtonValue.action(ButtonVerb.CANCEL, action.id)),
                ButtonStyle.DANGER,
            ),
            Button(texts.PREVIEW_BUTTON, str(ButtonValue.action(ButtonVerb.PREVIEW, action.id))),
        )
        return [Reply(text, ReplyKind.CONFIRM, buttons, action_id=action.id)]

    async def run_now(
        self,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        decision: Decision,
    ) -> list[Reply]:
        """Run what needs no confirmation; side effects still get a persisted action."""
        if not spec.side_effect:
            ctx = self.executor.context(principal, spec.name, slots)
            outcome = await self.executor.run(ctx, spec.name)
            ok = "ok" if outcome.ok else "failed"
            event = record(
                principal.name,
                message,
                "executed",
                None,
                ok,
                skill=spec.name,
                summary=outcome.summary,
            )
            async with self.store.transaction() as tx:
                await self.audit(tx, event)
            text = texts.result(outcome.summary, outcome.ok, outcome.sandbox)
            return [Reply(text, ReplyKind.RESULT)]
        async with self.store.transaction() as tx:
            action = await actions.create(
                tx, principal, message, spec.name, slots, decision, self.clock() + self._ttl
            )
            to, extra = self.start_move()
            step = "action.started" if to is State.RUNNING else "action.queued"
            started = record(principal.name, message, step, action, to)
            moved = await actions.transition(
                tx, action.id or 0, {State.AWAITING_CONFIRMATION}, to, started, extra=extra
            )
        assert moved is not None
        return await self.proceed(principal, message, moved)

    async def press(
        self, principal: Principal, message: Message, verb: str, action_id: int
    ) -> list[Reply]:
        match verb:
            case "confirm":
                return await self.confirm(principal, message, action_id)
            case "cancel":
                return await self.cancel(principal, message, action_id)
            case "preview":
                return await self.preview(principal, action_id)
            case "approve" | "reject":
                return await self.decide(principal, message, action_id, verb == "approve")
        return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]

    async def _clear(self, requester: str, message: Message) -> None:
        async with self.store.transaction() as tx:
            await dialogue.clear(tx, f"{requester}|{message.platform}|{message.channel}")

    async def confirm(self, principal: Principal, message: Message, action_id: int) -> list[Reply]:
        action = await self.load(action_id)
        if action is None:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        if action.requester != principal.name:
            return [Reply(texts.NOT_YOURS.format(who=action.requester), ReplyKind.ERROR)]
        await self._clear(principal.name, message)
        if self.is_expired(action):
            return await self.expire_on_access(principal, message, action)
        if action.approvals_needed > 0:
            return await self._send_for_approval(principal, message, action)
        to, extra = self.start_move()
        confirmed = record(principal.name, message, "action.confirmed", action, to)
        async with self.store.transaction() as tx:
            moved = await actions.transition(
                tx, action_id, {State.AWAITING_CONFIRMATION}, to, confirmed, extra=extra
            )
            if moved is not None and to is State.RUNNING:
                await self.audit(tx, self.started(principal.name, message, moved))
        if moved is None:
            return [Reply(texts.ALREADY.format(state=action.state.replace("_", " ")))]
        return await self.proceed(principal, message, moved)

    async def cancel(self, principal: Principal, message: Message, action_id: int) -> list[Reply]:
        action = await self.load(action_id)
        if action is None:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        if action.requester != principal.name:
            return [Reply(texts.NOT_YOURS.format(who=action.requester), ReplyKind.ERROR)]
        await self._clear(principal.name, message)
        event = record(principal.name, message, "action.cancelled", action, State.CANCELLED)
        waiting = {State.AWAITING_CONFIRMATION, State.AWAITING_APPROVAL}
        async with self.store.transaction() as tx:
            moved = await actions.transition(tx, action_id, waiting, State.CANCELLED, event)
        if moved is None:
            return [Reply(texts.ALREADY.format(state=action.state.replace("_", " ")))]
        replies = [Reply(texts.CANCELLED, action_id=action_id)]
        if action.state == State.AWAITING_APPROVAL:
            at, what = self.clock(), self.what(moved)
            text = cards.decided_text(moved, "cancelled", principal.name, at, what)
            replies += self.route(moved, text, with_buttons=False, updates=True)
        return replies

    async def preview(self, principal: Principal, action_id: int) -> list[Reply]:
        action = await self.load(action_id)
        if action is None or action.state in actions.FINAL:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        requester = self.directory.find(action.requester) or principal
        ctx = self.executor.context(requester, action.skill, actions.slots_of(action), action_id)
        outcome = await self.executor.run(ctx, action.skill, preview=True)
        text = texts.result(f"(preview) {outcome.summary}", outcome.ok, outcome.sandbox)
        return [Reply(text, ReplyKind.RESULT, action_id=action_id)]

    async def _send_for_approval(
        self, principal: Principal, message: Message, action: Action
    ) -> list[Reply]:
        event = record(principal.name, message, "action.confirmed", action, State.AWAITING_APPROVAL)
        expires = self.clock() + self._approval_ttl
        async with self.store.transaction() as tx:
            moved = await actions.transition(
                tx,
                action.id or 0,
                {State.AWAITING_CONFIRMATION},
                State.AWAITING_APPROVAL,
                event,
                extra={"expires_at": expires},
            )
        if moved is None:
            return [Reply(texts.ALREADY.format(state=action.state.replace("_", " ")))]
        await self.jobs.enqueue("request.expire", at=expires, action_id=moved.id or 0)
        approvers = self.approvers(moved)
        sent = texts.sent_for_approval(moved.id or 0, [self.channel] if self.channel else approvers)
        card = cards.card_text(moved, what=self.what(moved))
        return [Reply(sent, action_id=moved.id), *self.route(moved, card)]
