"""Issue 17, item 3: an admin sends a manifest in chat (a code block, or a file from the web
chat) and gets the CLI's check, then buttons to add it, preview it, or cancel; only admins;
every step audited; the skill lands through the same registry path as the CLI."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, update
from starlette.testclient import TestClient

from chatbot.config import ApprovalSettings, Settings, SkillSettings
from chatbot.governance import audit
from chatbot.jobs import functions
from chatbot.jobs.registry import JobContext
from chatbot.server import create_app
from chatbot.store.tables import SkillDraft
from chatbot.testing import Chat, chat_harness, confirmed, text_of
from chatbot.types import Attachment, ReplyKind, utcnow
from intents import Understander
from skills import admin, drafts
from tests.skills.skill_fakes import Exchange, FakeSystem, transport

EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "cache-flush.toml"
CACHE = EXAMPLE.read_text()
SECRET = "cdn-s3cret-token-123"


@pytest.fixture
def hosted(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", SECRET)
    return settings.model_copy(update={"skills": SkillSettings(allowed_hosts=("cdn.example.com",))})


def _block(text: str) -> str:
    return f"please add this skill:\n```toml\n{text}```"


async def _events(chat: Chat) -> list[tuple[str, str, str]]:
    async with chat.runtime.store.transaction() as tx:
        return [(e.event, e.actor, e.outcome) async for e in audit.entries(tx)]


async def test_an_admin_adds_a_skill_sent_as_a_code_block(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    cdn = FakeSystem(
        "cdn.example.com",
        [
            Exchange(
                "POST",
                "/api/v1/zones/staging/purge",
                202,
                {"id": "p-9"},
                headers={"Authorization": f"Bearer {SECRET}"},
            )
        ],
    )
    async with chat_harness(hosted, database_url, understander, transport(cdn)) as chat:
        offered = await chat.say("dave", _block(CACHE))
        said = text_of(offered)
        assert "manifest.toml: ok (cache.flush, 8 examples)" in said
        labels = [b.label for r in offered for b in r.buttons]
        assert {"Confirm", "Cancel", "Preview"} <= set(labels)
        assert await admin.versions(chat.runtime.store, "cache.flush") == []  # not yet

        preview = await chat.click("dave", offered, "Preview")
        shown = text_of(preview)
        assert "Would add cache.flush" in shown
        assert "POST https://cdn.example.com/api/v1/zones/prod/purge" in shown  # its example
        assert SECRET not in shown

        added = await chat.click("dave", offered, "Confirm")
        assert "Skill cache.flush added (version 1)" in text_of(added)
        (version,) = await admin.versions(chat.runtime.store, "cache.flush")
        assert version.source == CACHE and version.created_by == "dave"  # verbatim
        assert await chat.runtime.reloader.check()
        done = await confirmed(chat, "dave", "flush the cache of checkout in staging")
        assert "Purged the CDN cache of checkout in staging (purge p-9)." in text_of(done)

        events = await _events(chat)
        assert ("skill.checked", "dave", "ok") in events
        assert ("skill.added", "dave", "ok") in events
        assert any(e[0] == "action.previewed" for e in events)
        cdn.done()


async def test_a_bad_manifest_gets_its_reasons_in_words_and_nothing_to_press(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    async with chat_harness(hosted, database_url, understander) as chat:
        bad = CACHE.replace('type = "env"', 'type = "planet"')
        replies = await chat.say("dave", _block(bad))
        assert replies[0].kind is ReplyKind.ERROR and not replies[0].buttons
        assert "manifest.toml:32: slots[1].type" in replies[0].text
        assert "nothing was added" in replies[0].text
        no_host = hosted.model_copy(update={"skills": SkillSettings()})
        assert no_host  # a host not allowed is refused with what to set, as by the CLI
    async with chat_harness(no_host, database_url, understander) as chat:
        replies = await chat.say("dave", _block(CACHE))
        assert "host cdn.example.com is not in skills.allowed_hosts" in replies[0].text
        assert ("skill.checked", "dave", "refused") in await _events(chat)


async def test_only_admins_may_and_cancel_adds_nothing(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    async with chat_harness(hosted, database_url, understander) as chat:
        refused = await chat.say("bob", _block(CACHE))
        assert refused[0].kind is ReplyKind.ERROR and "Only admins" in refused[0].text
        assert not refused[0].buttons
        assert ("skill.checked", "bob", "refused") in await _events(chat)

        offered = await chat.say("dave", "", attachments=(Attachment("flush.toml", CACHE),))
        assert "flush.toml: ok (cache.flush" in text_of(offered)
        # Someone else cannot press dave's button.
        assert "Confirm" not in text_of(await chat.click("bob", offered, "Confirm"))
        assert await admin.versions(chat.runtime.store, "cache.flush") == []
        cancelled = await chat.click("dave", offered, "Cancel")
        assert cancelled and await admin.versions(chat.runtime.store, "cache.flush") == []


def test_the_web_chat_takes_an_uploaded_manifest(
    hosted: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    with TestClient(create_app(hosted)) as client:
        sent = {"as": "dave", "text": "", "file": {"name": "cache-flush.toml", "text": CACHE}}
        answer = client.post("/api/chat", json=sent)
        assert answer.status_code == 200, answer.text
        replies = answer.json()["replies"]
        assert "cache-flush.toml: ok (cache.flush" in replies[0]["text"]
        confirm = next(b["value"] for r in replies for b in r["buttons"] if b["label"] == "Confirm")
        added = client.post("/api/chat", json={"as": "dave", "press": confirm}).json()
        assert "Skill cache.flush added (version 1)" in added["replies"][0]["text"]
        bad = client.post("/api/chat", json={"as": "dave", "file": "x"})
        assert bad.status_code == 400 and "file" in bad.json()["error"]
        big = {"as": "dave", "file": {"name": "big.toml", "text": "#" * (64 * 1024 + 1)}}
        over = client.post("/api/chat", json=big)
        assert over.status_code == 413 and "64 KB" in over.json()["error"]


async def test_drafts_nobody_added_are_removed_by_the_sweep(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    async with chat_harness(hosted, database_url, understander) as chat:
        offered = await chat.say("dave", _block(CACHE))
        assert "manifest.toml: ok (cache.flush" in text_of(offered)
        other = CACHE.replace("checkout", "checkout-old")
        old = await drafts.save(chat.runtime.store, "cache.flush", "old.toml", other, "dave")
        async with chat.runtime.store.transaction() as tx:
            await tx.exec(
                update(SkillDraft)
                .where(col(SkillDraft.sha256) == old)
                .values(created_at=utcnow() - timedelta(hours=25))
            )
        await functions.sweep(JobContext(chat.runtime))
        assert await drafts.load(chat.runtime.store, old) is None  # a day old: gone
        added = await chat.click("dave", offered, "Confirm")  # today's still adds
        assert "Skill cache.flush added (version 1)" in text_of(added)


def test_a_draft_outlives_every_request_that_may_still_name_it(hosted: Settings) -> None:
    assert drafts.kept_for(hosted) == timedelta(hours=24)
    slow = hosted.model_copy(update={"approvals": ApprovalSettings(ttl_seconds=3 * 86400)})
    assert drafts.kept_for(slow) == timedelta(days=3)


def test_readyz_shows_the_registry_version_this_replica_runs(
    hosted: Settings, database_url: str, understander: Understander
) -> None:
    with TestClient(create_app(hosted, database_url, understander)) as client:
        before = client.get("/readyz")
        assert before.status_code == 200 and before.json()["registry_version"] == 0
        assert before.json()["replica"]  # the name `chatops skills list` shows it by
        sent = {"as": "dave", "file": {"name": "cache-flush.toml", "text": CACHE}}
        replies = client.post("/api/chat", json=sent).json()["replies"]
        confirm = next(b["value"] for r in replies for b in r["buttons"] if b["label"] == "Confirm")
        client.post("/api/chat", json={"as": "dave", "press": confirm})
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert runtime.reloader is not None
        client.portal.call(runtime.reloader.check)  # what the replica's loop does every tick
        after = client.get("/readyz").json()
        assert after == {**before.json(), "registry_version": 1}
