"""Issue 17: registering skills as an admin would. Re-posting a manifest changes nothing;
versions carry who, when and a diff; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", "cdn-test-token")
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


# --- item 1 and 2: a skill that cannot work is refused, and a skipped one is visible ---------
def _cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.delenv("CHATOPS_CONFIG", raising=False)
    monkeypatch.delenv("CHATOPS_DATABASE_URL", raising=False)
    monkeypatch.delenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", raising=False)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path / "data"))

    def run(*argv: str, config: str = '[skills]\nallowed_hosts = ["cdn.example.com"]\n') -> Any:
        file = tmp_path / "chatops.toml"
        file.write_text(config)
        code = cli.main(["--config", str(file), "skills", *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_a_manifest_missing_its_secret_is_refused_with_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _cli(tmp_path, monkeypatch, capsys)
    for verb in ("check", "add"):
        extra = ("--as", "dave") if verb == "add" else ()
        code, out, err = run(verb, str(EXAMPLE), *extra)
        assert code == 2 and out == "", (verb, out)
        assert "api_token is not set; set CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN" in err
    assert "cache.flush" not in run("list")[1]  # refused, never "added"
    # Set in a secrets file, read when checked (no restart of anything).
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[skills."cache.flush"]\napi_token = "from-the-file"\n')
    config = f'secrets_file = "{secrets}"\n[skills]\nallowed_hosts = ["cdn.example.com"]\n'
    assert run("check", str(EXAMPLE), config=config)[0] == 0
    assert run("add", str(EXAMPLE), "--as", "dave", config=config)[0] == 0


def test_a_host_or_connector_that_is_not_set_up_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _cli(tmp_path, monkeypatch, capsys)
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", "t")
    code, _, err = run("add", str(EXAMPLE), "--as", "dave", config="")
    assert code == 2 and "host cdn.example.com is not in skills.allowed_hosts" in err
    change = EXAMPLE.parent / "change-create.toml"
    code, _, err = run("check", str(change), config="")
    assert code == 2 and "connector: servicenow is not configured" in err
    assert "add a [connectors.servicenow] section" in err


def test_skills_list_shows_skipped_skills_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _cli(tmp_path, monkeypatch, capsys)
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", "t")
    assert run("add", str(EXAMPLE), "--as", "dave")[0] == 0
    line = next(x for x in run("list")[1].splitlines() if x.startswith("cache.flush"))
    assert "[" not in line  # active: no state shown
    # The secret goes away (another machine, or it was deleted): the listing says so.
    monkeypatch.delenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN")
    line = next(x for x in run("list")[1].splitlines() if x.startswith("cache.flush"))
    assert "[skipped: cache.flush: secrets: api_token is not set" in line
    _, out, _ = run("list", "--json")
    rows = {r["name"]: r for r in map(json.loads, out.splitlines())}
    assert rows["cache.flush"]["state"].startswith("skipped: ")
    assert rows["kb.search"]["state"] == "active"
    assert run("disable", "kb.search", "--as", "dave")[0] == 0
    _, out, _ = run("list", "--json")
    assert {r["name"]: r for r in map(json.loads, out.splitlines())}["kb.search"][
        "state"
    ] == "disabled"


# --- item 4: packages --------------------------------------------------------------------------
PACKAGE = """
from chatbot.types import Outcome
from skills.api import Requirement, Risk, SkillSpec


class Greet:
    spec = SkillSpec(
        name="greet.team",
        description="Say hello to the team.",
        examples=("say hello to the team", "greet the team", "wave at the team"),
        side_effect=False,
        risk=Risk.NONE,
        requires=Requirement.NOTHING,
    )

    async def preview(self, ctx):
        return await self.run(ctx)

    async def run(self, ctx):
        return Outcome(True, "Hello, team! ({version})")
"""


def _install(site: Path, version: str) -> None:
    """A distribution as pip leaves it: the module and its dist-info with an entry point."""
    for old in site.glob("greetpkg_demo-*.dist-info"):
        for file in old.iterdir():
            file.unlink()
        old.rmdir()
    (site / "greetpkg_demo").mkdir(exist_ok=True)
    (site / "greetpkg_demo" / "__init__.py").write_text(PACKAGE.replace("{version}", version))
    info = site / f"greetpkg_demo-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: greetpkg-demo\nVersion: {version}\n"
    )
    (info / "entry_points.txt").write_text("[chatops.skills]\ngreet = greetpkg_demo:Greet\n")
    (info / "top_level.txt").write_text("greetpkg_demo\n")
    (info / "RECORD").write_text("greetpkg_demo/__init__.py,,\n")


async def test_a_newly_installed_package_is_picked_up_on_reload_without_restart(
    settings: Settings,
    database_url: str,
    understander: Understander,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "greetpkg_demo", raising=False)
    async with chat_harness(settings, database_url, understander) as chat:
        names = [s.name for s in chat.assistant.registry.specs()]
        assert "greet.team" not in names
        _install(site, "1.0")  # pip install, while the server runs
        await chat.runtime.skills.reload(DAVE)
        assert await chat.runtime.reloader.check()
        assert "greet.team" in [s.name for s in chat.assistant.registry.specs()]
        base = chat.runtime.reloader.source.base
        rows = {r.name: r for r in await admin.listing(chat.runtime.store, base)}
        assert rows["greet.team"].source == "package greetpkg-demo 1.0"
        assert rows["greet.team"].kind == "package" and rows["vpn.reset"].source == "builtin"
        # Upgraded in place: the module is already imported, so a restart is needed.
        _install(site, "1.1")
        await chat.runtime.skills.reload(DAVE)
        assert await chat.runtime.reloader.check()
        watch = chat.runtime.reloader.source.packages
        assert watch is not None
        assert watch.restart_needed == [
            "package greetpkg-demo was upgraded from 1.0 to 1.1: restart to use it"
        ]
    sys.modules.pop("greetpkg_demo", None)
