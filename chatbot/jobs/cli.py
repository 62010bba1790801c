"""`chatops worker` (run the background jobs) and `chatops migrate` (bring the database, job
tables included, up to date). Heavy modules are imported inside the handlers."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from chatbot.errors import ConfigError

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings


def register(sub: Any) -> None:
    worker = sub.add_parser(
        "worker",
        help='run the background jobs (jobs.engine = "procrastinate", several replicas)',
    )
    worker.set_defaults(handler=cmd_worker)
    migrate = sub.add_parser("migrate", help="bring the database schema up to date, then exit")
    migrate.set_defaults(handler=cmd_migrate)


async def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Run jobs until SIGTERM or SIGINT; running actions finish first."""
    if settings.jobs.engine != "procrastinate":
        raise ConfigError(
            "jobs.engine",
            settings.jobs.engine,
            'a worker needs the shared job queue: set jobs.engine = "procrastinate" '
            "(CHATOPS_JOBS__ENGINE=procrastinate) on PostgreSQL; with the embedded engine "
            "`chatops serve` runs the jobs itself",
        )
    from chatbot.app import background, keep_for_life, runtime
    from chatbot.jobs.queue import QueueEngine
    from chatbot.jobs.registry import JobContext

    async with runtime(settings) as rt, background(rt):
        engine = rt.jobs
        assert isinstance(engine, QueueEngine)
        keep_for_life()
        print(f"chatops: worker on queue {engine.queue!r}", flush=True)
        await engine.work(JobContext(rt))
    return 0


async def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.store.engine import Store

    store = Store(settings.database)
    try:
        await store.migrate()
        if settings.jobs.engine == "procrastinate":
            from chatbot.jobs.queue import conninfo, ensure_schema

            await ensure_schema(conninfo(settings.database))
    finally:
        await store.close()
    print("chatops: database schema is up to date", flush=True)
    return 0
