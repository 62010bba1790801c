"""Issue 18 items 1-3: a person created over SCIM in Engineering is asked for the
engineering bundle at once, as an employee.onboard request their manager approves; approved,
every item is granted through its back end and the joiner is welcomed. A move to Sales asks
for what Sales adds and proposes to the manager removing what only Engineering gave; Revoke
removes it, Keep keeps it. SCIM goes over HTTP, decisions through Assistant.handle."""

from __future__ import annotations

from sqlmodel import select
from starlette.testclient import TestClient

from chatbot.governance import audit
from chatbot.store.tables import Action, JmlGrant
from chatbot.testing import button, text_of
from tests.directory.conftest import AUTH, ENTERPRISE, USER, new_user
from tests.directory.test_directory_flows import PATCH, say
from tests.jml.conftest import inbox, members, run


def _joiner(client: TestClient, email: str, department: str, manager_id: str) -> dict:
    extra = {ENTERPRISE: {"department": department, "manager": {"value": manager_id}}}
    return new_user(client, email, schemas=[USER, ENTERPRISE], **extra)


def _rows(client: TestClient, person: str) -> dict[str, str]:
    rt = client.app.state.runtime  # type: ignore[attr-defined]

    async def read() -> dict[str, str]:
        async with rt.store.transaction() as tx:
            rows = (await tx.exec(select(JmlGrant).where(JmlGrant.person == person))).all()
        return {r.resource: r.state for r in rows}

    return run(client, read)


def test_a_joiner_over_scim_is_onboarded_after_their_managers_approval(
    client: TestClient,
) -> None:
    boss = new_user(client, "boss@example.com")
    _joiner(client, "nina@example.com", "Engineering", boss["id"])
    assert _rows(client, "nina@example.com") == {
        "github": "pending",
        "jenkins": "pending",
        "grafana": "pending",
    }
    assert members(client, "acme-developers") == []  # nothing before the approval
    cards = [r for r in inbox(client, "boss@example.com") if r.buttons]
    assert cards and "nina@example.com" in text_of(cards), text_of(cards)
    done = text_of(say(client, "boss@example.com", press=button(cards, "Approve")))
    assert "nina@example.com now has" in done, done
    assert _rows(client, "nina@example.com") == {
        "github": "granted",
        "jenkins": "granted",
        "grafana": "granted",
    }
    assert members(client, "acme-developers") == ["nina@example.com"]
    assert members(client, "jenkins") == ["nina@example.com"]
    welcome = text_of(inbox(client, "nina@example.com"))
    assert "Welcome" in welcome and "github" in welcome and "access to grafana" in welcome


def test_a_mover_gets_the_new_bundle_and_the_manager_decides_on_the_old(
    client: TestClient,
) -> None:
    boss = new_user(client, "boss@example.com")
    omar = _joiner(client, "omar@example.com", "Engineering", boss["id"])
    cards = [r for r in inbox(client, "boss@example.com") if r.buttons]
    say(client, "boss@example.com", press=button(cards, "Approve"))
    body = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Sales"}],
    }
    moved = client.patch(f"/scim/v2/Users/{omar['id']}", json=body, headers=AUTH)
    assert moved.status_code in (200, 204), moved.text
    assert _rows(client, "omar@example.com") == {
        "github": "proposed",
        "jenkins": "proposed",
        "grafana": "granted",  # Sales gives it too: not proposed, not asked again
        "crm": "pending",
    }
    notes = inbox(client, "boss@example.com")
    reviews = [r for r in notes if any(b.label == "Revoke" for b in r.buttons)]
    assert len(reviews) == 2, text_of(notes)
    github = [r for r in reviews if "github" in r.text]
    jenkins = [r for r in reviews if "jenkins" in r.text]
    said = text_of(say(client, "boss@example.com", press=button(github, "Revoke")))
    assert "removed by request #" in said, said  # an access.revoke request
    assert text_of(say(client, "boss@example.com", press=button(jenkins, "Keep")))
    again = text_of(say(client, "boss@example.com", press=button(github, "Keep")))
    assert "already decided" in again
    approve = [r for r in notes if any(b.label == "Approve" for b in r.buttons)]
    say(client, "boss@example.com", press=button(approve, "Approve"))
    assert _rows(client, "omar@example.com") == {
        "github": "removed",
        "jenkins": "granted",
        "grafana": "granted",
        "crm": "granted",
    }
    assert members(client, "acme-developers") == []
    assert members(client, "jenkins") == ["omar@example.com"]


def test_someone_else_cannot_decide_a_review_nor_approve_an_onboarding(
    client: TestClient,
) -> None:
    boss = new_user(client, "boss@example.com")
    new_user(client, "eve@example.com")
    _joiner(client, "pia@example.com", "Engineering", boss["id"])
    cards = [r for r in inbox(client, "boss@example.com") if r.buttons]
    refused = text_of(say(client, "eve@example.com", press=button(cards, "Approve")))
    assert "Only boss@example.com" in refused, refused
    assert _rows(client, "pia@example.com")["github"] == "pending"
    say(client, "boss@example.com", press=button(cards, "Approve"))
    pia = client.get(
        "/scim/v2/Users", params={"filter": 'userName eq "pia@example.com"'}, headers=AUTH
    )
    body = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Legal"}],
    }
    client.patch(f"/scim/v2/Users/{pia.json()['Resources'][0]['id']}", json=body, headers=AUTH)
    reviews = [r for r in inbox(client, "boss@example.com") if r.buttons]
    assert len(reviews) == 3  # Legal has no bundle: all three go to the manager
    said = text_of(say(client, "eve@example.com", press=button(reviews, "Revoke")))
    assert "for boss@example.com to decide, not you" in said, said
    assert _rows(client, "pia@example.com")["github"] == "proposed"


def test_a_person_no_bundle_matches_is_asked_nothing(client: TestClient) -> None:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    new_user(client, "quinn@example.com")  # no department: no bundle

    async def found() -> tuple[int, int]:
        async with rt.store.transaction() as tx:
            rows = (await tx.exec(select(Action).where(Action.skill == "employee.onboard"))).all()
            refused = [e async for e in audit.entries(tx) if e.event == "jml.not_asked"]
        return len(rows), len(refused)

    assert run(client, found) == (0, 0)
