"""The KPI and unserved-requests pages in a real browser (Debian's chromium via Playwright),
from a week of known records: charts drawn, their numbers readable, the draft a click away."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn

from chatbot.config import Settings
from chatbot.server import create_app
from chatbot.store.engine import Store
from intents import Understander
from tests.insights import fixture

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(
    settings: Settings, tmp_path: Path, understander: Understander, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'kpi.db'}"
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(fixture, "MONDAY", today - timedelta(days=7))

    async def fill() -> None:
        store = Store(url)
        await store.migrate()
        await fixture.seed(store)
        await store.close()

    asyncio.run(fill())
    port = _free_port()
    app = create_app(settings, url, understander)
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
        pytest.skip("Debian's chromium is not at /usr/bin/chromium; the browser tests skip")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield instance
        instance.close()


def test_the_kpi_page_renders_charts_from_the_records(served: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    complaints: list[str] = []
    page.on("console", lambda msg: complaints.append(msg.text))
    page.goto(f"{served}/console/kpis?as=dave")
    charts = page.get_by_role("img")
    assert charts.count() >= 5
    mttx = page.get_by_role("img", name="Time to acknowledge and to resolve incidents")
    assert mttx.locator("polyline, circle").count() >= 2
    box = mttx.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 60  # drawn, not empty
    assert page.locator(".headlines").get_by_text("50%").count() >= 1  # change failure rate
    page.get_by_text("The numbers").first.click()
    table = page.get_by_role("table", name="Time to acknowledge and to resolve incidents")
    assert "2 min" in table.inner_text()  # Monday's mean: 120 s
    page.select_option("#range", "7d")
    page.select_option("#step", "day")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**range=7d**")
    assert page.get_by_role("img").count() >= 5
    page.screenshot(path=str(tmp_path / "console-kpis.png"), full_page=True)
    assert not [c for c in complaints if "Content Security Policy" in c], complaints


def test_unserved_requests_show_groups_and_open_a_draft(served: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{served}/console/unmatched?as=dave")
    groups = page.locator("li.group")
    assert groups.count() == 2
    assert "my printer is jammed again" in groups.first.inner_text()
    assert "asked 3 times" in groups.first.inner_text()
    groups.first.get_by_role("button", name="Draft a skill").click()
    page.wait_for_url("**/console/skills/new**")
    manifest = page.locator("#manifest").input_value()
    assert "name: printer.jammed" in manifest
    assert "- the printer on floor 3 is jammed" in manifest
    assert page.locator("#format").input_value() == "yaml"
