"""A person in a real browser: headless Debian chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from chatbot.config import Settings
from chatbot.server import create_app
from intents import Understander

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(settings: Settings, tmp_path: Path, understander: Understander) -> Iterator[str]:
    port = _free_port()
    app = create_app(settings, f"sqlite:///{tmp_path / 'web.db'}", understander)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs /usr/bin/chromium (make test installs it as root)")
        pytest.skip(
            "Debian's chromium is not at /usr/bin/chromium: `make test` installs it when run "
            "as root; without root the browser tests skip"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield instance
        instance.close()


def test_alice_resets_her_vpn_in_the_web_chat(served: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(served)
    page.select_option("#person", "alice")
    page.fill("#text", "reset my vpn")
    page.press("#text", "Enter")
    page.get_by_role("button", name="Confirm").click()
    result = page.locator("li.result").first
    result.wait_for(timeout=15_000)
    assert "VPN reset for alice" in result.inner_text()
    assert "Sandbox" in result.inner_text()
    page.screenshot(path=str(tmp_path / "web-chat.png"), full_page=True)


def test_the_page_runs_under_its_content_security_policy(served: str, browser) -> None:  # type: ignore[no-untyped-def]
    """The page works with inline script and style forbidden, the browser reports no CSP
    violation, and the approver's inbox (a POST) shows the waiting card."""
    page = browser.new_page()
    complaints: list[str] = []
    page.on("console", lambda msg: complaints.append(msg.text))
    response = page.goto(served)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.select_option("#person", "carol")
    page.fill("#text", "deploy web 5.2.0 to prod")
    page.press("#text", "Enter")
    page.get_by_role("button", name="Send for approval").click()
    page.locator("li.bot").nth(1).wait_for(timeout=15_000)
    page.select_option("#person", "dave")
    page.locator("#inbox-items li.approval").first.wait_for(timeout=15_000)
    assert not [c for c in complaints if "Content Security Policy" in c], complaints


def test_thanks_is_not_consent_and_a_timed_request_waits_in_the_web_chat(  # type: ignore[no-untyped-def]
    served: str, browser
) -> None:
    page = browser.new_page()
    page.goto(served)
    page.select_option("#person", "alice")
    page.fill("#text", "reset my password")
    page.press("#text", "Enter")
    page.get_by_role("button", name="Confirm").first.wait_for(timeout=15_000)
    page.fill("#text", "thanks!")
    page.press("#text", "Enter")
    page.get_by_text("You're welcome").wait_for(timeout=15_000)
    assert page.locator("li.result").count() == 0  # thanks ran nothing
    page.get_by_role("button", name="Confirm").last.click()
    page.locator("li.result").first.wait_for(timeout=15_000)
    assert "Reset the password of alice" in page.locator("li.result").first.inner_text()

    page.select_option("#person", "bob")
    page.fill("#text", "restart search in staging in 10 minutes")
    page.press("#text", "Enter")
    page.get_by_text("Restart search in staging?").first.wait_for(timeout=15_000)
    page.get_by_role("button", name="Confirm").last.click()
    page.get_by_text("Scheduled request").wait_for(timeout=15_000)
