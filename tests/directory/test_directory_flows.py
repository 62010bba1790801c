"""The issue's "done when": people provisioned over SCIM act from chat at once, roles come from
groups and the company domain, deactivation stops everything, the requester's manager
approves, and chat identities link once. SCIM goes over HTTP to the real app; chat goes
through Assistant.handle as a Slack user (an email, not a local name)."""

from __future__ import annotations

from starlette.testclient import TestClient

from chatbot import texts
from chatbot.testing import button, text_of
from chatbot.types import ButtonPress, Message, Reply
from tests.directory.conftest import AUTH, ENTERPRISE, USER, new_group, new_user

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def say(
    client: TestClient,
    email: str,
    text: str = "",
    press: str | None = None,
    user_id: str | None = None,
    channel: str = "D0DM",
) -> list[Reply]:
    message = Message(
        platform="slack",
        user_id=user_id or f"U-{email}",
        text=text,
        channel=channel,
        email=email,
        press=ButtonPress(press) if press else None,
        tenant="T0COMPANY",
    )
    return client.portal.call(client.app.state.runtime.assistant.handle, message)  # type: ignore[union-attr]


def deactivate(client: TestClient, person_id: str) -> None:
    body = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    got = client.patch(f"/scim/v2/Users/{person_id}", json=body, headers=AUTH)
    assert got.status_code in (200, 204), got.text


def test_a_person_created_in_engineering_deploys_to_staging_at_once(client: TestClient) -> None:
    frank = new_user(client, "frank@example.com")
    new_group(client, "Engineering", [frank["id"]])
    asked = say(client, "frank@example.com", "deploy payments-api 2.3.1 to staging")
    assert "Deploy payments-api 2.3.1 to staging?" in text_of(asked)
    done = say(client, "frank@example.com", press=button(asked, "Confirm"))
    assert "Deployed payments-api 2.3.1 to staging" in text_of(done)
    whoami = text_of(say(client, "frank@example.com", "whoami"))
    assert "developer (group Engineering)" in whoami
    assert "employee (company domain example.com)" in whoami


def test_a_company_person_with_no_group_can_reset_their_vpn(client: TestClient) -> None:
    new_user(client, "gina@example.com")
    asked = say(client, "gina@example.com", "reset my vpn")
    done = say(client, "gina@example.com", press=button(asked, "Confirm"))
    assert "VPN reset" in text_of(done)
    denied = text_of(say(client, "gina@example.com", "deploy payments-api 2.3.1 to staging"))
    assert "Sorry, you may not do that" in denied


def test_another_domain_stays_a_guest_without_a_group(client: TestClient) -> None:
    new_user(client, "vendor@partner.example")
    replies = say(client, "vendor@partner.example", "reset my vpn")
    assert "Sorry, you may not do that" in text_of(replies)
    assert "none of your roles (none)" in text_of(replies)


def test_a_person_deactivated_over_scim_is_refused_at_once(client: TestClient) -> None:
    """Their open request is cancelled with a note to the approvers, their approval no longer
    counts, and they can do nothing."""
    harry = new_user(client, "harry@example.com")
    new_group(client, "Release", [harry["id"]])
    asked = say(client, "harry@example.com", "reset my vpn")
    assert button(asked, "Confirm")
    deactivate(client, harry["id"])
    refused = say(client, "harry@example.com", "reset my vpn")
    assert text_of(refused) == texts.DEACTIVATED
    late = say(client, "harry@example.com", press=button(asked, "Confirm"))
    assert text_of(late) == texts.DEACTIVATED
    rt = client.app.state.runtime  # type: ignore[attr-defined]

    async def state_and_audit() -> tuple[str, list[str]]:
        from sqlmodel import select

        from chatbot.store.tables import Action, AuditEntry

        async with rt.store.transaction() as tx:
            action = (
                await tx.exec(select(Action).where(Action.requester == "harry@example.com"))
            ).one()
            events = [e.event for e in (await tx.exec(select(AuditEntry))).all()]
        return action.state, events

    state, events = client.portal.call(state_and_audit)
    assert state == "cancelled"
    assert "person.deactivated" in events and "action.cancelled" in events
    assert "directory.user.created" in events and "directory.user.updated" in events
    reactivate = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "active", "value": True}],
    }
    client.patch(f"/scim/v2/Users/{harry['id']}", json=reactivate, headers=AUTH)
    assert "Reset your VPN sessions" in text_of(say(client, "harry@example.com", "reset my vpn"))


def test_a_deactivated_approvers_vote_no_longer_counts(client: TestClient) -> None:
    """A prod restart needs two release managers: ivan approves and is then deactivated, so
    kate's approval leaves it waiting and dave's completes it."""
    ivan, kate = new_user(client, "ivan@example.com"), new_user(client, "kate@example.com")
    new_group(client, "Release", [ivan["id"], kate["id"]])
    asked = say(client, "carol@example.com", "restart billing in prod")
    sent = say(client, "carol@example.com", press=button(asked, "Send for approval"))
    approve = button(sent, "Approve")
    assert "1 more approval(s) needed" in text_of(say(client, "ivan@example.com", press=approve))
    deactivate(client, ivan["id"])
    assert "1 more approval(s) needed" in text_of(say(client, "kate@example.com", press=approve))
    done = say(client, "dave@example.com", press=approve)
    assert "You approved request" in text_of(done)


def test_a_deactivated_requesters_waiting_request_is_cancelled_and_approvers_told(
    client: TestClient,
) -> None:
    mia = new_user(client, "mia@example.com")
    rick = new_user(
        client,
        "rick@example.com",
        schemas=[USER, ENTERPRISE],
        **{ENTERPRISE: {"manager": {"value": mia["id"]}}},
    )
    asked = say(client, "rick@example.com", "close INC0012345")
    sent = say(client, "rick@example.com", press=button(asked, "Send for approval"))
    deactivate(client, rick["id"])
    rt = client.app.state.runtime  # type: ignore[attr-defined]

    async def notes() -> list[str]:
        from chatbot.governance import outbox

        async with rt.store.transaction() as tx:
            return [n.text for n in await outbox.pending(tx, "mia@example.com")]

    told = client.portal.call(notes)
    assert any("was cancelled" in t and "deactivated" in t for t in told), told
    late = text_of(say(client, "mia@example.com", press=button(sent, "Approve")))
    assert "cancelled" in late


def test_the_requesters_manager_approves(client: TestClient) -> None:
    mia = new_user(client, "mia@example.com", displayName="Mia")
    rick = new_user(
        client,
        "rick@example.com",
        schemas=[USER, ENTERPRISE],
        **{ENTERPRISE: {"manager": {"value": mia["id"]}, "department": "Support"}},
    )
    assert rick[ENTERPRISE]["manager"]["value"] == mia["id"]
    asked = say(client, "rick@example.com", "close INC0012345")
    assert "needs approval by your manager mia@example.com" in text_of(asked)
    sent = say(client, "rick@example.com", press=button(asked, "Send for approval"))
    cards = [r for r in sent if r.to == "mia@example.com"]
    assert cards and button(cards, "Approve")
    assert not [r for r in sent if r.to and r.to != "mia@example.com"]
    stranger = say(client, "gina@example.com", press=button(cards, "Approve"))
    assert "guest" not in text_of(stranger).lower()
    done = say(client, "mia@example.com", press=button(cards, "Approve"))
    assert "You approved request" in text_of(done)


def test_no_manager_means_a_clear_denial(client: TestClient) -> None:
    new_user(client, "solo@example.com")
    replies = text_of(say(client, "solo@example.com", "close INC0012345"))
    assert "names no manager" in replies


def test_a_chat_identity_links_once(client: TestClient) -> None:
    """After the first message the Slack user is linked: a changed email in Slack's profile
    (or none at all) still reaches the same person."""
    jane = new_user(client, "jane@example.com")
    first = say(client, "jane@example.com", "whoami", user_id="U0JANE")
    assert "jane@example.com" in text_of(first)
    later = say(client, "", "whoami", user_id="U0JANE")
    assert "You are jane@example.com" in text_of(later)
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    elsewhere = [
        Message("slack", "U0JANE2", "whoami", email="jane@example.com", tenant="T0OTHER"),
        Message("teams", "29:jane", "whoami", email="jane@example.com", tenant="tenant-1"),
    ]
    for message in elsewhere:  # a second workspace, and Teams: the same one person
        assert client.portal.call(rt.assistant.handle, message)
        assert rt.assistant.directory.resolve(message).name == "jane@example.com"

    async def links() -> set[tuple[str, str, str]]:
        from sqlmodel import select

        from chatbot.store.tables import ChatLink

        async with rt.store.transaction() as tx:
            rows = (await tx.exec(select(ChatLink))).all()
        assert {r.person_id for r in rows} == {jane["id"]}
        return {(r.platform, r.tenant, r.user_id) for r in rows}

    assert client.portal.call(links) == {
        ("slack", "T0COMPANY", "U0JANE"),
        ("slack", "T0OTHER", "U0JANE2"),
        ("teams", "tenant-1", "29:jane"),
    }
    deactivate(client, jane["id"])
    assert text_of(say(client, "", "whoami", user_id="U0JANE")) == texts.DEACTIVATED
