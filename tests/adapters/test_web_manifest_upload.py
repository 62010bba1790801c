"""An admin attaches a skill manifest in the web chat (issue 17): the page reads the file and
sends it with the message; the check's card comes back and its button adds the skill."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from chatbot import texts
from chatbot.config import Settings, SkillSettings
from chatbot.server import create_app
from chatbot.store.engine import Store
from intents import Understander
from skills import admin
from tests.adapters.webside import CHROMIUM, FLAGS, chromium_or_skip, serving

pytestmark = pytest.mark.browser
WAIT = 15_000
EXAMPLE = Path(__file__).parents[2] / "deploy" / "examples" / "cache-flush.toml"


@pytest.fixture
def served(
    settings: Settings,
    database_url: str,
    understander: Understander,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", "cdn-s3cret-token-123")
    hosted = settings.model_copy(
        update={"skills": SkillSettings(allowed_hosts=("cdn.example.com",))}
    )
    with serving(create_app(hosted, database_url, understander)) as base:
        yield base


@pytest.fixture
def page(served: str) -> Iterator[Any]:
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        page.goto(served)
        page.locator("#person option").first.wait_for(state="attached", timeout=WAIT)
        page.select_option("#person", "dave")
        yield page
        browser.close()


async def _read_versions(database_url: str) -> list[int]:
    store = Store(database_url)
    try:
        return [v.version for v in await admin.versions(store, "cache.flush")]
    finally:
        await store.close()


def _versions(database_url: str) -> list[int]:
    """The skill's versions in the served app's database, as `chatops skills list` reads them
    (on a thread of its own: Playwright's sync API holds this thread's event loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _read_versions(database_url)).result()


def test_dave_attaches_a_manifest_and_adds_the_skill(
    page: Any, database_url: str, tmp_path: Path
) -> None:
    picker = page.get_by_label("Attach a manifest")
    assert picker.get_attribute("type") == "file"
    assert "64 KB" in page.locator("#manifest-note").inner_text()  # the limit, in words
    page.focus("#send")
    page.keyboard.press("Tab")  # reachable from the keyboard, right after Send
    assert page.evaluate("() => document.activeElement.id") == "manifest"

    manifest = tmp_path / "cache-flush.toml"
    manifest.write_text(EXAMPLE.read_text())
    picker.set_input_files(str(manifest))
    page.fill("#text", "please add this skill")
    page.press("#text", "Enter")
    checked = page.locator("#messages li.bot", has_text="cache-flush.toml: ok (cache.flush")
    checked.wait_for(timeout=WAIT)
    assert page.input_value("#manifest") == ""  # sent once, not again with the next message
    assert _versions(database_url) == []  # checked, not added
    choices = page.locator("#messages").get_by_role("group", name=texts.WEB_LABELS["choices"])
    assert choices.count() >= 1  # the page's words come from texts.py, via /api/people

    page.locator("#messages").get_by_role("button", name="Confirm").last.click()
    page.locator("#messages li.result", has_text="Skill cache.flush added").wait_for(timeout=WAIT)
    assert _versions(database_url) == [1]


def test_a_file_over_64_kb_is_refused_in_the_page(page: Any, tmp_path: Path) -> None:
    big = tmp_path / "huge.toml"
    big.write_text("# padding\n" * 7000)
    page.set_input_files("#manifest", str(big))
    page.press("#text", "Enter")  # nothing typed: the file alone is the message
    refused = page.locator("#messages li.error", has_text="larger than 64 KB")
    refused.wait_for(timeout=WAIT)
    assert page.locator("#messages li.me").count() == 0  # nothing was sent
