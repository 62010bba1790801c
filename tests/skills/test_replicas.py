"""Issue 17, items 1 and 2 across replicas sharing one database: a change carries the hosts
it calls, each replica re-reads its own secrets, and every replica's state of every skill is
visible from any machine (`skills list`, GET /api/skills), so an admin sees disagreement."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot import cli
from chatbot.config import Settings, SkillSettings
from chatbot.testing import chat_harness, confirmed, text_of
from intents import Understander
from skills import admin, replicas
from skills.admin import Actor
from tests.skills.skill_fakes import Exchange, FakeSystem, transport

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "cache-flush.toml"
CACHE = EXAMPLE.read_text()
DAVE = Actor("dave", "test")
SECRET = "cdn-s3cret-token-123"


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    """cli.main() sets up logging for a one-shot command; later tests' caplog needs it back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
def with_secret(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A replica whose secrets file holds the skill's token, and which allows its host."""
    monkeypatch.delenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[skills."cache.flush"]\napi_token = "{SECRET}"\n')
    return settings.model_copy(
        update={
            "secrets_file": secrets,
            "skills": SkillSettings(allowed_hosts=("cdn.example.com",)),
        }
    )


def _purge() -> Exchange:
    return Exchange(
        "POST",
        "/api/v1/zones/staging/purge",
        202,
        {"id": "p-2"},
        headers={"Authorization": f"Bearer {SECRET}"},
    )


async def test_a_change_carries_its_hosts_to_a_replica_whose_settings_predate_it(
    with_secret: Settings, settings: Settings, database_url: str, understander: Understander
) -> None:
    """Replica two was started before anyone allowed cdn.example.com in its settings file;
    the version an admin added where it was allowed carries the host, and two runs it."""
    older = with_secret.model_copy(update={"skills": SkillSettings()})
    cdn = FakeSystem("cdn.example.com", [_purge()])
    async with (
        chat_harness(with_secret, database_url, understander) as one,
        chat_harness(older, database_url, understander, transport(cdn)) as two,
    ):
        await one.runtime.skills.add(CACHE, "cache-flush.toml", DAVE)
        (version,) = await admin.versions(one.runtime.store, "cache.flush")
        assert version.hosts == "cdn.example.com"
        assert await two.runtime.reloader.check()
        done = await confirmed(two, "dave", "flush the cache of checkout in staging")
        assert "Purged the CDN cache of checkout in staging (purge p-2)." in text_of(done)
        cdn.done()
        # Restoring version 1 brings back the hosts that version carried.
        edited = CACHE.replace("Purged the CDN cache", "Flushed the cache")
        await one.runtime.skills.add(edited, "cache-flush.toml", DAVE)
        restored = await two.runtime.skills.restore("cache.flush", 1, DAVE)
        assert restored.version == 3
        assert (await admin.versions(one.runtime.store, "cache.flush"))[-1].hosts == (
            "cdn.example.com"
        )


async def test_every_replicas_state_is_visible_where_they_disagree(
    with_secret: Settings,
    database_url: str,
    understander: Understander,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Replica two has no secrets file: it skips the skill and says why; one runs it."""
    (tmp_path / "other.toml").write_text("")
    bare = with_secret.model_copy(update={"secrets_file": tmp_path / "other.toml"})
    async with (
        chat_harness(with_secret, database_url, understander) as one,
        chat_harness(bare, database_url, understander) as two,
    ):
        one.runtime.reloader.replica, two.runtime.reloader.replica = "web-a", "web-b"
        await one.runtime.skills.add(CACHE, "cache-flush.toml", DAVE)
        assert await one.runtime.reloader.check()
        assert await two.runtime.reloader.check()
        assert two.assistant.registry.get("cache.flush") is None
        live = await replicas.live(one.runtime.store)
        head = await admin.head(one.runtime.store)
        assert [(r.replica, r.registry_version) for r in live] == [("web-a", head), ("web-b", head)]
        rows = replicas.annotate(await admin.listing(one.runtime.store, []), live)
        states = dict(next(r for r in rows if r.name == "cache.flush").replicas)
        assert states["web-a"] == "active"
        assert states["web-b"].startswith("skipped: cache.flush v1: secrets: api_token is not set")

        # A replica that has not loaded a change yet shows as behind.
        await one.runtime.skills.set_enabled("cache.flush", False, DAVE)
        assert await one.runtime.reloader.check()
        live = await replicas.live(one.runtime.store)
        rows = replicas.annotate(await admin.listing(one.runtime.store, []), live)
        states = dict(next(r for r in rows if r.name == "cache.flush").replicas)
        assert states["web-a"] == "disabled" and states["web-b"].startswith("skipped: ")
        lines = replicas.summary(live, await admin.head(one.runtime.store))
        assert lines[0].startswith("replicas (2; registry version ")
        assert "web-a  version" in lines[1] and "(current)" in lines[1]
        assert "web-b  version" in lines[2] and "(behind)" in lines[2]
        assert "skipped: cache.flush" in lines[2]

        # The CLI on any machine reads the same rows.
        monkeypatch.delenv("CHATOPS_CONFIG", raising=False)
        monkeypatch.setenv("CHATOPS_DATABASE_URL", database_url)
        monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path / "cli"))
        assert await asyncio.to_thread(cli.main, ["skills", "list"]) == 0
        out = capsys.readouterr().out
        line = next(x for x in out.splitlines() if x.startswith("cache.flush"))
        assert "[on web-b: skipped: cache.flush v1: secrets: api_token is not set" in line
        assert "replicas (2; registry version" in out and "web-b  version" in out
        assert await asyncio.to_thread(cli.main, ["skills", "list", "--json"]) == 0
        rows_json = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        kb = next(r for r in rows_json if r["name"] == "kb.search")
        assert kb["replicas"] == {"web-a": "active", "web-b": "active"}

        # A replica that stops cleanly leaves the listing.
        await replicas.forget(two.runtime.store, "web-b")
        assert [r.replica for r in await replicas.live(one.runtime.store)] == ["web-a"]
