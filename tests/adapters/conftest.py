"""Fixtures for the chat adapters: the real server app (lifespan run) on a fresh database,
with the platforms' remote APIs replaced by local fakes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from chatbot.config import PLATFORM_ENV, Settings, load_settings
from chatbot.server import create_app
from tests.fakes.slack_api import FakeSlackApi

SIGNING_SECRET = "test-signing-secret"
SLACK_USERS = {
    f"U{name.upper()}": f"{name}@example.com" for name in ("alice", "bob", "carol", "dave")
}


@pytest.fixture(autouse=True)
def _no_platform_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the developer exports, these tests configure the platforms themselves."""
    for name in PLATFORM_ENV:
        for variant in (name, name.upper()):
            if variant in os.environ:
                monkeypatch.delenv(variant)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for the trained model cache, shared by every server in the run."""
    return tmp_path_factory.mktemp("adapters-model")


def server_settings(model_dir: Path, database_url: str, **sections: Any) -> Settings:
    base = load_settings()
    update: dict[str, Any] = {"data_dir": model_dir, "database_url": database_url}
    for name, values in sections.items():
        section = getattr(base, name)
        update[name] = type(section).model_validate({**section.model_dump(), **values})
    return base.model_copy(update=update)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """The one ASGI app with its lifespan run, and an HTTP client speaking to it in-process."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield app, http


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    fake = await FakeSlackApi(users=dict(SLACK_USERS)).start()
    yield fake
    await fake.stop()
