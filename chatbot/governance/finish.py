"""How actions start and end: the start gate, running under a lease, finishing, expiring,
and being found interrupted.

`begin` is the one way into `running`: under the action's row lock it runs every start check
(`Authorizer.review_start`) and moves the action to `running` or to `denied` with the reason.
Confirm, the last approval, `run_now` and `start_now` (timed starts, retries) all call it.

`Approvals` and `Voting` are each handed one (composition, not a chain of subclasses). Expiry
and recovery happen with nobody to reply to, so they tell people through the outbox
(`outbox.py`), in the same transaction as the state change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot import texts
from chatbot.config import Settings
from chatbot.execute import Executor
from chatbot.governance import actions, audit, cards, outbox, storage
from chatbot.governance.actions import State
from chatbot.governance.audit import AuditRecord
from chatbot.governance.authorize import Authorizer
from chatbot.governance.checks import Refusal
from chatbot.governance.lifecycle import abandoned, lease_held, runner_id, running_actions
from chatbot.identity import Directory
from chatbot.jobs.port import Enqueue, NoEngine
from chatbot.store.engine import Store
from chatbot.store.tables import Action
from chatbot.types import Message, Principal, Reply, ReplyKind

SYSTEM = "system"
AFTER_RUN = frozenset({State.RUNNING, State.INTERRUPTED})
log = logging.getLogger(__name__)
WAITING = frozenset({State.AWAITING_CONFIRMATION, State.AWAITING_APPROVAL})


class Holder(Protocol):
    """Holds a timed action back until its time (chatbot/schedules.py)."""

    async def hold(self, message: Message | None, action: Action) -> list[Reply] | None: ...


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
        self.incidents = settings.incidents  # health-gated deploys (incidents/gating.py)
        self.lease = timedelta(seconds=settings.limits.run_lease_seconds)
        # Outcomes of skills that finished while the database was away, until it is back
        # (retried by the `outcomes.record` job, and once more when the runtime stops).
        self.unrecorded = storage.Unrecorded()
        # The job engine (chatbot/jobs), attached by the runtime: timers, and whether a
        # confirmed action runs here or on a worker.
        self.jobs: Enqueue = NoEngine()
        self.schedules: Holder | None = None  # set when the runtime has timed actions

    async def flush(self) -> None:
        """At stop: write what can be written of the outcomes still held, and say what not."""
        await self.unrecorded.retry()
        for action_id in self.unrecorded.waiting:
            log.error("the outcome of action %d could not be recorded before stopping", action_id)

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
        """The action as it is now, for a first look; every move re-reads it under its lock.
        A read, not a write transaction: on SQLite it never queues for the write lock."""
        async with self.store.read() as tx:
            return await actions.get(tx, action_id)

    def is_expired(self, action: Action) -> bool:
        return action.expires_at is not None and action.expires_at <= self.clock()

    def run_lease(self) -> Mapping[str, object]:
        return {"runner": runner_id(), "lease_until": self.clock() + self.lease}

    def start_move(self) -> tuple[State, Mapping[str, object]]:
        """Where a confirmed or approved action goes: `running` here (with this process's
        lease), or `queued` for a worker (`jobs.engine = "procrastinate"`)."""
        if self.jobs.inline:
            return State.RUNNING, self.run_lease()
        return State.QUEUED, {}

    async def proceed(self, requester: str, message: Message | None, action: Action) -> list[Reply]:
        """Run an action this process just started, or hand a queued one to a worker."""
        if action.state == State.RUNNING:
            return await self.execute(requester, message, action)
        await self.jobs.enqueue("action.start", action_id=action.id or 0)
        return [Reply(texts.queued(action.id or 0), action_id=action.id)]

    def approvers(self, action: Action) -> list[str]:
        role = action.approvers_role or "admin"
        people = self.directory.with_role(role, self.authorizer.rbac)
        return [p.name for p in people if p.name != action.requester]

    def route(
        self,
        action: Action,
        text: str | cards.Said,
        with_buttons: bool = True,
        updates: bool = False,
    ) -> list[Reply]:
        return cards.route(
            action,
            self.approvers(action),
            self.channel,
            self.for_whom(action, text),
            with_buttons,
            updates,
        )

    def for_whom(self, action: Action, text: str | cards.Said) -> cards.ForWhom:
        """The card for each recipient on their own clock (the approvals channel reads the
        configured default zone, named)."""
        if isinstance(text, str):
            return lambda _who: text
        requester = self.directory.zone(action.requester).name
        return lambda who: text(self.directory.zone(who), requester)

    async def review(self, tx: AsyncSession, action: Action) -> Refusal | None:
        """Every start check for this action, now (None: it may run)."""
        spec = self.executor.registry.spec(action.skill)
        return await self.authorizer.review_start(tx, action, spec)

    async def begin(
        self,
        tx: AsyncSession,
        action_id: int,
        allowed_from: frozenset[State] | set[State],
        who: str,
        message: Message | None,
        step: AuditRecord | None = None,
        here: bool = False,
        locked: Action | None = None,
    ) -> Action | Refusal | None:
        """Under the action's row lock, run the start checks and move the action to
        `running` (audited `step`, then `action.started`), or `queued` for a worker when the
        job engine runs actions elsewhere (`here` forces running, for the worker's own
        claim), or to `denied` with the refusal. None when the action is not in
        `allowed_from` (someone else moved it). `locked`: the action as the caller already
        read it under its lock in this transaction (not read again)."""
        action = locked if locked is not None else await actions.lock(tx, action_id)
        if action is None or action.state not in allowed_from:
            return None
        refused = await self.review(tx, action)
        if refused is not None:
            event = record(
                who,
                message,
                "action.denied",
                action,
                State.DENIED,
                rule=refused.rule,
                reason=refused.reason,
            )
            await actions.transition(
                tx, action_id, allowed_from, State.DENIED, event, result=refused.reason
            )
            return refused
        to, lease = (State.RUNNING, self.run_lease()) if here else self.start_move()
        if to is State.RUNNING:
            event = record(who, message, "action.started", action, to, runner=str(lease["runner"]))
        else:
            event = record(who, message, "action.queued", action, to)
        # Locked and in `allowed_from`: the move happens, `step` audited just before it.
        return await actions.transition(
            tx, action_id, allowed_from, to, event, extra=lease, before=step
        )

    async def start_now(
        self,
        action_id: int,
        by: str = SYSTEM,
        message: Message | None = None,
        waiting: frozenset[State] = frozenset({State.APPROVED}),
    ) -> list[Reply]:
        """Start this action now, if every start check passes at this moment: the public
        entry point for timed starts and retries. `waiting`: the states it may start from.
        The replies go to the requester; a refusal leaves the action `denied`."""
        async with self.store.transaction() as tx:
            began = await self.begin(tx, action_id, waiting, by, message)
        if began is None:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        if isinstance(began, Refusal):
            async with self.store.transaction() as tx:
                action = await actions.get(tx, action_id)
            return [self.refused(action_id, began, action.requester if action else None)]
        replies = await self.proceed(began.requester, message, began)
        return [Reply(r.text, r.kind, action_id=r.action_id, to=began.requester) for r in replies]

    @staticmethod
    def refused(action_id: int, refusal: Refusal, to: str | None = None) -> Reply:
        text = texts.may_not_start(action_id, refusal.reason)
        return Reply(text, ReplyKind.ERROR, action_id=action_id, to=to)

    async def execute(self, requester: str, message: Message | None, action: Action) -> list[Reply]:
        """Run the action as its requester, as the directory knows them now (a timed one
        whose time is still ahead waits as `scheduled` instead)."""
        if self.schedules is not None and (held := await self.schedules.hold(message, action)):
            return held
        principal = self.directory.find(requester)
        if principal is None:  # the start gate refuses this; a removal in between lands here
            return [Reply(texts.may_not_start(action.id or 0, "the requester left"))]
        ctx = self.executor.context(principal, action.skill, actions.slots_of(action), action.id)
        async with lease_held(self.store, self.clock, self.lease, action.id or 0):
            outcome = await self.executor.run(ctx, action.skill)
        state = State.SUCCEEDED if outcome.ok else State.FAILED
        step = "action.finished" if outcome.ok else "action.failed"
        finished = self.clock().isoformat()
        event = record(
            principal.name, message, step, action, state, summary=outcome.summary, at=finished
        )

        async def write() -> None:
            # From `interrupted` too: another replica may have given up on us meanwhile.
            # The move and its audit entry, then the commit: one round trip (Store.run).
            await self.store.run(
                lambda tx: actions.transition_sync(
                    tx, action.id or 0, AFTER_RUN, state, event, result=outcome.summary
                )
            )

        text = texts.result(outcome.summary, outcome.ok, outcome.sandbox)
        try:
            await write()
        except Exception as exc:
            if not storage.unavailable(exc):
                raise
            log.warning(
                "action %s %s but the database is unavailable (%s); recording it when it is back",
                action.id,
                step,
                storage.one_line(exc),
            )
            self.unrecorded.keep(action.id or 0, write)
            text = f"{text} {texts.RECORDED_LATER}"
        if outcome.ok:
            # here: the incidents package (its tables, Prometheus) is the deploy gate's, and
            # the desk `chatops approvals list` builds never finishes an action
            from chatbot.incidents import gating

            if gating.wanted(self.incidents, action.skill):
                await gating.schedule(self.jobs, self.incidents, action, self.clock())
        return [Reply(text, ReplyKind.RESULT, action_id=action.id)]

    async def _close(
        self, action: Action, to: State, event: AuditRecord, told: str, at: datetime
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
                card = self.for_whom(
                    moved, cards.decided(moved, to.value, SYSTEM, at, self.what(moved))
                )
                if self.channel:
                    outbox.notify(tx, [], card(None), moved.id, ReplyKind.APPROVAL, self.channel)
                for name in [] if self.channel else self.approvers(moved):
                    outbox.notify(tx, [name], card(name), moved.id, ReplyKind.APPROVAL)
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
            if action.id in self.unrecorded or not abandoned(action, now):
                continue  # an outcome we hold is written when the database is back
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
