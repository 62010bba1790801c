"""Issue 17: registering skills as an admin would. Re-posting a manifest changes nothing;
versions carry who, when and a diff; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatbot import cli
from chatbot.config import Settings, SkillSettings
from chatbot.governance import audit
from chatbot.testing import chat_harness
from intents import Understander
from skills import admin
from skills.admin import Actor

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "cache-flush.toml"
CACHE = EXAMPLE.read_text()
DAVE = Actor("dave", "test")


@pytest.fixture
def hosted(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", "cdn-s3cret-token-123")
    return settings.model_copy(update={"skills": SkillSettings(allowed_hosts=("cdn.example.com",))})


async def test_adding_the_current_manifest_again_changes_nothing(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    async with chat_harness(hosted, database_url, understander) as chat:
        skills, store = chat.runtime.skills, chat.runtime.store
        first = await skills.add(CACHE, "cache-flush.toml", DAVE)
        head = await admin.head(store)
        again = await skills.add(CACHE, "cache-flush.toml", Actor("erin", "test"))
        assert (again.changed, again.version) == (False, 1)
        assert "unchanged" in again.text() and "version 1" in again.text()
        assert [v.version for v in await admin.versions(store, "cache.flush")] == [1]
        assert await admin.head(store) == head  # no replica reloads for nothing
        async with store.transaction() as tx:
            added = [e async for e in audit.entries(tx) if e.event == "skill.added"]
        assert len(added) == 1 and first.changed
        # A different manifest, or the same one after it was disabled, is a real change.
        await skills.set_enabled("cache.flush", False, DAVE)
        assert (await skills.add(CACHE, "cache-flush.toml", DAVE)).version == 2
        edited = CACHE.replace("Purged the CDN cache", "Flushed the cache")
        assert (await skills.add(edited, "cache-flush.toml", DAVE)).version == 3


async def test_versions_record_who_when_and_a_diff(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    async with chat_harness(hosted, database_url, understander) as chat:
        skills, store = chat.runtime.skills, chat.runtime.store
        await skills.add(CACHE, "cache-flush.toml", DAVE)
        edited = CACHE.replace("Purged the CDN cache", "Flushed the cache")
        await skills.add(edited, "cache-flush.toml", Actor("erin", "test"))
        first, second = await admin.versions(store, "cache.flush")
        assert (first.created_by, second.created_by) == ("dave", "erin")
        assert first.created_at <= second.created_at
        text = admin.diff(first, second)
        assert text.startswith("--- cache.flush v1\n+++ cache.flush v2\n")
        removed = [line for line in text.splitlines() if line.startswith("-") and "Purged" in line]
        added = [line for line in text.splitlines() if line.startswith("+") and "Flushed" in line]
        assert len(removed) == 1 and len(added) == 1
        whole = admin.diff(None, first).splitlines()[3:]  # after ---, +++ and @@
        assert whole == ["+" + line for line in CACHE.splitlines()]


def test_the_cli_says_unchanged_and_shows_diffs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CHATOPS_CONFIG", raising=False)
    monkeypatch.delenv("CHATOPS_DATABASE_URL", raising=False)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path / "data"))
    config = tmp_path / "chatops.toml"
    config.write_text('[skills]\nallowed_hosts = ["cdn.example.com"]\n')
    edited = tmp_path / "cache-flush.toml"
    edited.write_text(CACHE.replace("Purged the CDN cache", "Flushed the cache"))

    def run(*argv: str) -> tuple[int, str]:
        code = cli.main(["--config", str(config), "skills", *argv])
        return code, capsys.readouterr().out

    assert run("add", str(EXAMPLE), "--as", "dave") == (
        0,
        "Skill cache.flush added (version 1). Running servers pick it up within seconds.\n",
    )
    code, out = run("add", str(EXAMPLE), "--as", "dave")
    assert code == 0 and "unchanged" in out and "pick it up" not in out
    assert run("add", str(edited), "--as", "erin")[0] == 0
    code, out = run("versions", "cache.flush", "--diff")
    assert code == 0
    assert "--- cache.flush v1\n+++ cache.flush v2\n" in out
    lines = out.splitlines()
    assert any(line.startswith("-") and "Purged" in line for line in lines)
    assert any(line.startswith("+") and "Flushed" in line for line in lines)
    assert any(line.startswith("   2 ") and " erin " in line for line in lines)
    code, out = run("versions", "cache.flush", "--json", "--diff")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["version"] for r in rows] == [1, 2] and "+++ cache.flush v2" in rows[1]["diff"]
