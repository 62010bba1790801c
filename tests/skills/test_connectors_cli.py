"""`chatops connectors check NAME` and `list`, through chatbot.cli.main, against a local Okta
stand-in (a real HTTP server, since the command uses its own client)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from chatbot.cli import main
from tests.fakes.contracts import Contract


@pytest.fixture
def okta_server() -> Iterator[tuple[str, list[str]]]:
    """Okta's GET /api/v1/users/me on a free loopback port; records Authorization headers."""
    seen: list[str] = []
    ready: dict[str, str] = {}
    loop = asyncio.new_event_loop()

    async def me(request: web.Request) -> web.Response:
        url = ready["url"]
        as_httpx = httpx.Request(
            "GET", url + request.path_qs, headers=list(request.headers.items())
        )
        Contract("okta-management", url).check_request(as_httpx)
        seen.append(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") != "SSWS good-token":
            body = {"errorCode": "E0000011", "errorSummary": "Invalid token provided"}
            return web.json_response(body, status=401)
        return web.json_response(
            {"id": "00u1", "status": "ACTIVE", "profile": {"login": "chatops-bot@example.com"}}
        )

    async def start() -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/api/v1/users/{id}", me)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        ready["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return runner

    runner = loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield ready["url"], seen
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.run_until_complete(runner.cleanup())
    loop.close()


def _config(tmp_path: Path, url: str) -> str:
    path = tmp_path / "chatops.toml"
    path.write_text(f'[connectors.okta]\nbase_url = "{url}"\nattempts = 1\n')
    return str(path)


def test_check_reads_once_and_says_what_it_found(
    okta_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    url, seen = okta_server
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHATOPS_SECRET__OKTA__TOKEN", "good-token")
    assert main(["--config", _config(tmp_path, url), "connectors", "check", "okta"]) == 0
    out = capsys.readouterr().out
    assert "okta: the API token works; it belongs to chatops-bot@example.com (ACTIVE)" in out
    assert seen == ["SSWS good-token"]


def test_check_with_a_bad_token_names_okta_and_what_to_do(
    okta_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    url, _ = okta_server
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHATOPS_SECRET__OKTA__TOKEN", "wrong-token")
    assert main(["--config", _config(tmp_path, url), "connectors", "check", "okta"]) == 1
    err = capsys.readouterr().err
    assert "Okta refused (401): Invalid token provided" in err and err.count("\n") == 1
    assert "wrong-token" not in err


def test_check_of_an_unconfigured_or_unknown_connector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    config = tmp_path / "empty.toml"
    config.write_text("")
    assert main(["--config", str(config), "connectors", "check", "github"]) == 2
    assert "connectors.github: missing" in capsys.readouterr().err
    assert main(["--config", str(config), "connectors", "check", "gitlab"]) == 1
    assert "no connector 'gitlab'" in capsys.readouterr().err


def test_list_shows_every_installed_connector_and_its_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    config = tmp_path / "empty.toml"
    config.write_text("")
    assert main(["--config", str(config), "connectors", "list", "--json"]) == 0
    rows = {r["name"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["entra"]["ports"] == ["IdentityProvider"]
    assert rows["argocd"]["ports"] == ["Pipeline"]
    assert {"slack_webhook", "teams_webhook", "webhook"} <= set(rows)
