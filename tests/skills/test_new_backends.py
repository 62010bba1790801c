"""Argo CD (deploy, rollback) and Microsoft Entra ID (vpn.reset, password.reset, unlock,
temporary access) end to end through the chat, against fakes held to their documents."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import httpx

from chatbot.testing import confirmed, text_of
from chatbot.types import utcnow
from tests.skills.skill_fakes import Exchange, FakeSystem

APP = "/api/v1/applications/payments-api-staging"
ARGO = {"Authorization": "Bearer argo-s3cret"}


def _app(
    phase: str, health: str, history: list[tuple[int, str]], asked: str = ""
) -> dict[str, object]:
    operation = {"sync": {"revision": asked}} if asked else {}
    return {
        "metadata": {"name": "payments-api-staging"},
        "status": {
            "sync": {"status": "Synced"},
            "health": {"status": health},
            "operationState": {
                "phase": phase,
                "message": "successfully synced",
                **({"operation": operation} if operation else {}),
            },
            "history": [{"id": i, "revision": r} for i, r in history],
        },
    }


def _sync(revision: str) -> Exchange:
    def check(request: httpx.Request) -> None:
        assert request.read() and b'"revision":"%s"' % revision.encode() in request.content.replace(
            b" ", b""
        )

    return Exchange("POST", f"{APP}/sync", 200, _app("Running", "Progressing", []), check=check)


async def test_deploy_and_rollback_on_argo_cd(connected) -> None:
    history = [(1, "2.3.0"), (2, "2.3.1")]
    argo = FakeSystem(
        "argocd.example.com",
        [
            Exchange("GET", APP, 200, _app("Succeeded", "Healthy", [])),
            _sync("2.3.0"),
            Exchange("GET", APP, 200, _app("Succeeded", "Healthy", [(1, "2.3.0")])),
            Exchange("GET", APP, 200, _app("Succeeded", "Healthy", [(1, "2.3.0")])),
            _sync("2.3.1"),
            # the previous operation (2.3.0) still shows Succeeded: not ours, keep waiting
            Exchange("GET", APP, 200, _app("Succeeded", "Healthy", [(1, "2.3.0")], "2.3.0")),
            Exchange("GET", APP, 200, _app("Running", "Progressing", [(1, "2.3.0")], "2.3.1")),
            Exchange("GET", APP, 200, _app("Succeeded", "Healthy", history)),
            Exchange("GET", APP, 200, _app("Succeeded", "Healthy", history)),
            _sync("2.3.0"),
            Exchange("GET", APP, 200, _app("Succeeded", "Healthy", [*history, (3, "2.3.0")])),
        ],
        headers=ARGO,
    )
    backends = {"deploy": "argocd", "deploy.rollback": "argocd"}
    async with connected(backends, argo) as chat:
        await confirmed(chat, "bob", "deploy payments-api 2.3.0 to staging")
        done = text_of(await confirmed(chat, "bob", "deploy payments-api 2.3.1 to staging"))
        assert (
            "Deployed payments-api to 2.3.1 in staging: https://argocd.example.com/applications/payments-api-staging"
            in done
        )
        back = text_of(await confirmed(chat, "bob", "roll back payments-api on staging"))
        assert "Rolled back payments-api to 2.3.0 in staging" in back
    argo.done()


async def test_failed_argo_cd_sync_says_so(connected) -> None:
    failed = _app("Failed", "Degraded", [(1, "2.3.0")])
    failed["status"]["operationState"]["message"] = "one or more objects failed to apply"  # type: ignore[index]
    argo = FakeSystem(
        "argocd.example.com",
        [
            Exchange("GET", APP, 200, _app("Succeeded", "Healthy", [])),
            _sync("9.9.9"),
            Exchange("GET", APP, 200, failed),
        ],
        headers=ARGO,
    )
    async with connected({"deploy": "argocd"}, argo) as chat:
        done = text_of(await confirmed(chat, "bob", "deploy payments-api 9.9.9 to staging"))
        assert "Argo CD sync of payments-api-staging failed: one or more objects failed" in done


TOKEN = Exchange(
    "POST",
    "/contoso.onmicrosoft.com/oauth2/v2.0/token",
    200,
    {"token_type": "Bearer", "expires_in": 3599, "access_token": "graph-at"},
)
BEARER = {"Authorization": "Bearer graph-at"}
USER = {"id": "u-alice", "userPrincipalName": "alice@example.com", "accountEnabled": True}


def _login(actions: int) -> FakeSystem:
    """One token per action (the connector is built per action)."""

    def secret(request: httpx.Request) -> None:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        assert form["scope"] == "https://graph.microsoft.com/.default"
        assert form["client_secret"] == "entra-s3cret"

    return FakeSystem(
        "login.microsoftonline.com",
        [Exchange(**{**TOKEN.__dict__, "check": secret}) for _ in range(actions)],
    )


async def test_entra_id_revokes_sessions_and_explains_unlock(connected) -> None:
    graph = FakeSystem(
        "graph.microsoft.com",
        [
            Exchange("GET", "/v1.0/users/alice@example.com", 200, USER, headers=BEARER),
            Exchange(
                "POST",
                "/v1.0/users/u-alice/revokeSignInSessions",
                200,
                {"@odata.context": "x", "value": True},
                headers=BEARER,
            ),
            Exchange(
                "GET",
                "/v1.0/users/alice@example.com",
                200,
                {**USER, "accountEnabled": False},
                headers=BEARER,
            ),
            Exchange("GET", "/v1.0/users/alice@example.com", 200, USER, headers=BEARER),
        ],
    )
    backends = {"vpn.reset": "entra", "account.unlock": "entra", "password.reset": "entra"}
    async with connected(backends, _login(3), graph) as chat:
        done = text_of(await confirmed(chat, "alice", "reset my vpn"))
        assert "every Entra ID sign-in session was revoked" in done
        locked = text_of(await confirmed(chat, "alice", "unlock my account"))
        assert "disabled by an administrator" in locked and "helpdesk" in locked
        reset = text_of(await confirmed(chat, "alice", "reset my password"))
        assert "https://passwordreset.microsoftonline.com/" in reset
    graph.done()


async def test_entra_id_group_membership_for_temporary_access(connected) -> None:
    def ref(request: httpx.Request) -> None:
        body = request.read().decode()
        assert "https://graph.microsoft.com/v1.0/directoryObjects/u-alice" in body

    graph = FakeSystem(
        "graph.microsoft.com",
        [
            Exchange("GET", "/v1.0/users/alice@example.com", 200, USER, headers=BEARER),
            Exchange("POST", "/v1.0/groups/g-grafana-1/members/$ref", 204, check=ref),
            Exchange("GET", "/v1.0/users/alice@example.com", 200, USER, headers=BEARER),
            Exchange("DELETE", "/v1.0/groups/g-grafana-1/members/u-alice/$ref", 204),
        ],
    )
    async with connected({"access.request": "entra"}, _login(2), graph) as chat:
        asked = await chat.say("alice", "give me access to grafana for 2 hours")
        sent = await chat.click("alice", asked, "Send for approval")
        card = [r for r in sent if r.to == "dave"]
        approved = text_of(await chat.click("dave", card, "Approve"))
        assert "added to the Entra ID group for grafana" in approved
        assert await chat.runtime.revoker.sweep(utcnow() + timedelta(hours=2, minutes=1)) == 1
    graph.done()


async def test_entra_certificate_credential_is_a_signed_assertion(monkeypatch) -> None:
    import datetime

    import jwt
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from tests.skills import skill_fakes
    from tests.skills.skill_fakes import built

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chatops")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pem_cert = cert.public_bytes(serialization.Encoding.PEM).decode()
    secrets = {k: v for k, v in skill_fakes.SECRETS.items() if "ENTRA" not in k}
    secrets |= {
        "CHATOPS_SECRET__ENTRA__PRIVATE_KEY": pem_key,
        "CHATOPS_SECRET__ENTRA__CERTIFICATE": pem_cert,
    }
    monkeypatch.setattr(skill_fakes, "SECRETS", secrets)
    url = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"

    def signed(request: httpx.Request) -> None:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        assert "client_secret" not in form
        claims = jwt.decode(
            form["client_assertion"], key.public_key(), algorithms=["RS256"], audience=url
        )
        assert claims["iss"] == claims["sub"] == "11111111-2222-3333-4444-555555555555"
        assert jwt.get_unverified_header(form["client_assertion"])["x5t"]

    login = FakeSystem(
        "login.microsoftonline.com", [Exchange(**{**TOKEN.__dict__, "check": signed})]
    )
    graph = FakeSystem(
        "graph.microsoft.com",
        [
            Exchange(
                "GET",
                "/v1.0/organization",
                200,
                {"value": [{"id": "t", "displayName": "Contoso"}]},
                headers=BEARER,
            ),
        ],
    )
    assert "tenant Contoso works" in await built("entra", login, graph).check()
