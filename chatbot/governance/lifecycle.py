"""Run leases on actions, and telling a live run from an abandoned one.

The process running an action stamps it with `runner` ("host:pid") and renews `lease_until`
while the skill runs (`lease_held`). The sweep job (`chatbot/jobs`) turns a `running` action
into `interrupted` when its lease lapsed or its process on this host is gone, and tells the
requester and approvers. Nothing is ever re-run. Timers (expiry) and periodic work are jobs
too: `chatbot/jobs/embedded.py` (APScheduler, one process) or `chatbot/jobs/queue.py`
(procrastinate, several replicas and workers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from chatbot.governance.clock import Clock
from chatbot.store.engine import Store
from chatbot.store.tables import Action

log = logging.getLogger(__name__)

JOB_PREFIX = "expire-action-"


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned(action: Action, now: datetime) -> bool:
    """True when nobody is running this `running` action any more."""
    if action.lease_until is None or action.lease_until < now:
        return True
    host, _, pid = (action.runner or "").rpartition(":")
    mine = host == socket.gethostname() and pid.isdigit()
    return mine and int(pid) != os.getpid() and not _pid_alive(int(pid))


def sync_url(url: str) -> str:
    """The synchronous driver URL APScheduler's job store needs, for what the store uses."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}.get(backend)
    chosen = parsed.set(drivername=driver) if driver else parsed
    return chosen.render_as_string(hide_password=False)


def due(action_id: int) -> int:
    """Kept so that expiry jobs persisted by earlier versions (by this import path) still
    load; `chatbot/jobs/embedded.py` treats their result as an expiry."""
    return action_id


@contextlib.asynccontextmanager
async def lease_held(
    store: Store, clock: Clock, lease: timedelta, action_id: int
) -> AsyncIterator[None]:
    """Renew the run lease while the body runs, so other processes know we are alive."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(max(lease.total_seconds() / 3, 0.05))
            async with store.transaction() as tx:
                await tx.exec(
                    update(Action)  # type: ignore[call-overload]
                    .where(col(Action.id) == action_id, col(Action.state) == "running")
                    .values(lease_until=clock() + lease)
                )

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def running_actions(store: Store) -> list[Action]:
    async with store.transaction() as tx:
        rows = await tx.exec(select(Action).where(Action.state == "running"))
        return list(rows.all())
