"""What happens to actions when nobody is clicking: expiry on a timer, run leases, recovery.

Expiry: each request sent for approval gets an APScheduler date job in the database
(`apscheduler_jobs`, SQLAlchemyJobStore on the sync URL), so a restart keeps it; a job whose
time passed while no process ran fires at the next start. The job function only returns the
action id (APScheduler persists functions by import path, and a runtime object cannot be
pickled); this runtime's listener then expires the action. Several replicas may fire the same
job: expiring is a conditional transition, so only one of them moves the action.

Leases: the process running an action stamps it with `runner` ("host:pid") and renews
`lease_until` while the skill runs. `recover()` (at start, then every lease period) turns a
`running` action into `interrupted` when its lease lapsed or its process on this host is gone,
and tells the requester and approvers. Nothing is ever re-run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from chatbot.governance.clock import Clock
from chatbot.store.engine import Store
from chatbot.store.tables import Action

log = logging.getLogger(__name__)

JOB_PREFIX = "expire-action-"
PERIODIC_PREFIX = "periodic-"
_SECOND = timedelta(seconds=1)


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
    """The persisted job: it only names the action; the runtime's listener acts on it."""
    return action_id


def tick(name: str) -> str:
    """A periodic job kept in memory: it names the work; the listener runs it on the loop."""
    return name


class Lifecycle:
    """Owns the scheduler of one runtime: expiry jobs (persisted) and recovery (in memory)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        lease: timedelta,
        expire: Callable[[int], Awaitable[object]],
        recover: Callable[[], Awaitable[object]],
    ) -> None:
        self.store, self.clock, self.lease = store, clock, lease
        self._expire, self._recover = expire, recover
        self._tasks: set[asyncio.Task[object]] = set()
        self._scheduler: BackgroundScheduler | None = None
        self._recovering: asyncio.Task[None] | None = None
        self._periodic: dict[str, tuple[float, Callable[[], Awaitable[object]]]] = {}

    def every(self, name: str, seconds: float, job: Callable[[], Awaitable[object]]) -> None:
        """Run `job` on the event loop every `seconds` while this runtime runs (an interval
        job in the scheduler's memory store; call before `start`). The job engine
        (`chatops worker`) takes these over."""
        self._periodic[name] = (seconds, job)

    async def start(self) -> None:
        """Recover, then start the expiry scheduler and the periodic recovery.

        The scheduler runs in a thread of its own: its job store does blocking database
        I/O, and on SQLite a DELETE of a fired job waits for the write lock. On the event
        loop that wait froze every conversation (for 5 s, then failed) whenever a job fired
        while a transaction was open; in its own thread it only waits for that commit.
        """
        await self._recover()
        loop = asyncio.get_running_loop()
        scheduler = BackgroundScheduler(timezone="UTC")
        jobs = SQLAlchemyJobStore(url=sync_url(self.store.url), tablename="apscheduler_jobs")
        scheduler.add_jobstore(jobs, "default")
        scheduler.add_jobstore(MemoryJobStore(), "memory")
        for name, (seconds, _job) in self._periodic.items():
            scheduler.add_job(
                tick,
                "interval",
                seconds=seconds,
                args=[name],
                id=f"{PERIODIC_PREFIX}{name}",
                jobstore="memory",
                coalesce=True,
                max_instances=1,
            )
        scheduler.add_listener(lambda event: self._handoff(loop, event), EVENT_JOB_EXECUTED)
        await asyncio.to_thread(scheduler.start)
        self._scheduler = scheduler
        self._recovering = loop.create_task(self._recover_every(max(self.lease / 2, _SECOND)))

    async def _recover_every(self, period: timedelta) -> None:
        while True:
            await asyncio.sleep(period.total_seconds())
            try:
                await self._recover()
            except Exception:
                log.exception("recovering abandoned actions failed; trying again next period")

    async def stop(self) -> None:
        if self._recovering is not None:
            self._recovering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovering
            self._recovering = None
        if self._scheduler is not None:
            await asyncio.to_thread(self._scheduler.shutdown, wait=False)
            self._scheduler = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def expire_at(self, action_id: int, when: datetime) -> None:
        """Persist the job that expires the action at `when` (call outside a transaction)."""
        if self._scheduler is None:
            return
        await asyncio.to_thread(
            self._scheduler.add_job,
            due,
            "date",
            run_date=when,
            args=[action_id],
            id=f"{JOB_PREFIX}{action_id}",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def _handoff(self, loop: asyncio.AbstractEventLoop, event: JobExecutionEvent) -> None:
        """In the scheduler's thread: pass a fired job to the event loop."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: this runtime stopped
            loop.call_soon_threadsafe(self._on_executed, event)

    def _on_executed(self, event: JobExecutionEvent) -> None:
        if event.job_id.startswith(PERIODIC_PREFIX):
            periodic = self._periodic.get(str(event.retval))
            if periodic is None:
                return
            work: Awaitable[object] = periodic[1]()
        elif event.job_id.startswith(JOB_PREFIX):
            work = self._expire(int(event.retval))
        else:
            return
        task = asyncio.get_running_loop().create_task(_run(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @contextlib.asynccontextmanager
    async def lease_held(self, action_id: int) -> AsyncIterator[None]:
        """Renew the run lease while the body runs, so other processes know we are alive."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(max(self.lease.total_seconds() / 3, 0.05))
                async with self.store.transaction() as tx:
                    await tx.exec(
                        update(Action)  # type: ignore[call-overload]
                        .where(col(Action.id) == action_id, col(Action.state) == "running")
                        .values(lease_until=self.clock() + self.lease)
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


async def _run(work: Awaitable[object]) -> object:
    return await work
