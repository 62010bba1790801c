"""How actions end: running under a lease, finishing, expiring, and being found interrupted.

`Approvals` builds on this. Expiry and recovery happen with nobody to reply to, so they tell
people through the outbox (`outbox.py`), in the same transaction as the state change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot import texts
from chatbot.config import Settings
from chatbot.execute import Executor
from chatbot.governance import actions, audit, cards, outbox
from chatbot.governance.actions import State
from chatbot.governance.authorize import Authorizer
from chatbot.governance.lifecycle import abandoned, lease_held, runner_id, running_actions
from chatbot.identity import Directory
from chatbot.jobs.port import Enqueue, NoEngine
from chatbot.store.engine import Store
from chatbot.store.tables import Action
from chatbot.types import Message, Principal, Reply, ReplyKind

SYSTEM = "system"


class Holder(Protocol):
    """Holds a timed action back until its time (chatbot/schedules.py)."""

    async def hold(self, message: Message | None, action: Action) -> list[Reply] | None: ...
WAITING = frozenset({State.AWAITING_CONFIRMATION, State.AWAITING_APPROVAL})


def record(
    who: str,
    message: Message | None,
    event: str,
    action: Action | None,
    outcome: str,
    **detail: object,
) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor=who,
        event=event,
        platform=message.platform if message else "scheduler",
        channel=message.channel if message else "-",
        skill=action.skill if action else str(detail.get("skill") or "") or None,
        action_id=action.id if action else None,
        outcome=outcome,
        detail=detail,
    )


class Finisher:
    def __init__(
        self,
        store: Store,
        directory: Directory,
        authorizer: Authorizer,
        executor: Executor,
        settings: Settings,
    ) -> None:
        self.store, self.directory = store, directory
        self.authorizer, self.executor = authorizer, executor
        self.clock = authorizer.clock
        self.channel = settings.approvals.channel
        self.lease = timedelta(seconds=settings.limits.run_lease_seconds)
        # The job engine (chatbot/jobs), attached by the runtime: timers, and whether a
        # confirmed action runs here or on a worker.
        self.jobs: Enqueue = NoEngine()
        self.schedules: Holder | None = None  # set when the runtime has timed actions

    def what(self, action: Action) -> str:
        """The request in the skill's own words ("Deploy web 2.4.1 to prod?"), for cards and
        notices: people never read skill ids."""
        spec = self.executor.registry.spec(action.skill)
        slots = actions.slots_of(action)
        if spec is None:
            return texts.describe(action.skill, slots)
        return texts.sentence(spec, slots, action.requester)

    async def deliver(self, person: str) -> list[Reply]:
        """Hand over this person's undelivered notifications (expired, interrupted) and mark
        them delivered: at least once, since two replicas may hand over the same one."""
        async with self.store.transaction() as tx:
            notes = await outbox.pending(tx, person)
            await outbox.delivered(tx, [n.id for n in notes if n.id is not None])
        return [outbox.as_reply(n) for n in notes]

    @staticmethod
    async def audit(tx: AsyncSession, event: audit.AuditRecord) -> None:
        await audit.append(tx, event)

    async def load(self, action_id: int) -> Action | None:
        async with self.store.transaction() as tx:
            return await actions.get(tx, action_id)

    def is_expired(self, action: Action) -> bool:
        return action.expires_at is not None and action.expires_at <= self.clock()

    @staticmethod
    def started(
        who: str, message: Message, action: Action, runner: str | None = None
    ) -> audit.AuditRecord:
        """The `action.started` step, written with the transition to `running`."""
        return record(
            who,
            message,
            "action.started",
            action,
            State.RUNNING,
            runner=runner or action.runner or "",
        )

    def run_lease(self) -> Mapping[str, object]:
        return {"runner": runner_id(), "lease_until": self.clock() + self.lease}

    def start_move(self) -> tuple[State, Mapping[str, object]]:
        """Where a confirmed or approved action goes: `running` here (with this process's
        lease), or `queued` for a worker (`jobs.engine = "procrastinate"`)."""
        if self.jobs.inline:
            return State.RUNNING, self.run_lease()
        return State.QUEUED, {}

    async def proceed(self, principal: Principal, message: Message, action: Action) -> list[Reply]:
        """Run an action this process just started, or hand a queued one to a worker."""
        if action.state == State.RUNNING:
            return await self.execute(principal, message, action)
        await self.jobs.enqueue("action.start", action_id=action.id or 0)
        return [Reply(texts.queued(action.id or 0), action_id=action.id)]

    def approvers(self, action: Action) -> list[str]:
        role = action.approvers_role or "admin"
        people = self.directory.with_role(role, self.authorizer.rbac)
        return [p.name for p in people if p.name != action.requester]

    def route(
        self, action: Action, text: str, with_buttons: bool = True, updates: bool = False
    ) -> list[Reply]:
        return cards.route(
            action, self.approvers(action), self.channel, text, with_buttons, updates
        )

    async def execute(self, principal: Principal, message: Message, action: Action) -> list[Reply]:
        if self.schedules is not None and (held := await self.schedules.hold(message, action)):
            return held  # a time was named and is still ahead: it waits as `scheduled`
        ctx = self.executor.context(principal, action.skill, actions.slots_of(action), action.id)
        async with lease_held(self.store, self.clock, self.lease, action.id or 0):
            outcome = await self.executor.run(ctx, action.skill)
        state = State.SUCCEEDED if outcome.ok else State.FAILED
        step = "action.finished" if outcome.ok else "action.failed"
        event = record(principal.name, message, step, action, state, summary=outcome.summary)
        async with self.store.transaction() as tx:
            await actions.transition(
                tx, action.id or 0, {State.RUNNING}, state, event, result=outcome.summary
            )
        text = texts.result(outcome.summary, outcome.ok, outcome.sandbox)
        return [Reply(text, ReplyKind.RESULT, action_id=action.id)]

    async def _close(
        self, action: Action, to: State, event: audit.AuditRecord, told: str, at: datetime
    ) -> Action | None:
        """Move a waiting or running action to a final state and tell everyone involved
        (requester, approvers, the approvals channel) through the outbox, atomically."""
        allowed = {State.RUNNING} if to is State.INTERRUPTED else WAITING
        async with self.store.transaction() as tx:
            moved = await actions.transition(tx, action.id or 0, allowed, to, event)
            if moved is None:
                return None
            voters = await actions.voters(tx, action.id or 0)
            involved = [moved.requester, *voters]
            if action.state == State.AWAITING_APPROVAL:
                involved += self.approvers(moved)
            outbox.notify(tx, involved, told, moved.id, ReplyKind.RESULT)
            if action.state == State.AWAITING_APPROVAL:
                card = cards.decided_text(moved, to.value, SYSTEM, at, self.what(moved))
                outbox.notify(
                    tx,
                    [] if self.channel else self.approvers(moved),
                    card,
                    moved.id,
                    ReplyKind.APPROVAL,
                    self.channel or None,
                )
        return moved

    async def expire(
        self, action_id: int, by: str = SYSTEM, message: Message | None = None
    ) -> bool:
        """Expire a request that is still waiting (timer or lazy); False if it moved on."""
        action = await self.load(action_id)
        if action is None or action.state not in WAITING:
            return False
        now = self.clock()
        event = record(
            by, message, "action.expired", action, State.EXPIRED, expires_at=str(action.expires_at)
        )
        told = (
            f"Request #{action_id} ({self.what(action)}"
            f" by {action.requester}) expired without a decision; nothing was done."
        )
        return await self._close(action, State.EXPIRED, event, told, now) is not None

    async def expire_on_access(
        self, principal: Principal, message: Message, action: Action
    ) -> list[Reply]:
        await self.expire(action.id or 0, principal.name, message)
        return [Reply(texts.EXPIRED.format(id=action.id), ReplyKind.ERROR, action_id=action.id)]

    async def recover(self) -> list[int]:
        """Mark `running` actions nobody runs any more as `interrupted`; never re-run them."""
        now, found = self.clock(), []
        for action in await running_actions(self.store):
            if not abandoned(action, now):
                continue
            event = record(
                SYSTEM,
                None,
                "action.interrupted",
                action,
                State.INTERRUPTED,
                runner=action.runner or "",
            )
            what = self.what(action)
            told = (
                f"Request #{action.id} ({what}) was interrupted by a restart while it ran; "
                "it was not run again. Check the system before asking again."
            )
            if await self._close(action, State.INTERRUPTED, event, told, now) is not None:
                found.append(action.id or 0)
        return found
