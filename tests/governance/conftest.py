"""Governance fixtures: an assistant built from a config file a test writes, with its clock.

`make_chat(toml="...", clock=...)` loads the shipped defaults plus the test's own sections
through `load_settings` (so the config is validated exactly as at start-up) and opens a
runtime on the test's database (SQLite, and PostgreSQL when configured). The names tests
import (`MakeChat`, `settings_from`) live in harness.py: a conftest is not importable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from chatbot.app import runtime
from chatbot.governance.clock import Clock, system_clock
from chatbot.testing import Chat
from intents import Understander
from skills.registry import SkillRegistry
from tests.governance.harness import MakeChat, settings_from


@pytest.fixture
async def make_chat(
    tmp_path: Path, database_url: str, understander: Understander
) -> AsyncIterator[MakeChat]:
    async with AsyncExitStack() as stack:

        async def make(
            toml: str = "",
            clock: Clock = system_clock,
            registry: SkillRegistry | None = None,
            platform: str = "test",
        ) -> Chat:
            settings = settings_from(tmp_path, toml)
            rt = await stack.enter_async_context(
                runtime(settings, database_url, understander, registry=registry, clock=clock)
            )
            return Chat(rt, platform=platform)

        yield make
