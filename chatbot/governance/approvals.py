"""Confirmation, approval and execution of persisted actions.

Every step is a conditional state transition with its audit entry in one transaction; the
skill runs only for the one caller whose transition to `running` succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from chatbot import dialogue, texts
from chatbot.config import Settings
from chatbot.execute import Executor
from chatbot.governance import actions, audit
from chatbot.governance.actions import State
from chatbot.governance.authorize import Authorizer
from chatbot.identity import Directory
from chatbot.store.engine import Store
from chatbot.store.tables import Action
from chatbot.types import (
    Button,
    ButtonStyle,
    Decision,
    Message,
    Principal,
    Reply,
    ReplyKind,
    Verdict,
    utcnow,
)
from skills.api import SkillSpec
from skills.registry import SkillRegistry


def _record(
    who: str, message: Message, event: str, action: Action | None, outcome: str, **detail: object
) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor=who,
        event=event,
        platform=message.platform,
        channel=message.channel,
        skill=action.skill if action else None,
        action_id=action.id if action else None,
        outcome=outcome,
        detail=detail,
    )


class Approvals:
    def __init__(
        self,
        store: Store,
        registry: SkillRegistry,
        directory: Directory,
        authorizer: Authorizer,
        executor: Executor,
        settings: Settings,
    ) -> None:
        self.store, self.registry, self.directory = store, registry, directory
        self.authorizer, self.executor = authorizer, executor
        self._ttl = timedelta(seconds=settings.limits.confirmation_ttl_seconds)

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
                tx, principal, message, spec.name, slots, decision, utcnow() + self._ttl
            )
            pending = dialogue.Pending(dialogue.CONFIRM, spec.name, slots, action.id)
            await dialogue.save(tx, key, pending, self._ttl)
        assert action.id is not None
        if decision.verdict is Verdict.APPROVE:
            text = texts.needs_approval(
                spec.name, slots, decision.approvers_role or "", decision.approvals_needed
            )
            label = "Send for approval"
        else:
            text, label = texts.confirm(spec.name, slots, decision.risk), "Confirm"
        buttons = (
            Button(label, f"confirm:{action.id}", ButtonStyle.PRIMARY),
            Button("Cancel", f"cancel:{action.id}", ButtonStyle.DANGER),
            Button("Preview", f"preview:{action.id}"),
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
            async with self.store.transaction() as tx:
                event = _record(
                    principal.name,
                    message,
                    "executed",
                    None,
                    "ok" if outcome.ok else "failed",
                    skill=spec.name,
                    summary=outcome.summary,
                )
                await audit.append(tx, event)
            text = texts.result(outcome.summary, outcome.ok, outcome.sandbox)
            return [Reply(text, ReplyKind.RESULT)]
        async with self.store.transaction() as tx:
            action = await actions.create(
                tx, principal, message, spec.name, slots, decision, utcnow() + self._ttl
            )
            started = _record(principal.name, message, "action.started", action, State.RUNNING)
            moved = await actions.transition(
                tx, action.id or 0, {State.AWAITING_CONFIRMATION}, State.RUNNING, started
            )
        assert moved is not None
        return await self._execute(principal, message, moved)

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

    async def _load(self, action_id: int) -> Action | None:
        async with self.store.transaction() as tx:
            return await actions.get(tx, action_id)

    async def _clear(self, requester: str, message: Message) -> None:
        async with self.store.transaction() as tx:
            await dialogue.clear(tx, f"{requester}|{message.platform}|{message.channel}")

    async def confirm(self, principal: Principal, message: Message, action_id: int) -> list[Reply]:
        action = await self._load(action_id)
        if action is None:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        if action.requester != principal.name:
            return [Reply(texts.NOT_YOURS.format(who=action.requester), ReplyKind.ERROR)]
        await self._clear(principal.name, message)
        if action.expires_at is not None and action.expires_at <= utcnow():
            return await self._expire(principal, message, action)
        if action.approvals_needed > 0:
            return await self._send_for_approval(principal, message, action)
        confirmed = _record(principal.name, message, "action.confirmed", action, State.RUNNING)
        async with self.store.transaction() as tx:
            moved = await actions.transition(
                tx, action_id, {State.AWAITING_CONFIRMATION}, State.RUNNING, confirmed
            )
        if moved is None:
            return [Reply(texts.ALREADY.format(state=action.state.replace("_", " ")))]
        return await self._execute(principal, message, moved)

    async def cancel(self, principal: Principal, message: Message, action_id: int) -> list[Reply]:
        action = await self._load(action_id)
        if action is None:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        if action.requester != principal.name:
            return [Reply(texts.NOT_YOURS.format(who=action.requester), ReplyKind.ERROR)]
        await self._clear(principal.name, message)
        event = _record(principal.name, message, "action.cancelled", action, State.CANCELLED)
        async with self.store.transaction() as tx:
            moved = await actions.transition(
                tx,
                action_id,
                {State.AWAITING_CONFIRMATION, State.AWAITING_APPROVAL},
                State.CANCELLED,
                event,
            )
        if moved is None:
            return [Reply(texts.ALREADY.format(state=action.state.replace("_", " ")))]
        return [Reply(texts.CANCELLED, action_id=action_id)]

    async def preview(self, principal: Principal, action_id: int) -> list[Reply]:
        action = await self._load(action_id)
        if action is None or action.state in actions.FINAL:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        requester = self.directory.find(action.requester) or principal
        ctx = self.executor.context(requester, action.skill, actions.slots_of(action), action_id)
        outcome = await self.executor.run(ctx, action.skill, preview=True)
        text = texts.result(f"(preview) {outcome.summary}", outcome.ok, outcome.sandbox)
        return [Reply(text, ReplyKind.RESULT, action_id=action_id)]

    async def _expire(self, principal: Principal, message: Message, action: Action) -> list[Reply]:
        event = _record(principal.name, message, "action.expired", action, State.EXPIRED)
        async with self.store.transaction() as tx:
            await actions.transition(
                tx,
                action.id or 0,
                {State.AWAITING_CONFIRMATION, State.AWAITING_APPROVAL},
                State.EXPIRED,
                event,
            )
        return [Reply("That request expired; nothing was done. Ask again if you still need it.")]

    async def _send_for_approval(
        self, principal: Principal, message: Message, action: Action
    ) -> list[Reply]:
        event = _record(
            principal.name, message, "action.confirmed", action, State.AWAITING_APPROVAL
        )
        async with self.store.transaction() as tx:
            moved = await actions.transition(
                tx, action.id or 0, {State.AWAITING_CONFIRMATION}, State.AWAITING_APPROVAL, event
            )
        if moved is None:
            return [Reply(texts.ALREADY.format(state=action.state.replace("_", " ")))]
        approvers = self.approvers(moved)
        replies = [Reply(texts.sent_for_approval(moved.id or 0, approvers), action_id=moved.id)]
        replies += [self.card(moved, to=name) for name in approvers]
        return replies

    def approvers(self, action: Action) -> list[str]:
        role = action.approvers_role or "admin"
        people = self.directory.with_role(role, self.authorizer.rbac)
        return [p.name for p in people if p.name != action.requester]

    def card(self, action: Action, to: str | None = None) -> Reply:
        text = texts.approval_card(
            action.id or 0,
            action.requester,
            action.skill,
            actions.slots_of(action),
            action.risk,
            action.rule,
        )
        buttons = (
            Button("Approve", f"approve:{action.id}", ButtonStyle.PRIMARY),
            Button("Reject", f"reject:{action.id}", ButtonStyle.DANGER),
            Button("Preview", f"preview:{action.id}"),
        )
        return Reply(text, ReplyKind.APPROVAL, buttons, action_id=action.id, to=to)

    async def inbox(self, principal: Principal) -> list[Reply]:
        """Approval cards for every request this person may decide."""
        async with self.store.transaction() as tx:
            waiting = await actions.waiting_for_approval(tx)
        return [self.card(a) for a in waiting if principal.name in self.approvers(a)]

    async def decide(
        self, principal: Principal, message: Message, action_id: int, approve: bool
    ) -> list[Reply]:
        action = await self._load(action_id)
        if action is None or action.state != State.AWAITING_APPROVAL:
            state = action.state.replace("_", " ") if action else "gone"
            return [Reply(texts.ALREADY.format(state=state))]
        if action.requester == principal.name:
            return [Reply("You cannot approve or reject your own request.", ReplyKind.ERROR)]
        if principal.name not in self.approvers(action):
            role = action.approvers_role or "admin"
            return [Reply(f"Only people with role {role} can decide this.", ReplyKind.ERROR)]
        if action.expires_at is not None and action.expires_at <= utcnow():
            return await self._expire(principal, message, action)
        if not approve:
            return await self._reject(principal, message, action)
        try:
            async with self.store.transaction() as tx:
                voted = await actions.vote(tx, action_id, principal.name, "approve")
                votes = await actions.approvals(tx, action_id)
        except IntegrityError:
            voted = False
        if not voted:
            return [Reply("You already approved this request.")]
        if len(votes) < action.approvals_needed:
            left = action.approvals_needed - len(votes)
            return [Reply(f"Approved by you; {left} more approval(s) needed.", action_id=action_id)]
        event = _record(
            principal.name, message, "action.approved", action, State.RUNNING, approvers=votes
        )
        async with self.store.transaction() as tx:
            moved = await actions.transition(
                tx, action_id, {State.AWAITING_APPROVAL}, State.RUNNING, event
            )
        if moved is None:
            return [Reply(texts.ALREADY.format(state="decided"))]
        requester = self.directory.find(action.requester) or principal
        done = await self._execute(requester, message, moved)
        note = Reply(f"You approved request #{action_id}.", action_id=action_id)
        return [
            note,
            *done,
            *(Reply(r.text, r.kind, action_id=r.action_id, to=action.requester) for r in done),
        ]

    async def _reject(self, principal: Principal, message: Message, action: Action) -> list[Reply]:
        event = _record(principal.name, message, "action.rejected", action, State.REJECTED)
        async with self.store.transaction() as tx:
            moved = await actions.transition(
                tx, action.id or 0, {State.AWAITING_APPROVAL}, State.REJECTED, event
            )
        if moved is None:
            return [Reply(texts.ALREADY.format(state="decided"))]
        told = f"{principal.name} rejected request #{action.id}; nothing was done."
        return [
            Reply(f"You rejected request #{action.id}.", action_id=action.id),
            Reply(told, ReplyKind.RESULT, action_id=action.id, to=action.requester),
        ]

    async def _execute(self, principal: Principal, message: Message, action: Action) -> list[Reply]:
        ctx = self.executor.context(principal, action.skill, actions.slots_of(action), action.id)
        outcome = await self.executor.run(ctx, action.skill)
        state = State.SUCCEEDED if outcome.ok else State.FAILED
        event = _record(
            principal.name, message, "action.finished", action, state, summary=outcome.summary
        )
        async with self.store.transaction() as tx:
            await actions.transition(
                tx, action.id or 0, {State.RUNNING}, state, event, result=outcome.summary
            )
        text = texts.result(outcome.summary, outcome.ok, outcome.sandbox)
        return [Reply(text, ReplyKind.RESULT, action_id=action.id)]
