"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL when
CHATOPS_TEST_DATABASE_URL is set (each test in a fresh schema of that database)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chatbot.app import build_understander
from chatbot.config import Settings, load_settings
from chatbot.testing import Chat, chat_harness
from intents import Understander
from skills.builtin import builtin_skills
from skills.registry import SkillRegistry

PG_URL = os.environ.get("CHATOPS_TEST_DATABASE_URL", "")
TEST_HOSTS = ["localhost", "127.0.0.1", "::1", "testserver"]
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from the shipped defaults, whatever the developer's shell exports."""
    for key in list(os.environ):
        if key.startswith("CHATOPS_") and key != "CHATOPS_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    # The in-process test clients (Starlette's TestClient, httpx's ASGITransport) send
    # `Host: testserver`; the server answers only to server.allowed_hosts.
    monkeypatch.setenv("CHATOPS_SERVER__ALLOWED_HOSTS", json.dumps(TEST_HOSTS))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings().model_copy(update={"data_dir": tmp_path})


@pytest.fixture(scope="session")
def understander(tmp_path_factory: pytest.TempPathFactory) -> Understander:
    """One trained model for the whole run: training is per skill set, not per test."""
    defaults = load_settings().model_copy(update={"data_dir": tmp_path_factory.mktemp("model")})
    return build_understander(defaults, SkillRegistry(builtin_skills()))


def _pg_schema_url() -> Iterator[str]:
    base = make_url(PG_URL).set(drivername="postgresql+psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # Named after the schema, so what a test leaves connected can be found and closed.
        query = dict(base.query) | {
            "options": f"-csearch_path={schema}",
            "application_name": schema,
        }
        yield base.set(query=query).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            # A runtime a test did not close keeps its pool; closed here, a long run cannot
            # exhaust the server's max_connections.
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": schema},
            )
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chatops.db'}"
        return
    if not PG_URL:
        pytest.skip("CHATOPS_TEST_DATABASE_URL is not set (.ci/run sets it)")
    yield from _pg_schema_url()


@pytest.fixture
async def chat(
    settings: Settings, database_url: str, understander: Understander
) -> AsyncIterator[Chat]:
    async with chat_harness(settings, database_url, understander) as harness:
        yield harness
