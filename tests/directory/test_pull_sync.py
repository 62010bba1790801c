"""Pull sync from Okta and Entra ID (for companies without SCIM push): people, groups and
managers come in through the SCIM storage, a leaver is deactivated with the same effects as a
SCIM `active: false`, and a second run with nothing new changes nothing. The fakes speak the
vendors' documented APIs, checked against the contracts (tests/fakes/vendors.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from chatbot import cli
from chatbot.config import DirectorySyncSettings, IdentitySettings, Settings
from chatbot.directory.sync import sync_now
from chatbot.jobs import functions
from chatbot.jobs.registry import JobContext, by_name
from chatbot.testing import Chat, chat_harness, text_of
from intents import Understander
from tests.fakes.contracts import contract, example
from tests.fakes.vendors import vendor_for

OKTA = "https://acme.okta.com"
PAGE = 2  # the fake pages its lists by two, so paging is exercised


@dataclass
class FakeOkta:
    """Okta's Users and Groups APIs over a directory the test changes between runs."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    def person(self, uid: str, login: str, status: str = "ACTIVE", **profile: str) -> None:
        user = example(
            "okta-management",
            "User",
            id=uid,
            status=status,
            profile={"login": login, "email": login, "firstName": login.split("@")[0].title()}
            | profile,
        )
        # Each user is what Okta answers for GET /api/v1/users/{id}, by its own contract.
        single = httpx.Request("GET", f"{OKTA}/api/v1/users/{uid}")
        contract("okta-management", OKTA).check_response(
            single, httpx.Response(200, json=user, headers={"content-type": "application/json"})
        )
        self.users[uid] = user

    def __call__(self, request: httpx.Request) -> httpx.Response:
        vendor_for(request).check_request(request)
        path = request.url.path
        if path == "/api/v1/users":
            items: list[Any] = list(self.users.values())
        elif path == "/api/v1/groups":
            items = [{"id": g, "profile": {"name": n}} for g, (n, _) in self.groups.items()]
        elif path.startswith("/api/v1/groups/") and path.endswith("/users"):
            _, members = self.groups[path.split("/")[4]]
            items = [self.users[m] for m in members if m in self.users]
        else:
            return httpx.Response(404, json={"errorCode": "E0000007"})
        start = int(request.url.params.get("after", "0"))
        page = items[start : start + PAGE]
        headers = {"content-type": "application/json"}
        if start + PAGE < len(items):
            headers["link"] = f'<{OKTA}{path}?after={start + PAGE}&limit={PAGE}>; rel="next"'
        return httpx.Response(200, content=json.dumps(page).encode(), headers=headers)


@pytest.fixture
def okta() -> FakeOkta:
    fake = FakeOkta()
    fake.person("00u-grace", "grace@example.com", timezone="Europe/Berlin")
    fake.person("00u-frank", "frank@example.com", managerId="00u-grace", department="Platform")
    fake.person("00u-heidi", "heidi@example.com")
    fake.groups["00g-eng"] = ("Engineering", ["00u-frank", "00u-grace"])
    return fake


def synced(settings: Settings, source: str, connectors: dict[str, Any]) -> Settings:
    return settings.model_copy(
        update={
            "connectors": connectors,
            "identity": IdentitySettings(
                domains=("example.com",),
                group_roles={"Engineering": ("developer",)},
                sync=DirectorySyncSettings(source=source),
            ),
        }
    )


@pytest.fixture
async def chat(
    settings: Settings,
    database_url: str,
    understander: Understander,
    okta: FakeOkta,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Chat]:
    monkeypatch.setenv("CHATOPS_SECRET__OKTA__TOKEN", "okta-s3cret-123")
    custom = synced(settings, "okta", {"okta": {"base_url": OKTA, "attempts": 1}})
    transport = httpx.MockTransport(okta)
    async with chat_harness(custom, database_url, understander, transport) as harness:
        yield harness


async def test_people_groups_and_managers_come_from_okta(chat: Chat, okta: FakeOkta) -> None:
    report = await sync_now(chat.runtime)
    assert report is not None
    assert set(report.created) == {"grace@example.com", "frank@example.com", "heidi@example.com"}
    assert report.groups_created == ("Engineering",) and not report.skipped
    directory = chat.assistant.directory
    frank = directory.find("frank@example.com")
    assert frank is not None and frank.manager == "grace@example.com"
    assert directory.zone("grace@example.com").name == "Europe/Berlin"
    # In group Engineering (-> developer): frank may deploy to staging at once; heidi, of the
    # company domain with no group, is an employee.
    deploy = await chat.say("frank@example.com", "deploy web 2.0.1 to staging")
    assert "Deploy web 2.0.1 to staging?" in text_of(deploy)
    refused = await chat.say("heidi@example.com", "deploy web 2.0.1 to staging")
    assert "Sorry, you may not do that" in text_of(refused)
    again = await sync_now(chat.runtime)
    assert again is not None and not again.changed and again.unchanged == 4


async def test_a_leaver_in_okta_is_deactivated_with_every_effect(
    chat: Chat, okta: FakeOkta
) -> None:
    await sync_now(chat.runtime)
    asked = await chat.say("frank@example.com", "restart web in staging in 2 hours")
    await chat.click("frank@example.com", asked, "Confirm")
    waiting = await chat.assistant.schedules.waiting("frank@example.com")
    assert len(waiting) == 1
    okta.users["00u-frank"]["status"] = "DEPROVISIONED"
    del okta.users["00u-heidi"]  # gone from Okta altogether
    okta.groups["00g-eng"] = ("Engineering", ["00u-grace"])
    report = await sync_now(chat.runtime)
    assert report is not None
    assert set(report.deactivated) == {"frank@example.com", "heidi@example.com"}
    assert report.groups_updated == ("Engineering",)
    assert await chat.assistant.schedules.waiting("frank@example.com") == []
    refused = await chat.say("frank@example.com", "restart web in staging")
    assert "Restart web in staging?" not in text_of(refused)
    assert chat.assistant.directory.find("frank@example.com") is None


async def test_the_job_is_off_unless_configured(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    assert by_name()["directory.sync"].every is not None
    async with chat_harness(settings, database_url, understander) as plain:
        assert await functions.sync_directory(JobContext(plain.runtime)) == "off"


# -- Entra ID through Microsoft Graph --------------------------------------------------------

GRAPH = "https://graph.microsoft.com/v1.0"


def graph(request: httpx.Request) -> httpx.Response:
    """Microsoft Graph's users (with $expand=manager), groups and user members, paged with
    @odata.nextLink; the token endpoint of the Microsoft identity platform."""
    vendor = vendor_for(request)
    vendor.check_request(request)
    path = request.url.path
    if request.url.host == "login.microsoftonline.com":
        return httpx.Response(200, json={"access_token": "graph-token", "expires_in": 3599})
    if path == "/v1.0/users" and "$skiptoken" not in request.url.params:
        assert request.url.params["$expand"] == "manager($select=id)"
        body: dict[str, Any] = {
            "value": [
                {
                    "id": "u-ivan",
                    "userPrincipalName": "ivan@example.com",
                    "mail": "ivan@example.com",
                    "displayName": "Ivan",
                    "accountEnabled": True,
                    "manager": {"@odata.type": "#microsoft.graph.user", "id": "u-judy"},
                }
            ],
            "@odata.nextLink": f"{GRAPH}/users?$skiptoken=2",
        }
    elif path == "/v1.0/users":
        body = {
            "value": [
                {
                    "id": "u-judy",
                    "userPrincipalName": "judy@example.com",
                    "mail": None,
                    "displayName": "Judy",
                    "accountEnabled": True,
                }
            ]
        }
    elif path == "/v1.0/groups":
        body = {"value": [{"id": "g-eng", "displayName": "Engineering"}]}
    elif path == "/v1.0/groups/g-eng/members/microsoft.graph.user":
        body = {"value": [{"id": "u-ivan"}]}
    else:
        return httpx.Response(404, json={"error": {"code": "Request_ResourceNotFound"}})
    return httpx.Response(200, json=body)


async def test_people_groups_and_managers_come_from_entra_id(
    settings: Settings,
    database_url: str,
    understander: Understander,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHATOPS_SECRET__ENTRA__CLIENT_SECRET", "entra-s3cret")
    entra = {"tenant": "contoso.onmicrosoft.com", "client_id": "app-1", "attempts": 1}
    custom = synced(settings, "entra", {"entra": entra})
    async with chat_harness(custom, database_url, understander, httpx.MockTransport(graph)) as chat:
        report = await sync_now(chat.runtime)
        assert report is not None and set(report.created) == {
            "ivan@example.com",
            "judy@example.com",
        }
        ivan = chat.assistant.directory.find("ivan@example.com")
        assert ivan is not None and ivan.manager == "judy@example.com"
        assert "developer" in ivan.roles


# -- from a terminal: `chatops directory sync` -----------------------------------------------


@asynccontextmanager
async def served(fake: FakeOkta) -> AsyncIterator[str]:
    """The fake on a real local port (the CLI builds its own HTTP client): requests reach it
    as they would reach acme.okta.com, and its `next` links point back here."""

    async def route(request: web.Request) -> web.Response:
        url = httpx.URL(str(request.url)).copy_with(scheme="https", host="acme.okta.com", port=None)
        answer = fake(httpx.Request(request.method, url, headers=dict(request.headers)))
        headers = {k: v for k, v in answer.headers.items() if k in ("content-type", "link")}
        if "link" in headers:
            headers["link"] = headers["link"].replace(OKTA, base)
        return web.Response(status=answer.status_code, body=answer.content, headers=headers)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", route)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        yield base
    finally:
        await runner.cleanup()


async def test_sync_from_a_terminal(
    tmp_path: Path,
    database_url: str,
    okta: FakeOkta,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CHATOPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    off = await asyncio.to_thread(cli.main, ["directory", "sync"])
    assert off == 2 and "directory sync is off" in capsys.readouterr().err
    monkeypatch.setenv("CHATOPS_SECRET__OKTA__TOKEN", "okta-s3cret-123")
    async with served(okta) as base:
        config = tmp_path / "chatops.toml"
        config.write_text(
            '[identity]\ndomains = ["example.com"]\n'
            '[identity.group_roles]\n"Engineering" = ["developer"]\n'
            '[identity.sync]\nsource = "okta"\n'
            f'[connectors.okta]\nbase_url = "{base}"\nattempts = 1\n'
        )
        code = await asyncio.to_thread(
            cli.main, ["--config", str(config), "directory", "sync", "--json"]
        )
        out = capsys.readouterr().out.strip().splitlines()[-1]
        report = json.loads(out)
        assert code == 0 and len(report["created"]) == 3, out
        assert report["groups_created"] == ["Engineering"]
        code = await asyncio.to_thread(cli.main, ["--config", str(config), "directory", "sync"])
        assert code == 0 and "nothing changed (4 up to date)" in capsys.readouterr().out
