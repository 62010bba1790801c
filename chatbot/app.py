"""The composition root: settings in, a ready Assistant out. The one place parts are wired."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from chatbot import channel_names
from chatbot.adapters.relay import Relay
from chatbot.assistant import Assistant
from chatbot.config import Settings
from chatbot.execute import Executor
from chatbot.governance import checkpoint
from chatbot.governance.authorize import Authorizer
from chatbot.governance.calendar import ChangeCalendar
from chatbot.governance.checkpoint import Checkpointer
from chatbot.governance.clock import Clock, system_clock
from chatbot.governance.policy import PolicyBook
from chatbot.governance.ratelimit import RateLimiter
from chatbot.governance.rbac import Rbac
from chatbot.identity import Directory
from chatbot.incidents.book import IncidentBook
from chatbot.store.engine import Store
from intents import Understander
from skills import admin as skill_admin
from skills.admin import SkillAdmin
from skills.api import Skill
from skills.builtin import builtin_skills
from skills.connectors.secrets import load_secrets
from skills.loader import Reloader, SkillSource, packaged_skills
from skills.packages import PackageWatch
from skills.registry import SkillRegistry
from skills.revoker import Revoker

if TYPE_CHECKING:
    from chatbot.jml.skill import Onboarder


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    store: Store
    assistant: Assistant
    http: httpx.AsyncClient
    skills: SkillAdmin | None = None
    reloader: Reloader | None = None
    revoker: Revoker | None = None
    relay: Relay = field(default_factory=Relay)
    incidents: IncidentBook | None = None
    checkpointer: Checkpointer | None = None
    jobs: Any = None  # the job engine (chatbot/jobs): EmbeddedEngine or QueueEngine


def keep_for_life() -> None:
    """Call once a long-running process has started (serve, worker): what start-up loaded
    (the language model, the catalog, compiled statements) lives as long as the process, and
    frozen out of garbage collection it is no longer walked by every full collection, which
    otherwise pauses for tens of milliseconds and costs every message its share (measured in
    bench.pipeline). Collected first, so start-up's garbage is freed now, not frozen, and its
    collection does not land on the first messages."""
    gc.collect()
    gc.freeze()


def job_engine(settings: Settings, rt: Runtime) -> Any:
    """The engine `jobs.engine` names; jobs run with this runtime's parts."""
    from chatbot.jobs.registry import JobContext

    if settings.jobs.engine == "procrastinate":
        from chatbot.jobs.queue import QueueEngine

        return QueueEngine(settings, rt.store.url)
    from chatbot.jobs.embedded import EmbeddedEngine

    return EmbeddedEngine(JobContext(rt))


def build_understander(settings: Settings, registry: SkillRegistry) -> Understander:
    return Understander(
        settings.catalog,
        settings.people,
        registry.specs(),
        cache_dir=settings.data_dir / "model-cache",
        model=settings.understanding.model,
    )


@asynccontextmanager
async def runtime(
    settings: Settings,
    database_url: str | None = None,
    understander: Understander | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    skills: Sequence[Skill] = (),
    *,
    registry: SkillRegistry | None = None,
    clock: Clock = system_clock,
) -> AsyncIterator[Runtime]:
    """Open the store (migrating it), wire the stages, and close everything on exit.

    `understander` lets tests share one trained model across many runtimes (used when it was
    trained on exactly this skill set); `transport` lets tests fake remote systems; `skills`
    adds Python skills as if installed from a package (a skill author's tests use it);
    `registry` replaces the whole skill set (no database-registered skills, no reloading);
    `clock` sets "now" for governance. The job engine starts with it (`jobs.engine`): embedded,
    actions a previous process left running become `interrupted` (never re-run) and the
    expiry timers in the database resume; procrastinate, jobs are only enqueued here and
    `chatops worker` runs them.
    """
    store = Store(database_url or settings.database)
    onboarder: Onboarder | None = None
    try:
        await store.migrate()
        secrets = load_secrets(settings.secrets_file)
        source: SkillSource | None = None
        admin = SkillAdmin(
            store,
            lambda: source.fixed_names() if source else (),
            settings.skills.allowed_hosts,
            settings.connectors,
            lambda: load_secrets(settings.secrets_file),  # read afresh: a secret set later counts
        )
        if registry is None:
            from chatbot.jml.skill import Onboarder

            onboarder = Onboarder(settings, store)
            base = builtin_skills(
                settings.backends,
                settings.connectors,
                secrets,
                admin=admin,
                onboarder=onboarder,
            )
            watch = None
            if settings.skills.entry_points:
                base += packaged_skills()
                watch = PackageWatch(packaged_skills)
                watch.start(base)
            base += list(skills)
            source = SkillSource(
                base,
                secrets,
                settings.skills.allowed_hosts,
                settings.connectors,
                reread=lambda: load_secrets(settings.secrets_file),
                packages=watch,
            )
            registry = SkillRegistry(await source.load(store))
        loaded = await skill_admin.head(store)
        if understander is None or tuple(understander.skills) != registry.specs():
            understander = build_understander(settings, registry)
        directory = Directory(settings)
        await directory.load(store)
        rbac = Rbac(settings, directory.manager_name)
        await channel_names.load_into(store, rbac.channels)  # grants written by channel name
        authorizer = Authorizer(
            rbac,
            PolicyBook(settings),
            directory,
            ChangeCalendar(settings.windows, settings.freezes),
            RateLimiter(settings.rate_limits, store.dialect),
            clock,
            resources=settings.catalog.resources,
        )
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0), transport=transport) as http:
            executor = Executor(registry, store, authorizer, http)
            assistant = Assistant(
                settings, store, registry, understander, directory, authorizer, executor
            )
            executor.metrics = assistant.metrics
            if onboarder is not None:  # offboarding needs the directory and back ends
                onboarder.attach(assistant.jml)
            store.observe(assistant.metrics.transaction)
            reloader = None
            if source is not None:
                reloader = Reloader(
                    store,
                    registry,
                    source,
                    lambda fresh: build_understander(settings, fresh),
                    lambda trained: setattr(assistant, "understander", trained),
                )
                reloader.loaded = loaded
            revoker = Revoker(store, registry, http)
            signer = checkpoints(settings, store)
            if signer is not None:
                await checkpoint.due(signer, at_start_or_stop=True)
            rt = Runtime(
                settings, store, assistant, http, admin, reloader, revoker, checkpointer=signer
            )
            engine = job_engine(settings, rt)
            rt = dataclasses.replace(rt, jobs=engine)
            assistant.approvals.jobs = engine
            await engine.start()
            try:
                book = IncidentBook(store, settings.incidents, clock)
                book.zone_of = directory.zone  # announcements on each responder's clock
                yield dataclasses.replace(rt, incidents=book)
            finally:
                await engine.stop()
                await assistant.approvals.finish.flush()
                if signer is not None:
                    await checkpoint.due(signer, at_start_or_stop=True)
    finally:
        await store.close()


def checkpoints(settings: Settings, store: Store) -> Checkpointer | None:
    """Signed audit checkpoints: at start and stop when the head moved, and looked at every
    few seconds by the `audit.checkpoint` job (every N entries, every M minutes)."""
    config = settings.audit_checkpoints
    return Checkpointer(config, settings.data_dir, store) if config.enabled else None


@asynccontextmanager
async def background(rt: Runtime) -> AsyncIterator[None]:
    """A long-running process's own upkeep: follow registry and directory changes.
    (Revoking expired access, expiry and the sweep are jobs: chatbot/jobs.)"""
    tasks = []
    if rt.reloader is not None:
        tasks.append(asyncio.create_task(rt.reloader.run(rt.settings.skills.reload_seconds)))
    directory = rt.assistant.directory
    tasks.append(asyncio.create_task(directory.run(rt.store, rt.settings.identity.refresh_seconds)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
