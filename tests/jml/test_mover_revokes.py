"""Issue 18 items 3 and 5: a mover's new manager decides on what only the old role gave, and
a "revoke" is an access.revoke request of the manager's like any reviewer's: the start gate
(a freeze refuses it; the item says not removed and why, the grant stays), RBAC (a manager
may revoke their own reports' access only: the demo's `target = "reports"` grant), and the
export shows the decision, who made it and what became of it. SCIM over HTTP, presses and
chat through Assistant.handle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from chatbot.config import Freeze, Settings
from chatbot.jml import views
from chatbot.server import create_app
from chatbot.store.tables import Action
from chatbot.testing import button, text_of
from chatbot.types import Reply, utcnow
from intents import Understander
from tests.directory.conftest import AUTH, ENTERPRISE, new_user
from tests.directory.test_directory_flows import PATCH, say
from tests.jml.conftest import inbox, members, run
from tests.jml.test_joiners_movers import _joiner, _rows

BOSS = "boss@example.com"


@pytest.fixture
def frozen(
    jml_settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    now = utcnow().replace(tzinfo=None)
    freeze = Freeze(
        name="audit-week",
        skill="access.revoke",
        where={"resource": ("github",)},
        start=now - timedelta(days=1),
        end=now + timedelta(days=1),
    )
    with TestClient(
        create_app(
            jml_settings.model_copy(update={"freezes": (freeze,)}), database_url, understander
        )
    ) as c:
        yield c


def _patch(client: TestClient, user_id: str, path: str, value: object) -> None:
    body = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": path, "value": value}]}
    moved = client.patch(f"/scim/v2/Users/{user_id}", json=body, headers=AUTH)
    assert moved.status_code in (200, 204), moved.text


def _mover(client: TestClient) -> tuple[dict, list[Reply]]:
    """omar joins Engineering under boss (approved, granted), then moves to Sales: github
    and jenkins go to boss as Keep/Revoke cards."""
    boss = new_user(client, BOSS)
    omar = _joiner(client, "omar@example.com", "Engineering", boss["id"])
    say(client, BOSS, press=button([r for r in inbox(client, BOSS) if r.buttons], "Approve"))
    assert members(client, "acme-developers") == ["omar@example.com"]
    _patch(client, omar["id"], f"{ENTERPRISE}:department", "Sales")
    cards = [r for r in inbox(client, BOSS) if any(b.label == "Revoke" for b in r.buttons)]
    assert len(cards) == 2, text_of(cards)
    return omar, cards


def _items(client: TestClient) -> dict[str, dict]:
    """The mover review as exported (`chatops reviews show`), item per resource."""
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    listed = run(client, lambda: views.campaigns(rt.store))
    movers = [c for c in listed if c["kind"] == "mover"]
    assert len(movers) == 1, listed
    shown = run(client, lambda: views.campaign(rt.store, int(movers[0]["id"])))
    return {i["resource"]: i for i in shown["items"]}


def _action(client: TestClient, action_id: int) -> Action:
    rt = client.app.state.runtime  # type: ignore[attr-defined]

    async def read() -> Action:
        async with rt.store.transaction() as tx:
            found = await tx.get(Action, action_id)
        assert found is not None
        return found

    return run(client, read)


def test_the_new_managers_revoke_is_a_request_of_theirs_and_the_export_shows_it(
    client: TestClient,
) -> None:
    _, cards = _mover(client)
    github = [r for r in cards if "github" in r.text]
    said = text_of(say(client, BOSS, press=button(github, "Revoke")))
    assert "removed by request #" in said, said
    assert members(client, "acme-developers") == []  # removed through the back end fake
    assert _rows(client, "omar@example.com")["github"] == "removed"
    item = _items(client)["github"]
    assert item["decision"] == "revoke" and item["decided_by"] == BOSS
    assert item["outcome"] == f"removed by request #{item['revoke_request']}"
    request = _action(client, int(item["revoke_request"]))
    assert (request.skill, request.requester, request.state) == ("access.revoke", BOSS, "succeeded")
    assert "for the people you manage only" in request.rule, request.rule


def test_keep_keeps_the_grant(client: TestClient) -> None:
    _, cards = _mover(client)
    said = text_of(
        say(client, BOSS, press=button([r for r in cards if "jenkins" in r.text], "Keep"))
    )
    assert "keeps access to jenkins" in said, said
    assert members(client, "jenkins") == ["omar@example.com"]
    assert _rows(client, "omar@example.com")["jenkins"] == "granted"
    item = _items(client)["jenkins"]
    assert (item["decision"], item["decided_by"], item["revoke_request"]) == ("keep", BOSS, "")


def test_a_freeze_refuses_the_managers_revoke_and_the_item_says_why(frozen: TestClient) -> None:
    _, cards = _mover(frozen)
    said = text_of(
        say(frozen, BOSS, press=button([r for r in cards if "github" in r.text], "Revoke"))
    )
    assert "not removed: refused" in said and "audit-week" in said, said
    assert members(frozen, "acme-developers") == ["omar@example.com"]
    assert _rows(frozen, "omar@example.com")["github"] == "granted"  # still held: reviewable
    item = _items(frozen)["github"]
    assert item["decision"] == "revoke" and item["decided_by"] == BOSS
    assert item["outcome"].startswith("not removed: refused") and "audit-week" in item["outcome"]


def test_a_manager_who_is_no_longer_the_movers_manager_cannot_revoke(client: TestClient) -> None:
    omar, cards = _mover(client)
    other = new_user(client, "olga@example.com")
    _patch(client, omar["id"], f"{ENTERPRISE}:manager", {"value": other["id"]})
    said = text_of(
        say(client, BOSS, press=button([r for r in cards if "github" in r.text], "Revoke"))
    )
    assert "not removed: refused" in said and "people you manage" in said, said
    assert members(client, "acme-developers") == ["omar@example.com"]
    assert _rows(client, "omar@example.com")["github"] == "granted"
    assert _items(client)["github"]["outcome"].startswith("not removed: refused")


def test_a_manager_may_revoke_their_reports_access_in_chat_and_nobody_elses(
    client: TestClient,
) -> None:
    _mover(client)
    new_user(client, "eve@example.com")
    refused = text_of(say(client, BOSS, "revoke access to jenkins for eve@example.com"))
    assert "people you manage" in refused, refused
    asked = say(client, BOSS, "revoke access to jenkins for omar@example.com")
    done = text_of(say(client, BOSS, press=button(asked, "Confirm")))
    assert "Removed" in done and "omar@example.com" in done, done
    assert members(client, "jenkins") == []


def test_the_start_gate_asks_again_whether_they_are_still_the_manager(
    client: TestClient,
) -> None:
    omar, _ = _mover(client)
    asked = say(client, BOSS, "revoke access to jenkins for omar@example.com")
    other = new_user(client, "olga@example.com")
    _patch(client, omar["id"], f"{ENTERPRISE}:manager", {"value": other["id"]})
    said = text_of(say(client, BOSS, press=button(asked, "Confirm")))
    assert "people you manage" in said, said
    assert members(client, "jenkins") == ["omar@example.com"]
