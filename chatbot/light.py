"""The parts of the runtime that listings need, wired without the language model.

`chatops approvals list` and `chatops skills list` read the store and the skill registry;
building the whole runtime (`chatbot.app.runtime`) would load spaCy and train or load the
model first, seconds for a listing. These helpers wire the same parts the same way as
`runtime()` does, minus the understanding and the background timers, and import nothing that
pulls in the language model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

# `skills list` needs installed_skills() only; the approvals desk's parts load in governance(),
# and httpx only if something asks the desk's Executor for its client (a listing never does).
if TYPE_CHECKING:
    import httpx

    from chatbot.config import Settings
    from chatbot.governance.approvals import Approvals
    from chatbot.store.engine import Store
    from skills.api import Skill


def _no_calls() -> httpx.AsyncClient:
    """The HTTP client of the listings' desk: nothing it reads needs the network, so it
    refuses every call; built without the TLS setup (certificate loading) a real client
    costs at start."""
    import httpx

    class NoCalls(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            where = f"{request.method} {request.url.host}"
            raise RuntimeError(f"a listing makes no HTTP calls ({where})")

    return httpx.AsyncClient(transport=NoCalls(), trust_env=False)


def installed_skills(settings: Settings) -> list[Skill]:
    """Built-in and packaged skills, as `runtime()` installs them (manifest skills live in
    the store and are listed from there)."""
    from skills.builtin import builtin_skills
    from skills.connectors.secrets import load_secrets
    from skills.loader import packaged_skills

    secrets = load_secrets(settings.secrets_file)
    base = builtin_skills(settings.backends, settings.connectors, secrets)
    if settings.skills.entry_points:
        base += packaged_skills()
    return base


@asynccontextmanager
async def governance(settings: Settings, store: Store) -> AsyncIterator[Approvals]:
    """The approvals desk over the full registry (manifest skills included), for reading
    inboxes from the command line; no expiry timers are started."""
    from chatbot.execute import Executor
    from chatbot.governance.approvals import Approvals
    from chatbot.governance.authorize import Authorizer
    from chatbot.governance.calendar import ChangeCalendar
    from chatbot.governance.clock import system_clock
    from chatbot.governance.policy import PolicyBook
    from chatbot.governance.ratelimit import RateLimiter
    from chatbot.governance.rbac import Rbac
    from chatbot.identity import Directory
    from skills.connectors.secrets import load_secrets
    from skills.loader import SkillSource
    from skills.registry import SkillRegistry

    secrets = load_secrets(settings.secrets_file)
    source = SkillSource(
        installed_skills(settings), secrets, settings.skills.allowed_hosts, settings.connectors
    )
    registry = SkillRegistry(await source.load(store))
    directory = Directory(settings)
    await directory.load(store)
    authorizer = Authorizer(
        Rbac(settings, directory.manager_name),
        PolicyBook(settings),
        directory,
        ChangeCalendar(settings.windows, settings.freezes),
        RateLimiter(settings.rate_limits, store.dialect),
        system_clock,
    )
    executor = Executor(registry, store, authorizer, make_http=_no_calls)  # made if ever used
    try:
        yield Approvals(store, registry, directory, authorizer, executor, settings)
    finally:
        await executor.close()
