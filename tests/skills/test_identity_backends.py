"""vpn.reset, password.reset, account.unlock and access.request on Okta (and the sandbox)."""

from __future__ import annotations

from datetime import timedelta

from chatbot.governance import audit
from chatbot.testing import Chat, confirmed, text_of
from chatbot.types import utcnow
from tests.skills.skill_fakes import SECRETS, Exchange, FakeSystem

OKTA = {"Authorization": "SSWS okta-s3cret-123", "Accept": "application/json"}
ALICE = Exchange("GET", "/api/v1/users/alice@example.com", 200, {"id": "00u1alice"})


async def _no_secret_anywhere(chat: Chat, *replies: str) -> None:
    async with chat.runtime.store.transaction() as tx:
        trail = " ".join([e.detail + e.outcome async for e in audit.entries(tx)])
    for secret in SECRETS.values():
        assert secret not in trail and all(secret not in r for r in replies)


async def test_vpn_reset_clears_okta_sessions(connected) -> None:
    okta = FakeSystem(
        "acme.okta.com",
        [
            ALICE,
            Exchange("DELETE", "/api/v1/users/00u1alice/sessions", 204),
        ],
        headers=OKTA,
    )
    async with connected({"vpn.reset": "okta"}, okta) as chat:
        done = text_of(await confirmed(chat, "alice", "reset my vpn"))
        assert "Ended every VPN session of alice: every Okta session ended" in done
        assert "Sandbox" not in done
        await _no_secret_anywhere(chat, done)


async def test_password_reset_uses_the_lifecycle_with_email(connected) -> None:
    okta = FakeSystem(
        "acme.okta.com",
        [
            Exchange("GET", "/api/v1/users/bob@example.com", 200, {"id": "00u2bob"}),
            Exchange(
                "POST",
                "/api/v1/users/00u2bob/lifecycle/reset_password",
                200,
                {},
                query={"sendEmail": "true"},
            ),
        ],
        headers=OKTA,
    )
    async with connected({"password.reset": "okta"}, okta) as chat:
        done = text_of(await confirmed(chat, "erin", "reset the password of bob"))
        assert "reset link was emailed to bob@example.com" in done


async def test_unlock_failure_names_okta_and_its_reason(connected) -> None:
    okta = FakeSystem(
        "acme.okta.com",
        [
            ALICE,
            Exchange(
                "POST",
                "/api/v1/users/00u1alice/lifecycle/unlock",
                403,
                {
                    "errorCode": "E0000006",
                    "errorSummary": "You do not have permission to perform the requested action",
                },
            ),
        ],
        headers=OKTA,
    )
    async with connected({"account.unlock": "okta"}, okta) as chat:
        done = text_of(await confirmed(chat, "alice", "unlock my account"))
        assert "Okta refused (403): You do not have permission" in done
        assert "chatops connectors check okta" in done


async def test_unlock_is_not_repeated_blindly_after_a_5xx(connected) -> None:
    okta = FakeSystem(
        "acme.okta.com",
        [
            ALICE,
            Exchange("POST", "/api/v1/users/00u1alice/lifecycle/unlock", 503),
        ],
        headers=OKTA,
    )
    # A POST is not repeated blindly after a 5xx: the person is told, nothing runs twice.
    async with connected({"account.unlock": "okta"}, okta) as chat:
        assert "Okta refused (503)" in text_of(await confirmed(chat, "alice", "unlock my account"))


async def test_access_is_granted_after_approval_and_revoked_when_due(connected) -> None:
    grant = "/api/v1/groups/00g-grafana/users/00u1alice"
    okta = FakeSystem(
        "acme.okta.com",
        [
            ALICE,
            Exchange("PUT", grant, 204),
            ALICE,
            Exchange("DELETE", grant, 204),
        ],
        headers=OKTA,
    )
    async with connected({"access.request": "okta"}, okta) as chat:
        asked = await chat.say("alice", "give me access to grafana for 2 hours")
        sent = await chat.click("alice", asked, "Send for approval")
        card = [r for r in sent if r.to == "dave"]
        approved = text_of(await chat.click("dave", card, "Approve"))
        assert "alice has access to grafana until" in approved
        revoker = chat.runtime.revoker
        assert await revoker.sweep(utcnow() + timedelta(hours=1)) == 0
        assert await revoker.sweep(utcnow() + timedelta(hours=2, minutes=1)) == 1
        async with chat.runtime.store.transaction() as tx:
            events = [e.event async for e in audit.entries(tx)]
        assert "access.revoked" in events


async def test_sandbox_access_is_revoked_too(chat: Chat) -> None:
    asked = await chat.say("alice", "give me access to grafana for 2 hours")
    sent = await chat.click("alice", asked, "Send for approval")
    await chat.click("dave", [r for r in sent if r.to == "dave"], "Approve")
    kv = chat.runtime.store
    assert await chat.runtime.revoker.sweep(utcnow() + timedelta(hours=3)) == 1
    from skills.kv import StoreKeyValue

    assert await StoreKeyValue(kv, "access").get("members:grafana") == []


async def test_sandbox_self_service(chat: Chat) -> None:
    assert "reset link was sent to alice" in text_of(
        await confirmed(chat, "alice", "i forgot my password")
    )
    assert "unlocked" in text_of(await confirmed(chat, "alice", "unlock my account"))
    assert "was not locked" in text_of(await confirmed(chat, "alice", "unlock my account"))


async def test_a_failed_revoke_is_audited_and_tried_again_after_the_lease(connected) -> None:
    grant = "/api/v1/groups/00g-grafana/users/00u1alice"
    okta = FakeSystem(
        "acme.okta.com",
        [
            ALICE,
            Exchange("PUT", grant, 204),
            ALICE,
            *[Exchange("DELETE", grant, 500, {"errorSummary": "Internal"})] * 3,
            ALICE,
            Exchange("DELETE", grant, 204),
        ],
        headers=OKTA,
    )
    async with connected({"access.request": "okta"}, okta) as chat:
        asked = await chat.say("alice", "give me access to grafana for 2 hours")
        sent = await chat.click("alice", asked, "Send for approval")
        await chat.click("dave", [r for r in sent if r.to == "dave"], "Approve")
        later = utcnow() + timedelta(hours=3)
        assert await chat.runtime.revoker.sweep(later) == 0
        assert await chat.runtime.revoker.sweep(later) == 0  # leased: not tried twice at once
        assert await chat.runtime.revoker.sweep(later + timedelta(minutes=11)) == 1
        async with chat.runtime.store.transaction() as tx:
            events = [e.event async for e in audit.entries(tx)]
        assert events.count("access.revoke_failed") == 1 and "access.revoked" in events


async def test_keycloak_logs_out_resets_and_grants(connected) -> None:
    token = Exchange(
        "POST",
        "/realms/acme/protocol/openid-connect/token",
        200,
        {"access_token": "kc-access-token-1", "token_type": "Bearer"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        check=lambda r: (
            _form(r)
            == {
                "grant_type": "client_credentials",
                "client_id": "chatops",
                "client_secret": "kc-s3cret&x=1",
            }
        ),
    )
    bearer = {"Authorization": "Bearer kc-access-token-1"}
    users = Exchange(
        "GET",
        "/admin/realms/acme/users",
        200,
        [{"id": "u-1"}],
        headers=bearer,
        query={"email": "alice@example.com", "exact": "true"},
    )
    kc = FakeSystem(
        "sso.example.com",
        [
            token,
            users,
            Exchange("POST", "/admin/realms/acme/users/u-1/logout", 204, headers=bearer),
            token,
            users,
            Exchange(
                "PUT",
                "/admin/realms/acme/users/u-1/execute-actions-email",
                204,
                body=["UPDATE_PASSWORD"],
                headers=bearer,
            ),
            token,
            users,
            Exchange("DELETE", "/admin/realms/acme/attack-detection/brute-force/users/u-1", 204),
        ],
        headers={"Accept": "application/json"},
    )
    backends = {"vpn.reset": "keycloak", "password.reset": "keycloak", "account.unlock": "keycloak"}
    async with connected(backends, kc) as chat:
        assert "every Keycloak session ended" in text_of(
            await confirmed(chat, "alice", "reset my vpn")
        )
        assert "set a new password was emailed" in text_of(
            await confirmed(chat, "alice", "reset my password")
        )
        assert "unlocked" in text_of(await confirmed(chat, "alice", "unlock my account"))
        await _no_secret_anywhere(chat)


def _form(request) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(request.content.decode()))


async def test_keycloak_group_membership_for_temporary_access(connected) -> None:
    token = Exchange(
        "POST",
        "/realms/acme/protocol/openid-connect/token",
        200,
        {"access_token": "kc-access-token-2"},
    )
    bearer = {"Authorization": "Bearer kc-access-token-2"}
    users = Exchange("GET", "/admin/realms/acme/users", 200, [{"id": "u-1"}], headers=bearer)
    member = "/admin/realms/acme/users/u-1/groups/g-jenkins"
    kc = FakeSystem(
        "sso.example.com",
        [
            token,
            users,
            Exchange("PUT", member, 204, headers=bearer),
            token,
            users,
            Exchange("DELETE", member, 204, headers=bearer),
        ],
    )
    async with connected({"access.request": "keycloak"}, kc) as chat:
        asked = await chat.say("alice", "give me access to jenkins for 30 minutes")
        sent = await chat.click("alice", asked, "Send for approval")
        card = [r for r in sent if r.to == "carol"]  # jenkins belongs to the release managers
        assert "added to the Keycloak group for jenkins" in text_of(
            await chat.click("carol", card, "Approve")
        )
        assert await chat.runtime.revoker.sweep(utcnow() + timedelta(minutes=31)) == 1
