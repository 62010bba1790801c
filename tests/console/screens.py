"""A console served on a loopback port, with a request waiting for dave: what the browser
tests drive and what the README's screenshot shows.

    .venv/bin/python -m tests.console.screens      # writes docs/screenshots/console.png
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx

from chatbot.config import Settings, load_settings
from chatbot.server import create_app
from intents import Understander
from tests.adapters.webside import serving as web_serving
from tests.console.conftest import CDN_SECRET, with_auditor

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "console.png"


@contextmanager
def serving(
    settings: Settings, database_url: str, understander: Understander | None = None
) -> Iterator[str]:
    """The whole app on a loopback port, in a thread (the web chat tests' server); its base
    URL. The skill secret is set only while it serves, so no later test inherits it."""
    secret = {"CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN": CDN_SECRET}
    with patch.dict(os.environ, secret):
        app = create_app(with_auditor(settings), database_url, understander)
        with web_serving(app) as base:
            yield base


def carol_asks(base: str, text: str = "deploy web 5.2.0 to prod") -> int:
    """Carol asks in the web chat (its JSON API) and sends the request for approval."""
    with httpx.Client(base_url=base, timeout=60) as http:
        asked = http.post("/api/chat", json={"as": "carol", "text": text}).json()
        send = asked["replies"][0]["buttons"][0]["value"]
        http.post("/api/chat", json={"as": "carol", "press": send}).raise_for_status()
    return int(send.split(":")[1])


def shoot(page: Any, base: str, path: Path) -> None:
    """The inbox with a request waiting, as the README shows it."""
    page.set_viewport_size({"width": 1100, "height": 720})
    page.goto(f"{base}/console/inbox?as=dave")
    page.get_by_role("button", name="Approve").first.wait_for(timeout=15_000)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings().model_copy(update={"data_dir": Path(folder)})
        with serving(settings, f"sqlite:///{folder}/console.db") as base:
            carol_asks(base)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
                shoot(browser.new_page(), base, SHOT)
                browser.close()
    print(f"wrote {SHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
