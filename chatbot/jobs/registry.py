"""The one list of background jobs. A new kind of job is one line in `JOBS`.

A job is an async function `fn(ctx, **kwargs)`: `ctx` is the process's `JobContext` (its
runtime's parts), `kwargs` are JSON values (ids, never objects: a queued job outlives the
process that queued it). `every` makes it periodic: a function of the settings giving seconds.

A plain async function of another part plugs in with one line in `JOBS`, for example
    Job("schedules.start_due", lambda ctx, **_: start_due(ctx.runtime), every=lambda s: 1.0),
and then runs in `chatops serve` (embedded) or in the workers (procrastinate), once per tick.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chatbot.config import Settings
from chatbot.incidents import gating, intake
from chatbot.jml import jobs as jml_jobs
from chatbot.jobs import functions

if TYPE_CHECKING:
    from chatbot.app import Runtime


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job may use: the runtime of the process it runs in."""

    runtime: Runtime

    @property
    def settings(self) -> Settings:
        return self.runtime.settings


JobFn = Callable[..., Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    fn: JobFn
    every: Callable[[Settings], float] | None = None


JOBS: tuple[Job, ...] = (
    Job("action.start", functions.start_action),
    Job(gating.JOB, gating.run_gate),
    Job(intake.JOB, intake.drain_job, every=lambda s: intake.LEFTOVERS_SECONDS),
    Job("schedules.start_due", functions.start_scheduled),
    Job("request.expire", functions.expire_request),
    Job("access.revoke_due", functions.revoke_due, every=lambda s: s.skills.revoke_seconds),
    Job("actions.sweep", functions.sweep, every=lambda s: _sweep_period(s)),
    Job("outcomes.record", functions.record_outcomes, every=lambda s: 2.0),
    Job(
        "directory.sync",
        functions.sync_directory,
        every=lambda s: s.identity.sync.every_minutes * 60,
    ),
    Job(
        "audit.checkpoint",
        functions.checkpoint_due,
        every=lambda s: min(5.0, s.audit_checkpoints.every_minutes * 30),
    ),
    Job(jml_jobs.JOB, jml_jobs.check_reviews, every=lambda s: s.jml.review_check_seconds),
)


def _sweep_period(settings: Settings) -> float:
    """Often enough that a dead run is noticed within half a lease."""
    lease = settings.limits.run_lease_seconds
    return min(float(settings.jobs.sweep_seconds), max(lease / 2, 1.0))


def by_name(jobs: tuple[Job, ...] = JOBS) -> Mapping[str, Job]:
    return {job.name: job for job in jobs}


class Enqueue(Protocol):
    """What the conversation side needs from an engine: hand a job over, now or at a time."""

    inline: bool

    async def enqueue(self, name: str, at: Any = None, **kwargs: Any) -> None: ...
