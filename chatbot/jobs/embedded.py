"""The embedded engine: jobs in the serving process, on APScheduler (SQLite, one process).

Timed jobs (expiry) are APScheduler date jobs in its SQLAlchemy job store (`apscheduler_jobs`,
on the sync URL), so a restart keeps them and a job whose time passed while no process ran
fires at the next start. Periodic jobs are interval jobs in memory. The persisted function
only names the job and its arguments (APScheduler stores functions by import path, and a
runtime cannot be pickled); this engine's listener then runs the job on the event loop.

The scheduler runs in a thread of its own: its job store does blocking database I/O, and on
SQLite a DELETE of a fired job waits for the write lock. On the event loop that wait froze
every conversation whenever a job fired while a transaction was open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from chatbot.governance.lifecycle import JOB_PREFIX, sync_url
from chatbot.jobs.registry import JOBS, Job, JobContext, by_name

log = logging.getLogger(__name__)


def _job_id(name: str, kwargs: Mapping[str, Any]) -> str:
    """One id per job and arguments, so planning it again replaces the earlier plan."""
    if name == "request.expire":  # the id earlier versions used, so a re-send replaces it
        return f"{JOB_PREFIX}{kwargs['action_id']}"
    return f"{name}-{'-'.join(str(v) for v in kwargs.values())}"


def due(name: str, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The persisted job: it only names what to run; the engine's listener runs it."""
    return name, kwargs


class EmbeddedEngine:
    """Runs every job in this process. Actions start inline, in the reply that confirms them."""

    inline = True

    def __init__(self, ctx: JobContext, jobs: tuple[Job, ...] = JOBS) -> None:
        self.ctx, self.jobs = ctx, by_name(jobs)
        self._scheduler: BackgroundScheduler | None = None
        self._tasks: set[asyncio.Task[object]] = set()

    async def start(self) -> None:
        """Sweep once (what a previous process left running), then start the timers."""
        await self.run("actions.sweep", {})
        loop = asyncio.get_running_loop()
        scheduler = BackgroundScheduler(timezone="UTC")
        url = sync_url(self.ctx.runtime.store.url)
        scheduler.add_jobstore(SQLAlchemyJobStore(url=url, tablename="apscheduler_jobs"))
        scheduler.add_jobstore(MemoryJobStore(), "periodic")
        for job in self.jobs.values():
            if job.every is not None:
                scheduler.add_job(
                    due,
                    "interval",
                    seconds=job.every(self.ctx.settings),
                    args=[job.name, {}],
                    id=f"periodic-{job.name}",
                    jobstore="periodic",
                    coalesce=True,
                    max_instances=1,
                )
        scheduler.add_listener(lambda event: self._handoff(loop, event), EVENT_JOB_EXECUTED)
        await asyncio.to_thread(scheduler.start)
        self._scheduler = scheduler

    async def stop(self) -> None:
        if self._scheduler is not None:
            await asyncio.to_thread(self._scheduler.shutdown, wait=False)
            self._scheduler = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def enqueue(self, name: str, at: datetime | None = None, **kwargs: int | str) -> None:
        """Run now (as a task), or persist a date job for `at` (call outside a transaction)."""
        if name not in self.jobs:
            raise KeyError(f"no job named {name!r}")
        if at is None or self._scheduler is None:
            if at is None:
                self._spawn(name, dict(kwargs))
            return
        job_id = _job_id(name, kwargs)
        await asyncio.to_thread(
            self._scheduler.add_job,
            due,
            "date",
            run_date=at,
            args=[name, dict(kwargs)],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def planned(self, name: str, **kwargs: int | str) -> datetime | None:
        """When the date job `name` with these arguments will run (None: none is planned)."""
        if self._scheduler is None:
            return None
        job = await asyncio.to_thread(self._scheduler.get_job, _job_id(name, kwargs))
        return None if job is None else job.next_run_time  # type: ignore[no-any-return]

    async def run(self, name: str, kwargs: Mapping[str, Any]) -> object:
        try:
            return await self.jobs[name].fn(self.ctx, **kwargs)
        except Exception:
            log.exception("job %s failed; a periodic job runs again next period", name)
            return None

    def _spawn(self, name: str, kwargs: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self.run(name, kwargs))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _handoff(self, loop: asyncio.AbstractEventLoop, event: JobExecutionEvent) -> None:
        """In the scheduler's thread: pass a fired job to the event loop."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: this runtime stopped
            loop.call_soon_threadsafe(self._on_executed, event)

    def _on_executed(self, event: JobExecutionEvent) -> None:
        result = event.retval
        if isinstance(result, int) and event.job_id.startswith(JOB_PREFIX):
            self._spawn("request.expire", {"action_id": result})  # persisted by 0.1.0
        elif isinstance(result, tuple) and len(result) == 2 and result[0] in self.jobs:
            self._spawn(result[0], dict(result[1]))
