"""Pull sync from Keycloak (for realms without SCIM push): the realm's users, groups (sub-groups
by path) and members come in through the SCIM storage, paged with `first`/`max`; a user
disabled in Keycloak is deactivated with every offboarding effect, and a second run with
nothing new changes nothing. The fake speaks the Admin REST API as Keycloak 26 documents it,
checked against the contract where it has the operation (tests/fakes/vendors.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from chatbot.config import Settings
from chatbot.directory.sync import sync_now
from chatbot.testing import Chat, chat_harness, text_of
from intents import Understander
from tests.directory.test_pull_sync import synced
from tests.fakes.contracts import example
from tests.fakes.vendors import vendor_for

SSO = "https://sso.example.com"
REALM = "/admin/realms/acme"
PAGE = 2  # the connector asks for two at a time, so every list takes more than one page


@dataclass
class FakeKeycloak:
    """A realm's users and groups, as the Admin REST API lists them; `seen` logs each list
    request (path, first), so a test can tell the pages were walked."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # id -> (name, parent id or "", member ids)
    groups: dict[str, tuple[str, str, list[str]]] = field(default_factory=dict)
    seen: list[tuple[str, int]] = field(default_factory=list)

    def person(self, uid: str, email: str, enabled: bool = True, **attributes: str) -> None:
        first = email.split("@")[0].title()
        self.users[uid] = example(
            "keycloak-admin",
            "UserRepresentation",
            id=uid,
            username=email.split("@")[0],
            email=email,
            firstName=first,
            lastName="Example",
            enabled=enabled,
            attributes={k: [v] for k, v in attributes.items()},
        )

    def _path(self, gid: str) -> str:
        name, parent, _ = self.groups[gid]
        return f"{self._path(parent) if parent else ''}/{name}"

    def _group(self, gid: str) -> dict[str, Any]:
        """Brief GroupRepresentation of Keycloak 23+: no `subGroups` without `search`, only
        their count; the children are read from .../groups/{id}/children."""
        children = [g for g, (_, parent, _) in self.groups.items() if parent == gid]
        name, parent, _ = self.groups[gid]
        found = {"id": gid, "name": name, "path": self._path(gid), "subGroupCount": len(children)}
        found["subGroups"] = []
        return found | ({"parentId": parent} if parent else {})

    def _items(self, request: httpx.Request) -> list[Any] | None:
        path = request.url.path.removeprefix(REALM)
        if path == "/users":
            assert request.url.params["briefRepresentation"] == "false"
            return list(self.users.values())
        if path == "/groups":
            return [self._group(g) for g, (_, parent, _) in self.groups.items() if not parent]
        parts = path.split("/")
        if len(parts) == 4 and parts[1] == "groups" and parts[2] in self.groups:
            if parts[3] == "children":
                return [self._group(g) for g, (_, up, _) in self.groups.items() if up == parts[2]]
            brief = request.url.params.get("briefRepresentation") == "true"
            members = [self.users[m] for m in self.groups[parts[2]][2] if m in self.users]
            return [{"id": m["id"], "username": m["username"]} if brief else m for m in members]
        return None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        vendor = vendor_for(request)
        vendor.check_request(request)
        if request.url.path == "/realms/acme/protocol/openid-connect/token":
            token = {"access_token": "kc-pull-token", "token_type": "Bearer", "expires_in": 300}
            return httpx.Response(200, json=token)
        items = self._items(request)
        if items is None:
            return httpx.Response(404, json={"error": "Could not find group by id"})
        first = int(request.url.params.get("first", "0"))
        size = int(request.url.params.get("max", "100"))
        self.seen.append((request.url.path.removeprefix(REALM), first))
        answer = httpx.Response(200, json=items[first : first + size])
        vendor.check_response(request, answer)  # GET /users: against the contract
        return answer


@pytest.fixture
def keycloak() -> FakeKeycloak:
    fake = FakeKeycloak()
    fake.person("kc-grace", "grace@example.com", timezone="Europe/Berlin")
    fake.person("kc-frank", "frank@example.com", manager="grace@example.com", department="Ops")
    fake.person("kc-heidi", "heidi@example.com", tz="America/New_York")
    fake.groups["g-eng"] = ("Engineering", "", ["kc-frank", "kc-grace", "kc-heidi"])
    fake.groups["g-sre"] = ("SRE", "g-eng", ["kc-grace"])
    return fake


@pytest.fixture
async def chat(
    settings: Settings,
    database_url: str,
    understander: Understander,
    keycloak: FakeKeycloak,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Chat]:
    monkeypatch.setenv("CHATOPS_SECRET__KEYCLOAK__CLIENT_SECRET", "kc-s3cret&x=1")
    connector = {"base_url": SSO, "realm": "acme", "page_size": PAGE, "attempts": 1}
    custom = synced(settings, "keycloak", {"keycloak": connector})
    transport = httpx.MockTransport(keycloak)
    async with chat_harness(custom, database_url, understander, transport) as harness:
        yield harness


async def test_people_and_groups_come_from_keycloak(chat: Chat, keycloak: FakeKeycloak) -> None:
    report = await sync_now(chat.runtime)
    assert report is not None and not report.skipped
    assert set(report.created) == {"grace@example.com", "frank@example.com", "heidi@example.com"}
    assert set(report.groups_created) == {"Engineering", "Engineering/SRE"}
    directory = chat.assistant.directory
    frank = directory.find("frank@example.com")
    assert frank is not None and frank.manager == "grace@example.com"
    assert "developer" in frank.roles  # Engineering -> developer, by [identity.group_roles]
    assert directory.zone("grace@example.com").name == "Europe/Berlin"
    assert directory.zone("heidi@example.com").name == "America/New_York"
    deploy = await chat.say("frank@example.com", "deploy web 2.0.1 to staging")
    assert "Deploy web 2.0.1 to staging?" in text_of(deploy)
    again = await sync_now(chat.runtime)
    assert again is not None and not again.changed and again.unchanged == 5


async def test_every_list_is_read_page_by_page(chat: Chat, keycloak: FakeKeycloak) -> None:
    keycloak.person("kc-ivan", "ivan@example.com")  # four users: two full pages, then none
    await sync_now(chat.runtime)
    assert [f for p, f in keycloak.seen if p == "/users"] == [0, 2, 4]
    assert [f for p, f in keycloak.seen if p == "/groups/g-eng/members"] == [0, 2]
    assert ("/groups/g-eng/children", 0) in keycloak.seen
    assert chat.assistant.directory.find("ivan@example.com") is not None


async def test_a_user_disabled_in_keycloak_is_deactivated_with_every_effect(
    chat: Chat, keycloak: FakeKeycloak
) -> None:
    await sync_now(chat.runtime)
    asked = await chat.say("frank@example.com", "restart web in staging in 2 hours")
    await chat.click("frank@example.com", asked, "Confirm")
    assert len(await chat.assistant.schedules.waiting("frank@example.com")) == 1
    keycloak.users["kc-frank"]["enabled"] = False
    report = await sync_now(chat.runtime)
    assert report is not None and report.deactivated == ("frank@example.com",)
    assert await chat.assistant.schedules.waiting("frank@example.com") == []
    refused = await chat.say("frank@example.com", "restart web in staging")
    assert "Restart web in staging?" not in text_of(refused)
    assert chat.assistant.directory.find("frank@example.com") is None
