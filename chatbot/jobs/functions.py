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
from chatbot.governance import outbox
from chatbot.governance.actions import State
from chatbot.governance.checks import Refusal
from chatbot.governance.finish import SYSTEM
from chatbot.store.tables import Action
from chatbot.types import Message, ReplyKind, utcnow
from skills import drafts

if TYPE_CHECKING:
    from chatbot.jobs.registry import JobContext

log = logging.getLogger(__name__)


async def start_action(ctx: JobContext, action_id: int) -> str:
    """Start a queued (confirmed or approved) action and run it here; tell the requester.

    The move `queued -> running` is the claim: exactly one caller makes it, whatever the
    number of deliveries of this job. Returns what happened, for logs and tests.
    """
    fin = ctx.runtime.assistant.approvals.finish
    action = await fin.load(action_id)
    if action is None or action.state != State.QUEUED:
        return "not queued"
    message = Message(
        platform=action.platform,
        user_id=action.requester,
        channel=action.channel,
        thread=action.thread,
    )
    async with fin.store.transaction() as tx:
        # The start gate again, at the moment it starts (windows, freezes, the requester as
        # they are now...): a refusal leaves it `denied` with the reason.
        moved = await fin.begin(tx, action_id, {State.QUEUED}, SYSTEM, message, here=True)
    if moved is None:
        return "taken"
    if isinstance(moved, Refusal):
        told = texts.may_not_start(action_id, moved.reason)
        async with fin.store.transaction() as tx:
            outbox.notify(tx, [action.requester], told, action_id, ReplyKind.ERROR)
        return "denied"
    replies = await fin.execute(moved.requester, message, moved)
    what = fin.what(moved)
    async with fin.store.transaction() as tx:
        for reply in replies:
            told = texts.ran_later(action_id, what, reply.text)
            outbox.notify(tx, [moved.requester], told, action_id, ReplyKind.RESULT)
    return "ran"


async def start_scheduled(ctx: JobContext, action_id: int) -> bool:
    """Start a timed action at its time (chatbot/schedules.py), through every start check."""
    return await ctx.runtime.assistant.schedules.start_due(action_id)


async def record_outcomes(ctx: JobContext, **_: object) -> list[int]:
    """Write outcomes this process holds because the database was away when they happened."""
    return await ctx.runtime.assistant.approvals.finish.unrecorded.retry()


async def checkpoint_due(ctx: JobContext, **_: object) -> None:
    """Sign and write an audit checkpoint when one is due (every N entries, every M minutes)."""
    from chatbot.governance import checkpoint

    if ctx.runtime.checkpointer is not None:
        await checkpoint.due(ctx.runtime.checkpointer)


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
    enqueue) to a worker again. Skill drafts older than `drafts.kept_for` go too."""
    fin = ctx.runtime.assistant.approvals.finish
    interrupted = await fin.recover()
    await drafts.expire(fin.store, drafts.kept_for(ctx.settings))  # manifests never added
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


async def sync_directory(ctx: JobContext, **_: object) -> str:
    """Pull the directory from the identity provider (`[identity.sync]`; nothing when off).
    A provider that cannot be reached is logged and tried again at the next tick."""
    from chatbot.directory.sync import sync_now  # here: the directory imports the runtime
    from skills.api import SkillError

    try:
        report = await sync_now(ctx.runtime)
    except SkillError as exc:
        log.warning("directory sync: %s", exc)
        return "failed"
    if report is None:
        return "off"
    log.info("directory sync from %s: %s", report.source, texts.sync_report(report))
    return "changed" if report.changed else "unchanged"
