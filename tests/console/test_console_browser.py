"""The console in a real browser (headless Debian chromium through Playwright): an approval
decided in the console, and a skill added with an error shown at its field, fixed, enabled."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.config import Settings
from intents import Understander
from tests.console.conftest import CDN_SECRET
from tests.console.screens import CHROMIUM, FLAGS, carol_asks, serving, shoot

pytestmark = pytest.mark.browser
EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "cache-flush.toml"


@pytest.fixture
def served(
    settings: Settings,
    tmp_path: Path,
    understander: Understander,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", CDN_SECRET)
    with serving(settings, f"sqlite:///{tmp_path / 'console.db'}", understander) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs /usr/bin/chromium (make test installs it as root)")
        pytest.skip("Debian's chromium is not at /usr/bin/chromium; browser tests skip")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield instance
        instance.close()


def test_dave_approves_carols_request_in_the_console(  # type: ignore[no-untyped-def]
    served: str, browser, tmp_path: Path
) -> None:
    action_id = carol_asks(served)
    page = browser.new_page()
    complaints: list[str] = []
    page.on("console", lambda msg: complaints.append(msg.text))
    shoot(page, served, tmp_path / "console.png")
    card = page.get_by_role("article", name=f"Request {action_id}")
    assert "carol" in card.inner_text()
    card.get_by_role("button", name="Approve").click()
    page.get_by_text(f"You approved request #{action_id}").wait_for(timeout=30_000)
    page.get_by_role("link", name="Audit").click()
    page.fill("#skill", "deploy")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("tbody tr")
    rows.first.wait_for(timeout=15_000)
    shown = page.locator("table").last.inner_text()
    assert "action.approved" in shown and "dave" in shown and "web:console" in shown
    assert "succeeded" in shown  # the deploy ran (sandbox) after dave's approval
    assert not [c for c in complaints if "Content Security Policy" in c], complaints
    page.set_viewport_size({"width": 390, "height": 800})  # a phone
    page.goto(f"{served}/console/inbox?as=dave")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_skill_added_with_an_error_is_fixed_and_enabled(served: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{served}/console/skills?as=dave")
    page.get_by_role("link", name="Add a skill from a manifest").click()
    good = EXAMPLE.read_text("utf-8")
    page.fill("#manifest", good.replace('risk = "low"', 'risk = "extreme"'))
    page.get_by_label("Enable it at once").uncheck()
    page.get_by_role("button", name="Add the skill").click()
    problem = page.locator("#manifest-error")
    problem.wait_for(timeout=15_000)
    assert "risk (line" in problem.inner_text()
    field = page.locator("#manifest")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "manifest-error"
    assert page.evaluate("document.activeElement.id") == "manifest"  # focus lands on it
    field.fill(good)
    page.get_by_label("Enable it at once").uncheck()
    page.get_by_role("button", name="Add the skill").click()
    page.get_by_role("heading", name="Skill cache.flush").wait_for(timeout=60_000)
    assert page.locator("#state").inner_text() == "disabled"
    page.get_by_role("button", name="Enable").click()
    page.get_by_text("Skill cache.flush enabled").wait_for(timeout=60_000)
    assert page.locator("#state").inner_text() == "active"
