"""The composition root: settings in, a ready Assistant out. The one place parts are wired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from chatbot.assistant import Assistant
from chatbot.config import Settings
from chatbot.execute import Executor
from chatbot.governance.authorize import Authorizer
from chatbot.governance.calendar import ChangeCalendar
from chatbot.governance.clock import Clock, system_clock
from chatbot.governance.policy import PolicyBook
from chatbot.governance.ratelimit import RateLimiter
from chatbot.governance.rbac import Rbac
from chatbot.identity import Directory
from chatbot.store.engine import Store
from intents import Understander
from skills.builtin import builtin_skills
from skills.registry import SkillRegistry


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    store: Store
    assistant: Assistant
    http: httpx.AsyncClient


def build_understander(settings: Settings, registry: SkillRegistry) -> Understander:
    return Understander(
        settings.catalog,
        settings.people,
        registry.specs(),
        cache_dir=settings.data_dir / "model-cache",
    )


@asynccontextmanager
async def runtime(
    settings: Settings,
    database_url: str | None = None,
    understander: Understander | None = None,
    *,
    registry: SkillRegistry | None = None,
    clock: Clock = system_clock,
) -> AsyncIterator[Runtime]:
    """Open the store (migrating it), wire the stages, and close everything on exit.

    `understander` lets tests share one trained model across many runtimes; `registry`
    replaces the built-in skills (a test's slow skill); `clock` sets "now" for governance.
    On start, actions a previous process left running become `interrupted` (never re-run),
    and the approval-expiry timers persisted in the database resume.
    """
    store = Store(database_url or settings.database)
    try:
        await store.migrate()
        registry = registry or SkillRegistry(builtin_skills())
        directory = Directory(settings)
        rbac = Rbac(settings)
        authorizer = Authorizer(
            rbac,
            PolicyBook(settings),
            directory,
            ChangeCalendar(settings.windows, settings.freezes),
            RateLimiter(settings.rate_limits, store.dialect),
            clock,
        )
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
            executor = Executor(registry, store, authorizer, http)
            assistant = Assistant(
                settings,
                store,
                registry,
                understander or build_understander(settings, registry),
                directory,
                authorizer,
                executor,
            )
            await assistant.approvals.start()
            try:
                yield Runtime(settings, store, assistant, http)
            finally:
                await assistant.approvals.stop()
    finally:
        await store.close()
