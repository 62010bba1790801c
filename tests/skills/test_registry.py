"""Registration without restarts: add, disable, enable, remove, restore; audited, versioned,
picked up by every replica sharing the database; a bad manifest changes nothing."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from chatbot.config import Settings, SkillSettings
from chatbot.errors import UserError
from chatbot.governance import audit
from chatbot.testing import Chat, chat_harness, confirmed, text_of
from chatbot.types import Outcome, ReplyKind
from intents import Understander
from skills import admin, loader
from skills.admin import Actor
from skills.api import SkillSpec
from skills.manifest import ManifestError
from tests.skills.skill_fakes import Exchange, FakeSystem, transport

EXAMPLES = Path(__file__).parents[2] / "deploy" / "examples"
CACHE = (EXAMPLES / "cache-flush.toml").read_text()
DAVE = Actor("dave", "test")
SECRET = "cdn-s3cret-token-123"


@pytest.fixture
def hosted(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", SECRET)
    monkeypatch.setenv("CHATOPS_SECRET__OTHER_SKILL__TOKEN", "other-s3cret-value")
    return settings.model_copy(update={"skills": SkillSettings(allowed_hosts=("cdn.example.com",))})


def _purge(action: int) -> Exchange:
    return Exchange(
        "POST",
        "/api/v1/zones/staging/purge",
        202,
        {"id": "p-1"},
        body={"tags": ["service:checkout"], "requested_by": "dave@example.com"},
        headers={"Authorization": f"Bearer {SECRET}", "Idempotency-Key": f"chatops-{action}"},
    )


async def _events(chat: Chat) -> list[str]:
    async with chat.runtime.store.transaction() as tx:
        return [f"{e.event} {e.detail} {e.outcome}" async for e in audit.entries(tx)]


async def test_an_added_manifest_is_understood_and_runs_without_restart(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    cdn = FakeSystem("cdn.example.com", [_purge(1)])
    async with chat_harness(hosted, database_url, understander, transport(cdn)) as chat:
        before = text_of(await chat.say("dave", "flush the cache of checkout in staging"))
        assert "can't help" in before
        change = await chat.runtime.skills.add(CACHE, "cache-flush.toml", DAVE)
        assert (change.name, change.version) == ("cache.flush", 1)
        assert await chat.runtime.reloader.check()
        done = await confirmed(chat, "dave", "flush the cache of checkout in staging")
        assert "Purged the CDN cache of checkout in staging (purge p-1)." in text_of(done)
        denied = await chat.say("bob", "purge the cdn cache for web on staging")
        assert denied[0].kind is ReplyKind.ERROR  # the pipeline's RBAC applies to it too
        trail = " ".join(await _events(chat))
        assert "skill.added" in trail and SECRET not in trail and SECRET not in text_of(done)
        cdn.done()


async def test_a_bad_manifest_changes_nothing(chat: Chat) -> None:
    head = await admin.head(chat.runtime.store)
    specs = chat.assistant.registry.specs()
    bad = CACHE.replace('type = "env"', 'type = "planet"')
    with pytest.raises(ManifestError) as caught:
        await chat.runtime.skills.add(bad, "cache-flush.toml", DAVE)
    assert "cache-flush.toml:32: slots[1].type: Input should be" in str(caught.value)
    with pytest.raises(ManifestError, match=r"cdn\.example\.com is not in skills\.allowed_hosts"):
        await chat.runtime.skills.add(CACHE, "cache-flush.toml", DAVE)  # no host allowed here
    assert await admin.head(chat.runtime.store) == head
    assert await admin.versions(chat.runtime.store, "cache.flush") == []
    assert not await chat.runtime.reloader.check()
    assert chat.assistant.registry.specs() == specs


async def test_a_manifest_cannot_take_a_built_in_name(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    async with chat_harness(hosted, database_url, understander) as chat:
        taken = CACHE.replace('name = "cache.flush"', 'name = "deploy"')
        with pytest.raises(UserError, match="deploy is a built-in or packaged skill"):
            await chat.runtime.skills.add(taken, "x.toml", DAVE)


async def test_an_admin_disables_and_enables_a_skill_from_chat(chat: Chat) -> None:
    refused = await chat.say("alice", "disable skill kb.search")
    assert refused[0].kind is ReplyKind.ERROR
    done = await confirmed(chat, "dave", "disable skill kb.search")
    assert "Skill kb.search disabled" in text_of(done)
    assert await chat.runtime.reloader.check()
    assert "kb.search" not in [s.name for s in chat.assistant.registry.specs()]
    assert "KB0000" not in text_of(await chat.say("alice", "search the knowledge base for wifi"))
    done = await confirmed(chat, "dave", "enable skill kb.search")
    assert "Skill kb.search enabled" in text_of(done)
    await chat.runtime.reloader.check()
    assert "KB0000002" in text_of(await chat.say("alice", "search the knowledge base for wifi"))
    events = " ".join(await _events(chat))
    assert "skill.disabled" in events and "skill.enabled" in events


async def test_versions_are_kept_and_an_earlier_one_restored(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    async with chat_harness(hosted, database_url, understander) as chat:
        skills = chat.runtime.skills
        await skills.add(CACHE, "cache-flush.toml", DAVE)
        changed = CACHE.replace("Purged the CDN cache", "Flushed the cache")
        assert (await skills.add(changed, "cache-flush.toml", DAVE)).version == 2
        restored = await skills.restore("cache.flush", 1, DAVE)
        assert restored.version == 3
        history = await admin.versions(chat.runtime.store, "cache.flush")
        assert [v.version for v in history] == [1, 2, 3]
        assert history[2].source == CACHE
        removed = await skills.remove("cache.flush", DAVE)
        assert removed.event == "skill.removed"
        await chat.runtime.reloader.check()
        assert "cache.flush" not in [s.name for s in chat.assistant.registry.specs()]
        with pytest.raises(UserError, match="built-in"):
            await skills.remove("deploy", DAVE)
        events = [e.split()[0] for e in await _events(chat)]
        assert events.count("skill.added") == 2 and "skill.restored" in events


async def test_every_replica_sharing_the_database_follows(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    async with (
        chat_harness(hosted, database_url, understander) as one,
        chat_harness(hosted, database_url, understander) as two,
    ):
        await one.runtime.skills.add(CACHE, "cache-flush.toml", DAVE)
        assert await two.runtime.reloader.check()
        assert two.assistant.registry.get("cache.flush") is not None
        meant = two.assistant.understander.parse("flush the cache of checkout in staging")
        assert meant.skill == "cache.flush"
        assert meant.slot_values() == {"service": "checkout", "env": "staging"}


async def test_a_skill_sees_only_its_own_secrets(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    async with chat_harness(hosted, database_url, understander) as chat:
        await chat.runtime.skills.add(CACHE, "cache-flush.toml", DAVE)
        await chat.runtime.reloader.check()
        skill = chat.assistant.registry.get("cache.flush")
        assert dict(skill._secrets) == {"api_token": SECRET}


class Hello:
    spec = SkillSpec("hello.world", "Say hello", examples=("say hello",))

    async def preview(self, ctx) -> Outcome:
        return await self.run(ctx)

    async def run(self, ctx) -> Outcome:
        return Outcome(True, "hello")


def test_python_skills_come_from_the_entry_point_group(monkeypatch: pytest.MonkeyPatch) -> None:
    points = [
        SimpleNamespace(name="hello", value="pkg:Hello", load=lambda: Hello),
        SimpleNamespace(name="broken", value="pkg:nope", load=lambda: 1 / 0),
    ]
    monkeypatch.setattr(
        loader, "entry_points", lambda group: points if group == loader.GROUP else []
    )
    found = loader.packaged_skills()
    assert [s.spec.name for s in found] == ["hello.world"]


async def test_a_request_waiting_for_approval_ends_cleanly_when_its_skill_is_disabled(
    chat: Chat,
) -> None:
    asked = await chat.say("alice", "give me access to grafana for 2 hours")
    sent = await chat.click("alice", asked, "Send for approval")
    await chat.runtime.skills.set_enabled("access.request", False, DAVE)
    await chat.runtime.reloader.check()
    approved = text_of(await chat.click("dave", [r for r in sent if r.to == "dave"], "Approve"))
    assert "access.request was disabled by an admin, so nothing was done" in approved
    assert "access.request" not in [s.name for s in chat.assistant.registry.specs()]
