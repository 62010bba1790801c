"""Confirmation, approval and execution of persisted actions.

Every step is a conditional state transition with its audit entry in one transaction; the
skill runs only for the one caller whose transition to `running` succeeded. Votes on one
action are serialised by locking its row, so N-of-M counts distinct approvers exactly even
when fifty of them click at once. Timers, leases and recovery live in `finish.py` and
`lifecycle.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot import dialogue, texts
from chatbot.config import Settings
from chatbot.execute import Executor
from chatbot.governance import actions, cards
from chatbot.governance.actions import State
from chatbot.governance.authorize import Authorizer
from chatbot.governance.finish import Finisher, record
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
)
from skills.api import SkillSpec
from skills.registry import SkillRegistry

OWN_REQUEST = "You cannot approve or reject your own request."


class Approvals(Finisher):
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
            started = record(principal.name, message, "action.started", action, State.RUNNING)
            moved = await actions.transition(
                tx,
                action.id or 0,
                {State.AWAITING_CONFIRMATION},
                State.RUNNING,
                started,
                extra=self.run_lease(),
            )
        assert moved is not None
        return await self.execute(principal, message, moved)

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
        confirmed = record(principal.name, message, "action.confirmed", action, State.RUNNING)
        async with self.store.transaction() as tx:
            moved = await actions.transition(
                tx,
                action_id,
                {State.AWAITING_CONFIRMATION},
                State.RUNNING,
                confirmed,
                extra=self.run_lease(),
            )
        if moved is None:
            return [Reply(texts.ALREADY.format(state=action.state.replace("_", " ")))]
        return await self.execute(principal, message, moved)

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
            text = cards.decided_text(moved, "cancelled", principal.name, self.clock())
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
        await self.lifecycle.expire_at(moved.id or 0, expires)
        approvers = self.approvers(moved)
        sent = texts.sent_for_approval(moved.id or 0, [self.channel] if self.channel else approvers)
        return [Reply(sent, action_id=moved.id), *self.route(moved, cards.card_text(moved))]

    def card(self, action: Action, to: str | None = None, votes: tuple[str, ...] = ()) -> Reply:
        text = cards.card_text(action, votes)
        return Reply(text, ReplyKind.APPROVAL, cards.buttons(action.id or 0), action.id, to=to)

    async def inbox(self, principal: Principal) -> list[Reply]:
        """Approval cards for every request this person may still decide."""
        async with self.store.transaction() as tx:
            waiting = await actions.waiting_for_approval(tx)
            shown = []
            for action in waiting:
                if principal.name not in self.approvers(action) or self.is_expired(action):
                    continue
                votes = tuple(await actions.approvals(tx, action.id or 0))
                if principal.name not in votes:
                    shown.append(self.card(action, votes=votes))
        return shown

    async def decide(
        self, principal: Principal, message: Message, action_id: int, approve: bool
    ) -> list[Reply]:
        action = await self.load(action_id)
        if action is None or action.state != State.AWAITING_APPROVAL:
            state = action.state.replace("_", " ") if action else "gone"
            return [Reply(texts.ALREADY.format(state=state))]
        if action.requester == principal.name:
            return [Reply(OWN_REQUEST, ReplyKind.ERROR)]
        if principal.name not in self.approvers(action):
            role = action.approvers_role or "admin"
            return [Reply(f"Only people with role {role} can decide this.", ReplyKind.ERROR)]
        if self.is_expired(action):
            return await self.expire_on_access(principal, message, action)
        try:
            async with self.store.transaction() as tx:
                verdict = await self._vote(tx, principal, message, action_id, approve)
        except IntegrityError:
            verdict = None
        if verdict is None:
            return [Reply("You already voted on this request; nothing more was done.")]
        moved, votes = verdict
        if moved is None:
            return [Reply(texts.ALREADY.format(state="decided"))]
        if moved.state == State.REJECTED:
            return self._rejected(principal, moved)
        if moved.state == State.AWAITING_APPROVAL:
            left = moved.approvals_needed - len(votes)
            text = cards.card_text(moved, votes)
            return [
                Reply(f"Approved by you; {left} more approval(s) needed.", action_id=action_id),
                *self.route(moved, text, updates=True),
                Reply(
                    f"{principal.name} approved request #{action_id}; {left} more needed.",
                    action_id=action_id,
                    to=moved.requester,
                ),
            ]
        requester = self.directory.find(moved.requester) or principal
        done = await self.execute(requester, message, moved)
        text = cards.decided_text(moved, "approved", ", ".join(votes), self.clock())
        return [
            Reply(f"You approved request #{action_id}.", action_id=action_id),
            *done,
            *self.route(moved, text, with_buttons=False, updates=True),
            *(Reply(r.text, r.kind, action_id=r.action_id, to=moved.requester) for r in done),
        ]

    async def _vote(
        self,
        tx: AsyncSession,
        principal: Principal,
        message: Message,
        action_id: int,
        approve: bool,
    ) -> tuple[Action | None, list[str]] | None:
        """One vote, counted under the action's row lock; None when this person already voted.

        Returns the action as moved (rejected, running) or as it stands (still waiting).
        """
        action = await actions.lock(tx, action_id)
        if action is None or action.state != State.AWAITING_APPROVAL:
            return None, []
        choice = "approve" if approve else "reject"
        if not await actions.vote(tx, action_id, principal.name, choice):
            return None
        votes = await actions.approvals(tx, action_id)
        if not approve:
            event = record(principal.name, message, "action.rejected", action, State.REJECTED)
            moved = await actions.transition(
                tx, action_id, {State.AWAITING_APPROVAL}, State.REJECTED, event
            )
            return moved, votes
        if len(votes) < action.approvals_needed:
            event = record(
                principal.name,
                message,
                "action.approved",
                action,
                State.AWAITING_APPROVAL,
                approvers=votes,
            )
            await self.audit(tx, event)
            return action, votes
        event = record(
            principal.name, message, "action.approved", action, State.RUNNING, approvers=votes
        )
        moved = await actions.transition(
            tx, action_id, {State.AWAITING_APPROVAL}, State.RUNNING, event, extra=self.run_lease()
        )
        return moved, votes

    def _rejected(self, principal: Principal, action: Action) -> list[Reply]:
        told = f"{principal.name} rejected request #{action.id}; nothing was done."
        text = cards.decided_text(action, "rejected", principal.name, self.clock())
        return [
            Reply(f"You rejected request #{action.id}.", action_id=action.id),
            *self.route(action, text, with_buttons=False, updates=True),
            Reply(told, ReplyKind.RESULT, action_id=action.id, to=action.requester),
        ]
