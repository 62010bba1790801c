"""A chat whose built-in skills run on real back ends, with the remote systems faked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from chatbot.config import Settings
from chatbot.testing import Chat, chat_harness
from intents import Understander
from tests.skills.skill_fakes import CONNECTORS, SECRETS, FakeSystem, transport

Connected = Callable[..., AbstractAsyncContextManager[Chat]]


@pytest.fixture
def connected(
    settings: Settings,
    database_url: str,
    understander: Understander,
    monkeypatch: pytest.MonkeyPatch,
) -> Connected:
    """connected({"deploy": "github"}, fake, ...) -> a Chat on those back ends and fakes, on
    SQLite and (when CHATOPS_TEST_DATABASE_URL is set) PostgreSQL."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)

    @asynccontextmanager
    async def make(backends: Mapping[str, str], *fakes: FakeSystem) -> AsyncIterator[Chat]:
        real = settings.model_copy(update={"backends": dict(backends), "connectors": CONNECTORS})
        async with chat_harness(real, database_url, understander, transport(*fakes)) as chat:
            yield chat
        for fake in fakes:
            fake.done()

    return make
