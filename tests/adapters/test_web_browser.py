"""People in a real browser: headless Debian chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatbot.config import Settings
from chatbot.server import create_app
from intents import Understander
from tests.adapters import webshot
from tests.adapters.webside import CHROMIUM, FLAGS, chromium_or_skip, serving

pytestmark = pytest.mark.browser
WAIT = 15_000


@pytest.fixture
def served(settings: Settings, database_url: str, understander: Understander) -> Iterator[str]:
    app = create_app(settings, database_url, understander)
    with serving(app) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield instance
        instance.close()


def as_person(browser: Any, served: str, who: str, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.goto(served)
    page.locator("#person option").first.wait_for(state="attached", timeout=WAIT)
    page.select_option("#person", who)
    return page


def say(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")


def test_alice_resets_her_vpn_in_the_web_chat(served: str, browser: Any, tmp_path: Path) -> None:
    page = as_person(browser, served, "alice")
    say(page, "reset my vpn")
    page.get_by_role("button", name="Confirm").click()
    result = page.locator("li.result").first
    result.wait_for(timeout=WAIT)
    assert "VPN reset for alice" in result.inner_text()
    assert "Sandbox" in result.inner_text()


def test_two_people_at_once_each_see_only_their_own(served: str, browser: Any) -> None:
    """carol asks, dave approves from his own screen, carol sees the outcome live, and the
    card on dave's screen changes in place."""
    carol = as_person(browser, served, "carol")
    dave = as_person(browser, served, "dave")
    say(carol, "deploy web 5.2.0 to prod")
    carol.get_by_role("button", name="Send for approval").click()
    carol.locator("#messages").get_by_text("is waiting for approval by dave").wait_for(timeout=WAIT)

    card = dave.locator("#messages li.approval")
    card.wait_for(timeout=WAIT)  # pushed to dave's open page: no reload, no polling
    card_id = card.get_attribute("id")
    shown = card.inner_text()
    assert "Deploy web 5.2.0 to prod" in shown and "Carol (release manager)" in shown
    assert "Who decides" in shown and "Expires" in shown
    card.get_by_role("button", name="Approve").click()

    carol.locator("li.result", has_text="Deployed web 5.2.0 to prod").wait_for(timeout=WAIT)
    decided = dave.locator(f"#{card_id}.closed")
    decided.wait_for(timeout=WAIT)  # the same card, changed in place
    assert dave.locator("#messages li.approval").count() == 1
    assert decided.get_by_role("button", name="Approve").count() == 0
    assert "Done" in decided.inner_text()
    assert carol.locator("li.approval").count() == 0  # never the approver's card
    assert "deploy web 5.2.0 to prod" not in dave.locator("#messages").inner_text()


def test_reload_keeps_the_history_and_switching_shows_each_persons_own(
    served: str, browser: Any
) -> None:
    page = as_person(browser, served, "alice")
    say(page, "whoami")
    page.locator("li.bot", has_text="alice").wait_for(timeout=WAIT)
    page.reload()
    page.locator("li.bot", has_text="alice").wait_for(timeout=WAIT)
    assert page.input_value("#person") == "alice"  # not reset to the first person
    assert page.locator("li.me", has_text="whoami").count() == 1

    page.select_option("#person", "bob")
    say(page, "help")
    page.locator("li.me", has_text="help").wait_for(timeout=WAIT)
    assert page.locator("li.me", has_text="whoami").count() == 0
    page.select_option("#person", "alice")
    page.locator("li.me", has_text="whoami").wait_for(timeout=WAIT)
    assert page.locator("li.me", has_text="help").count() == 0


def test_a_message_is_shown_once_when_the_stream_brings_it_before_the_reply(
    served: str, browser: Any
) -> None:
    """The event stream can deliver the person's own message before the POST answers; the
    dimmed line then gives way to it rather than standing beside it."""
    page = as_person(browser, served, "alice")
    held: list[Any] = []  # the POSTs held back
    answers: list[Any] = []  # what the server answered them, not yet passed on to the page

    def hold(route: Any) -> None:
        held.append(route)
        answers.append(route.fetch())

    page.route("**/api/chat", hold)
    say(page, "whoami")
    page.locator("li.me:not(.pending)", has_text="whoami").wait_for(timeout=WAIT)  # streamed
    assert page.locator("li.me", has_text="whoami").count() == 1
    for _ in range(100):  # the handler's fetch returns while Playwright dispatches events
        if answers:
            break
        page.wait_for_timeout(50)
    assert len(held) == len(answers) == 1
    held[0].fulfill(response=answers[0])
    page.locator("li.bot", has_text="alice").wait_for(timeout=WAIT)
    assert page.locator("li.me", has_text="whoami").count() == 1
    assert page.locator("li.me.pending").count() == 0


def test_a_phone_sized_screen(served: str, browser: Any) -> None:
    page = as_person(browser, served, "carol", viewport={"width": 390, "height": 844})
    say(page, "deploy payments-api 2.3.1 to prod")
    page.locator("li.card").wait_for(timeout=WAIT)
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == 390, widths  # no horizontal scrolling
    box = page.locator("#text").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    say(page, "whoami")
    page.locator("li.bot", has_text="carol@example.com").wait_for(timeout=WAIT)


def test_the_keyboard_reaches_everything(served: str, browser: Any) -> None:
    page = as_person(browser, served, "alice")
    say(page, "reset my vpn")
    page.get_by_role("button", name="Confirm").wait_for(timeout=WAIT)
    page.reload()  # Tab from the top of the page; the open card comes back with its buttons
    page.get_by_role("button", name="Confirm").wait_for(timeout=WAIT)
    focused = "() => document.activeElement.id || document.activeElement.textContent"
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(focused))
    assert "person" in reached and "text" in reached and "send" in reached, reached
    assert reached.index("person") < reached.index("Confirm") < reached.index("text"), reached
    for _ in range(12):
        if page.evaluate(focused) == "Confirm":
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.locator("li.result").first.wait_for(timeout=WAIT)
    assert page.locator("[aria-live]").count() >= 1
    assert page.locator("label[for=text]").count() == 1


def test_thumbs_up_on_an_article(served: str, browser: Any) -> None:
    page = as_person(browser, served, "alice")
    say(page, "search the kb for vpn")
    helpful = page.get_by_role("group", name="Was this helpful?")
    helpful.wait_for(timeout=WAIT)
    helpful.get_by_role("button", name="Helpful", exact=True).click()
    pressed = helpful.get_by_role("button", name="Helpful", exact=True)
    page.wait_for_function("() => document.querySelector('.thumb.up[aria-pressed=true]')")
    assert pressed.get_attribute("aria-pressed") == "true"
    page.reload()
    page.wait_for_function("() => document.querySelector('.thumb.up[aria-pressed=true]')")


def test_the_page_runs_under_its_content_security_policy(served: str, browser: Any) -> None:
    """The page works with inline script and style forbidden and the browser reports no CSP
    violation."""
    page = browser.new_page()
    complaints: list[str] = []
    page.on("console", lambda msg: complaints.append(msg.text))
    response = page.goto(served)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.select_option("#person", "carol")
    say(page, "deploy web 5.2.0 to prod")
    page.get_by_role("button", name="Send for approval").click()
    page.locator("#messages").get_by_text("is waiting for approval by dave").wait_for(timeout=WAIT)
    page.select_option("#person", "dave")
    page.locator("#messages li.approval").first.wait_for(timeout=WAIT)
    assert not [c for c in complaints if "Content Security Policy" in c], complaints


def test_thanks_is_not_consent_and_a_timed_request_waits_in_the_web_chat(
    served: str, browser: Any
) -> None:
    page = as_person(browser, served, "alice")
    say(page, "reset my password")
    page.get_by_role("button", name="Confirm").first.wait_for(timeout=WAIT)
    say(page, "thanks!")
    page.locator("#messages").get_by_text("You're welcome").wait_for(timeout=WAIT)
    assert page.locator("li.result").count() == 0  # thanks ran nothing
    page.get_by_role("button", name="Confirm").last.click()
    page.locator("li.result").first.wait_for(timeout=WAIT)
    assert "Reset the password of alice" in page.locator("li.result").first.inner_text()

    page.select_option("#person", "bob")
    say(page, "restart search in staging in 10 minutes")
    page.locator("#messages").get_by_text("Restart search in staging?").first.wait_for(timeout=WAIT)
    page.get_by_role("button", name="Confirm").last.click()
    page.locator("#messages").get_by_text("Scheduled request").wait_for(timeout=WAIT)


def test_the_readme_screenshot_can_be_made(
    browser: Any, tmp_path: Path, understander: Understander
) -> None:
    shot = tmp_path / "chat.png"
    webshot.take(browser, shot, understander)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
