"""The procrastinate engine: jobs in PostgreSQL, for several web replicas and workers.

`chatops serve` only enqueues (one INSERT into `procrastinate_jobs`, NOTIFY wakes a worker);
`chatops worker` claims jobs (`SELECT ... FOR UPDATE SKIP LOCKED`, so each job goes to one
worker) and runs them with the same job functions as the embedded engine. Periodic jobs are
deferred by every worker and deduplicated by procrastinate per tick, so each tick runs once.
No retries: a failed job stays failed, and a job whose worker died (no heartbeat) is marked
failed by the sweep job, which also marks the action it was running `interrupted`; nothing
re-runs an action.

procrastinate's tables live beside ours in the same database (and schema: the connection's
search_path). `ensure_schema` creates them once, under an advisory lock so that replicas
starting together do not race; `chatops migrate` does it ahead of a release.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url

from chatbot.config import Settings
from chatbot.errors import ConfigError, StoreError
from chatbot.governance.lifecycle import runner_id
from chatbot.jobs.registry import JOBS, Job, JobContext
from chatbot.store.engine import safe_url

log = logging.getLogger(__name__)
SCHEMA_LOCK = 7_302_114_001  # pg_advisory_lock key: "creating procrastinate's tables"


def conninfo(url: str) -> str:
    """The libpq URL psycopg wants, from the store's SQLAlchemy URL (query kept: search_path)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(
            "jobs.engine",
            "procrastinate",
            "needs PostgreSQL: set CHATOPS_DATABASE_URL=postgresql://... "
            '(or jobs.engine = "embedded" for SQLite)',
        )
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def cron(seconds: float) -> str:
    """A cron line (procrastinate's 6th column is seconds) for "every `seconds`"."""
    whole = max(int(seconds), 1)
    if whole < 60:
        return f"* * * * * */{whole}"
    return f"*/{max(whole // 60, 1)} * * * *"


async def ensure_schema(info: str) -> bool:
    """Create procrastinate's tables if they are missing; True when it created them."""
    try:
        async with await psycopg.AsyncConnection.connect(info, autocommit=True) as conn:
            # Session-level: released when the connection closes, whatever happens.
            await conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            cursor = await conn.execute("SELECT to_regclass('procrastinate_jobs')")
            found = await cursor.fetchone()
            if found is not None and found[0] is not None:
                return False
            await conn.execute(SchemaManager.get_schema())  # type: ignore[arg-type]
            return True
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot use the job queue at {safe_url(info)}: {reason}") from None


class QueueEngine:
    """Enqueues everywhere; runs jobs only in `work()` (the `chatops worker` process)."""

    inline = False

    def __init__(self, settings: Settings, url: str, jobs: tuple[Job, ...] = JOBS) -> None:
        self.settings, self.info = settings, conninfo(url)
        connector = procrastinate.PsycopgConnector(conninfo=self.info, min_size=1, max_size=4)
        self.app = procrastinate.App(connector=connector)
        self.queue = settings.jobs.queue
        self.ctx: JobContext | None = None
        self._tasks: dict[str, Any] = {}
        for job in jobs:
            task = self.app.task(name=job.name, queue=self.queue)(self._runner(job))
            self._tasks[job.name] = task
            if job.every is not None:
                every = cron(job.every(settings))
                self.app.periodic(cron=every, periodic_id=job.name)(task)

    def _runner(self, job: Job) -> Any:
        async def run(**kwargs: Any) -> None:
            kwargs.pop("timestamp", None)  # what procrastinate passes to a periodic job
            if self.ctx is None:
                raise RuntimeError(f"job {job.name} reached a process that only enqueues")
            outcome = await job.fn(self.ctx, **kwargs)
            log.debug("job %s %s: %s", job.name, kwargs, outcome)

        run.__name__ = run.__qualname__ = job.name.replace(".", "_")
        return run

    async def start(self) -> None:
        if await ensure_schema(self.info):
            log.info("created procrastinate's job tables")
        await self.app.open_async()

    async def stop(self) -> None:
        await self.app.close_async()

    async def enqueue(self, name: str, at: datetime | None = None, **kwargs: int | str) -> None:
        options: dict[str, Any] = {}
        if at is not None:
            options["schedule_at"] = at
        if name == "action.start":  # one waiting job per action, however often it is handed over
            options["queueing_lock"] = f"action-{kwargs['action_id']}"
        with contextlib.suppress(AlreadyEnqueued):  # that action's job is already waiting
            await self._tasks[name].configure(**options).defer_async(**kwargs)

    async def retire_stalled(self) -> list[int]:
        """Mark jobs whose worker stopped sending heartbeats `failed`, never retried: the action
        such a job ran is `interrupted` by the sweep, and the queue should say the same."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(queue=self.queue)
        for job in stalled:
            if job.id is not None:
                await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
        return [job.id for job in stalled if job.id is not None]

    async def work(self, ctx: JobContext) -> None:
        """Run jobs until SIGTERM/SIGINT; running jobs finish first."""
        self.ctx = ctx
        await self.app.run_worker_async(
            queues=[self.queue],
            concurrency=self.settings.jobs.concurrency,
            name=runner_id(),
            install_signal_handlers=True,
        )
