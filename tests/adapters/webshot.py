"""The README's picture of the web chat, taken from the real page in Debian's chromium:

    .venv/bin/python -m tests.adapters.webshot            # writes docs/screenshots/chat.png

dave's screen: an article answer with "Was this helpful?", and the approval card carol's
production deploy put there, in words. The browser tests take the same picture into a
temporary folder, so the script keeps working.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from chatbot.config import load_settings
from chatbot.server import create_app
from intents import Understander
from tests.adapters.webside import CHROMIUM, FLAGS, serving

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "docs" / "screenshots" / "chat.png"
WAIT = 30_000


def _page(browser: Any, base: str, who: str) -> Any:
    page = browser.new_context(viewport={"width": 900, "height": 760}).new_page()
    page.goto(base)
    page.locator("#person option").first.wait_for(state="attached", timeout=WAIT)
    page.select_option("#person", who)
    return page


def _say(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")


def take(browser: Any, path: Path, understander: Understander | None = None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings().model_copy(update={"data_dir": Path(folder)})
        app = create_app(settings, f"sqlite:///{folder}/chat.db", understander)
        with serving(app) as base:
            dave, carol = _page(browser, base, "dave"), _page(browser, base, "carol")
            _say(dave, "search the kb for vpn")
            dave.get_by_role("group", name="Was this helpful?").wait_for(timeout=WAIT)
            _say(carol, "deploy web 5.2.0 to prod")
            carol.get_by_role("button", name="Send for approval").click()
            dave.locator("#messages li.approval").wait_for(timeout=WAIT)
            dave.locator("#text").focus()
            path.parent.mkdir(parents=True, exist_ok=True)
            dave.screenshot(path=str(path), full_page=True)
            carol.context.close()
            dave.context.close()


def main() -> int:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            take(browser, TARGET)
        finally:
            browser.close()
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
