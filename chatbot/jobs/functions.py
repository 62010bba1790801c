"""What each background job does. Every function is safe to run twice or on two workers at
once: the state moves they make are conditional, so the second run finds nothing to do.

They take the runtime's parts from the context and ids as arguments, never objects, because
a queued job may run in another process, after a restart.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select

from chatbot import texts
from chatbot.governance import actions, outbox
from chatbot.governance.actions import State
from chatbot.governance.finish import SYSTEM, record
from chatbot.store.tables import Action
from chatbot.types import Message, ReplyKind, utcnow

if TYPE_CHECKING:
    from chatbot.jobs.registry import JobContext

log = logging.getLogger(__name__)


async def start_action(ctx: JobContext, action_id: int) -> str:
    """Start a queued (confirmed or approved) action and run it here; tell the requester.

    The move `queued -> running` is the claim: exactly one caller makes it, whatever the
    number of deliveries of this job. Returns what happened, for logs and tests.
    """
    fin = ctx.runtime.assistant.approvals
    action = await fin.load(action_id)
    if action is None or action.state != State.QUEUED:
        return "not queued"
    message = Message(
        platform=action.platform,
        user_id=action.requester,
        channel=action.channel,
        thread=action.thread,
    )
    requester = fin.directory.find(action.requester)
    lease = fin.run_lease()
    started = fin.started(action.requester, message, action, str(lease["runner"]))
    async with fin.store.transaction() as tx:
        moved = await actions.transition(
            tx, action_id, {State.QUEUED}, State.RUNNING, started, extra=lease
        )
    if moved is None:
        return "taken"
    if requester is None:  # left the directory while it waited: never run as nobody
        event = record(SYSTEM, message, "action.failed", moved, State.FAILED)
        async with fin.store.transaction() as tx:
            await actions.transition(
                tx, action_id, {State.RUNNING}, State.FAILED, event, result="requester unknown"
            )
        return "failed"
    replies = await fin.execute(requester, message, moved)
    what = texts.describe(moved.skill, actions.slots_of(moved))
    async with fin.store.transaction() as tx:
        for reply in replies:
            told = texts.ran_later(action_id, what, reply.text)
            outbox.notify(tx, [moved.requester], told, action_id, ReplyKind.RESULT)
    return "ran"


async def start_scheduled(ctx: JobContext, action_id: int) -> bool:
    """Start a timed action at its time (chatbot/schedules.py), through every start check."""
    return await ctx.runtime.assistant.schedules.start_due(action_id)


async def expire_request(ctx: JobContext, action_id: int) -> bool:
    """Expire a request still waiting at its time (a no-op if it moved on)."""
    return await ctx.runtime.assistant.approvals.expire(action_id)


async def revoke_due(ctx: JobContext, **_: object) -> int:
    """Revoke temporary access whose time is up."""
    revoker = ctx.runtime.revoker
    return 0 if revoker is None else await revoker.sweep()


async def sweep(ctx: JobContext, **_: object) -> list[int]:
    """Mark runs whose process died `interrupted` (never re-run) and, on the queue, their jobs
    `failed`; hand queued actions whose job was lost (the replica died between commit and
    enqueue) to a worker again."""
    fin = ctx.runtime.assistant.approvals
    interrupted = await fin.recover()
    from chatbot.jobs.queue import QueueEngine  # here: queue imports this module

    if isinstance(fin.jobs, QueueEngine):
        await fin.jobs.retire_stalled()
        stale = utcnow() - timedelta(seconds=ctx.settings.jobs.sweep_seconds)
        async with fin.store.transaction() as tx:
            rows = await tx.exec(
                select(Action.id).where(
                    Action.state == State.QUEUED, col(Action.updated_at) < stale
                )
            )
            waiting = [i for i in rows.all() if i is not None]
        for action_id in waiting:
            await fin.jobs.enqueue("action.start", action_id=action_id)
    return interrupted
