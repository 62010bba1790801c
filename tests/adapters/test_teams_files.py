"""Issue 17, item 3 on Teams: an admin attaches a manifest in a personal chat; the adapter
fetches it from the attachment's download address and the pipeline answers with the CLI's
check and the Add / Preview / Cancel card."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from skills import admin
from tests.adapters.conftest import running, server_settings
from tests.adapters.teamsside import TeamsSide, personal
from tests.adapters.test_teams import MEMBERS
from tests.fakes.botframework import FakeConnector

CACHE = (Path(__file__).parents[2] / "deploy" / "examples" / "cache-flush.toml").read_text()
DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"


@pytest.fixture
async def onedrive() -> AsyncIterator[tuple[str, list[str]]]:
    """Where Teams' pre-authenticated download URLs point: serves the file, counts fetches."""
    fetched: list[str] = []

    async def download(request: web.Request) -> web.Response:
        fetched.append(request.match_info["name"])
        return web.Response(text=CACHE)

    app = web.Application()
    app.router.add_get("/download/{name}", download)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/download/", fetched
    await runner.cleanup()


async def test_a_manifest_attached_in_teams_is_checked_and_offered(
    model_dir: Path,
    database_url: str,
    onedrive: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHATOPS_SECRET__CACHE_FLUSH__API_TOKEN", "cdn-s3cret-token-123")
    base, fetched = onedrive
    connector = await FakeConnector(members=dict(MEMBERS)).start()
    settings = server_settings(
        model_dir,
        database_url,
        teams={"allow_unauthenticated": True},
        skills={"allowed_hosts": ("cdn.example.com",)},
    )
    try:
        async with running(settings) as (app, http):
            teams = TeamsSide(app, http, connector)

            def attached(name: str, url: str) -> dict[str, object]:
                return {
                    "contentType": DOWNLOAD_INFO,
                    "name": name,
                    "content": {"downloadUrl": url, "fileType": name.rsplit(".", 1)[-1]},
                }

            files = [
                attached("notes.docx", base + "notes.docx"),
                attached("far.toml", "http://example.net/far.toml"),  # not HTTPS, not loopback
                attached("cache-flush.toml", base + "cache-flush.toml"),
            ]
            assert (await teams.say("dave", "", attachments=files)).status_code == 201
            assert fetched == ["cache-flush.toml"]
            sent = connector.messages_in(personal("dave"))
            text = "\n".join(s.text for s in sent)
            assert "cache-flush.toml: ok (cache.flush, 8 examples)" in text
            card = next(s for s in sent if s.buttons)
            await teams.click("dave", card, "Confirm")
            (version,) = await admin.versions(app.state.runtime.store, "cache.flush")
            assert version.source == CACHE and version.created_by == "dave"
    finally:
        await connector.stop()
