"""Confirmation and the start of an action: request, confirm, cancel, preview, send for approval.

Every step is a conditional state transition with its audit entry in one transaction; the
skill runs only for the one caller whose transition to `running` succeeded. Approvers' votes
live in `voting.py`; running, expiry and recovery in `finish.py`, timers in `chatbot/jobs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot import dialogue, texts
from chatbot.config import Settings
from chatbot.execute import Executor
from chatbot.governance import actions, audit, cards
from chatbot.governance.actions import State
from chatbot.governance.audit import AuditRecord
from chatbot.governance.authorize import Authorizer
from chatbot.governance.checks import Refusal
from chatbot.governance.finish import Finisher, Holder, record
from chatbot.governance.voting import Voting
from chatbot.identity import Directory
from chatbot.jobs.port import Enqueue
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


class Approvals:
    """The requester's side (request, confirm, cancel, preview, send for approval), composed
    with the approver's (`Voting`) and how actions start and end (`Finisher`): no inheritance
    chain, each part is handed what it uses."""

    def __init__(
        self,
        store: Store,
        registry: SkillRegistry,
        directory: Directory,
        authorizer: Authorizer,
        executor: Executor,
        settings: Settings,
    ) -> None:
        self.finish = Finisher(store, directory, authorizer, executor, settings)
        self.voting = Voting(self.finish)
        self.registry = registry
        self._ttl = timedelta(seconds=settings.limits.confirmation_ttl_seconds)
        self._approval_ttl = timedelta(seconds=settings.approvals.ttl_seconds)
        # What the rest of the pipeline and the CLI use, from the part that owns it.
        fin = self.finish
        self.store, self.directory, self.authorizer = fin.store, fin.directory, fin.authorizer
        self.clock, self.load, self.what = fin.clock, fin.load, fin.what
        self.deliver, self.recover, self.expire = fin.deliver, fin.recover, fin.expire
        self.start_now = fin.start_now
        self.inbox, self.decide = self.voting.inbox, self.voting.decide

    @property
    def jobs(self) -> Enqueue:
        return self.finish.jobs

    @jobs.setter
    def jobs(self, engine: Enqueue) -> None:
        """The runtime attaches its job engine here (timers; where actions run)."""
        self.finish.jobs = engine

    @property
    def schedules(self) -> Holder | None:
        return self.finish.schedules

    @schedules.setter
    def schedules(self, holder: Holder | None) -> None:
        self.finish.schedules = holder

    async def request(
        self,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        decision: Decision,
    ) -> list[Reply]:
        """Persist the action and ask the requester to confirm (or to send it for approval)."""
        async with self.finish.store.transaction() as tx:
            action = await self.open_request(tx, principal, message, spec, slots, decision)
        return self.asked(principal, spec, slots, decision, action)

    def approval_expiry(self) -> datetime:
        """When a request sent for approval now expires (`approvals.ttl_seconds` from now):
        the one place that sums it, for requests made here and by jml on someone's behalf."""
        return self.finish.clock() + self._approval_ttl

    async def open_request(
        self,
        tx: AsyncSession,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        decision: Decision,
    ) -> Action:
        """In the caller's transaction (the one that audits the decision): the action,
        awaiting confirmation, and the requester's open question about it."""
        key, ttl = dialogue.conversation_key(principal, message), self._ttl
        expires = self.finish.clock() + ttl

        def opened(session: Session) -> Action:  # one round trip
            action = actions.create_sync(
                session, principal, message, spec.name, slots, decision, expires
            )
            pending = dialogue.Pending(dialogue.CONFIRM, spec.name, slots, action.id)
            dialogue.save_sync(session, key, pending, ttl)
            return action

        return await tx.run_sync(opened)

    @staticmethod
    def asked(
        principal: Principal,
        spec: SkillSpec,
        slots: Mapping[str, str],
        decision: Decision,
        action: Action,
    ) -> list[Reply]:
        """The question about a request `open_request` persisted, with its buttons."""
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
            return await self.run_read(principal, message, spec, slots)
        async with self.finish.store.transaction() as tx:
            action, began = await self.claim(tx, principal, message, spec, slots, decision)
        return await self.after_begin(principal, message, action, began)

    async def run_read(
        self,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        decided: AuditRecord | None = None,
    ) -> list[Reply]:
        """Run a skill without side effects at once and audit what it answered (after
        `decided`, the decision to run it, when the caller has not written that yet)."""
        ctx = self.finish.executor.context(principal, spec.name, slots)
        outcome = await self.finish.executor.run(ctx, spec.name)
        ok = "ok" if outcome.ok else "failed"
        event = record(
            principal.name, message, "executed", None, ok, skill=spec.name, summary=outcome.summary
        )
        written = [event] if decided is None else [decided, event]
        await self.finish.store.run(lambda tx: audit.append_sync(tx, written))
        text = texts.result(outcome.summary, outcome.ok, outcome.sandbox)
        return [Reply(text, ReplyKind.RESULT, skill=spec.name)]

    async def claim(
        self,
        tx: AsyncSession,
        principal: Principal,
        message: Message,
        spec: SkillSpec,
        slots: Mapping[str, str],
        decision: Decision,
    ) -> tuple[Action, Action | Refusal | None]:
        """In the caller's transaction: persist an action that needs no confirmation and
        move it through the start gate (`after_begin` runs it once committed)."""
        action = await actions.create(
            tx, principal, message, spec.name, slots, decision, self.finish.clock() + self._ttl
        )
        began = await self.finish.begin(
            tx, action.id or 0, {State.AWAITING_CONFIRMATION}, principal.name, message
        )
        return action, began

    async def after_begin(
        self,
        principal: Principal,
        message: Message,
        action: Action,
        began: Action | Refusal | None,
    ) -> list[Reply]:
        """After the start gate's transaction committed: run it, or say why not."""
        if began is None:
            return [Reply(texts.ALREADY.format(state=action.state.replace("_", " ")))]
        if isinstance(began, Refusal):
            return [self.finish.refused(action.id or 0, began)]
        return await self.finish.proceed(principal.name, message, began)

    async def press(
        self, principal: Principal, message: Message, verb: str, action_id: int
    ) -> list[Reply]:
        match verb:
            case "confirm":
                return await self.confirm(principal, message, action_id)
            case "cancel":
                return await self.cancel(principal, message, action_id)
            case "preview":
                return await self.preview(principal, message, action_id)
            case "approve" | "reject":
                return await self.decide(principal, message, action_id, verb == "approve")
        return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]

    async def _clear(self, requester: str, message: Message) -> None:
        async with self.finish.store.transaction() as tx:
            await dialogue.clear(tx, _conversation(requester, message))

    async def confirm(self, principal: Principal, message: Message, action_id: int) -> list[Reply]:
        """The requester's yes: in one transaction, the action is read under its lock, the
        question closes and the start gate moves it (expired, or needing approval: below)."""
        began: Action | Refusal | None = None
        async with self.finish.store.transaction() as tx:
            action = await actions.lock(tx, action_id)
            starting = action is not None and self._confirmable(principal, action)
            if action is not None and starting:
                confirmed = record(
                    principal.name, message, "action.confirmed", action, State.RUNNING
                )
                await dialogue.clear(tx, _conversation(principal.name, message))
                began = await self.finish.begin(
                    tx,
                    action_id,
                    {State.AWAITING_CONFIRMATION},
                    principal.name,
                    message,
                    confirmed,
                    locked=action,
                )
        if action is not None and starting:  # committed: run it, or say why not
            return await self.after_begin(principal, message, action, began)
        if action is None:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        if action.requester != principal.name:
            return [Reply(texts.NOT_YOURS.format(who=action.requester), ReplyKind.ERROR)]
        await self._clear(principal.name, message)
        if self.finish.is_expired(action):
            return await self.finish.expire_on_access(principal, message, action)
        return await self._send_for_approval(principal, message, action)

    def _confirmable(self, principal: Principal, action: Action) -> bool:
        """The requester's confirmation starts it now: not expired, no approval needed."""
        waits = self.finish.is_expired(action) or action.approvals_needed > 0
        return action.requester == principal.name and not waits

    async def cancel(self, principal: Principal, message: Message, action_id: int) -> list[Reply]:
        action = await self.finish.load(action_id)
        if action is None:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        if action.requester != principal.name:
            return [Reply(texts.NOT_YOURS.format(who=action.requester), ReplyKind.ERROR)]
        event = record(principal.name, message, "action.cancelled", action, State.CANCELLED)
        waiting = {State.AWAITING_CONFIRMATION, State.AWAITING_APPROVAL}
        async with self.finish.store.transaction() as tx:  # the question closes with the move
            await dialogue.clear(tx, _conversation(principal.name, message))
            moved = await actions.transition(tx, action_id, waiting, State.CANCELLED, event)
        if moved is None:
            return [Reply(texts.ALREADY.format(state=action.state.replace("_", " ")))]
        replies = [Reply(texts.CANCELLED, action_id=action_id)]
        if action.state == State.AWAITING_APPROVAL:
            at, what = self.finish.clock(), self.finish.what(moved)
            text = cards.decided(moved, "cancelled", principal.name, at, what)
            replies += self.finish.route(moved, text, with_buttons=False, updates=True)
        return replies

    async def preview(self, principal: Principal, message: Message, action_id: int) -> list[Reply]:
        """A dry run of a pending action, for its requester and those who may decide it
        only; every preview, allowed or refused, is audited."""
        action = await self.finish.load(action_id)
        if action is None or action.state in actions.FINAL:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        requester = self.finish.directory.find(action.requester)
        allowed = principal.name == action.requester or principal.name in self.finish.approvers(
            action
        )
        if not allowed or requester is None:
            refused = record(principal.name, message, "action.previewed", action, "refused")
            async with self.finish.store.transaction() as tx:
                await self.finish.audit(tx, refused)
            return [Reply(texts.PREVIEW_NOT_YOURS.format(id=action_id), ReplyKind.ERROR)]
        ctx = self.finish.executor.context(
            requester, action.skill, actions.slots_of(action), action_id
        )
        outcome = await self.finish.executor.run(ctx, action.skill, preview=True)
        shown = record(
            principal.name,
            message,
            "action.previewed",
            action,
            "ok" if outcome.ok else "failed",
            summary=outcome.summary,
        )
        async with self.finish.store.transaction() as tx:
            await self.finish.audit(tx, shown)
        text = texts.result(f"(preview) {outcome.summary}", outcome.ok, outcome.sandbox)
        return [Reply(text, ReplyKind.RESULT, action_id=action_id)]

    async def _send_for_approval(
        self, principal: Principal, message: Message, action: Action
    ) -> list[Reply]:
        event = record(principal.name, message, "action.confirmed", action, State.AWAITING_APPROVAL)
        expires = self.approval_expiry()
        async with self.finish.store.transaction() as tx:
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
        await self.finish.jobs.enqueue("request.expire", at=expires, action_id=moved.id or 0)
        approvers = self.finish.approvers(moved)
        channel = self.finish.channel
        book = self.finish.authorizer.rbac.channels  # "#approvals", not its id
        sent = texts.sent_for_approval(
            moved.id or 0, [book.shown(channel)] if channel else approvers
        )
        card = cards.card(moved, what=self.finish.what(moved))
        return [Reply(sent, action_id=moved.id), *self.finish.route(moved, card)]


def _conversation(requester: str, message: Message) -> str:
    """The key of the requester's conversation where the answer came from."""
    return f"{requester}|{message.platform}|{message.channel}"
