"""Microsoft Entra ID through Microsoft Graph v1.0, for companies on Teams rather than Okta.

App-only auth (client credentials, https://learn.microsoft.com/entra/identity-platform/
v2-oauth2-client-creds-grant-flow): POST https://login.microsoftonline.com/{tenant}/oauth2/
v2.0/token with a client secret, or a certificate (a JWT client assertion signed with its key,
`x5t` its SHA-1 thumbprint), scope `https://graph.microsoft.com/.default`; once per action.

    vpn.reset       POST /users/{id}/revokeSignInSessions            (user-revokesigninsessions)
    password.reset  policy "link": the tenant's self-service reset link, nothing changed here;
                    policy "force_change": PATCH /users/{id} passwordProfile
                    forceChangePasswordNextSignIn (user-update)
    account.unlock  Entra smart lockout lifts by itself; a disabled account is not re-enabled
                    from chat (an admin disabled it), the person is told whom to ask
    access.*        POST /groups/{id}/members/$ref, DELETE /groups/{id}/members/{user}/$ref
                    (group-post-members, group-delete-members)
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any, Literal
from urllib.parse import quote, urlencode

from pydantic import Field

from chatbot.errors import ConfigError
from skills.api import SkillError
from skills.connectors.base import Connector, Endpoint
from skills.connectors.config import ConnectorSettings
from skills.connectors.errors import ConnectorError
from skills.connectors.pulled import Pulled, PulledGroup, PulledUser
from skills.ports import IdentityProvider

GRAPH = "/v1.0"  # relative to base_url, https://graph.microsoft.com
SCOPE = "https://graph.microsoft.com/.default"
ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class EntraSettings(ConnectorSettings):
    base_url: str = "https://graph.microsoft.com"
    login_url: str = "https://login.microsoftonline.com"
    tenant: str  # the directory (tenant) id or a verified domain
    client_id: str
    groups: dict[str, str] = Field(default_factory=dict)  # access resource -> group object id
    email_domain: str = "example.com"
    password_reset: Literal["link", "force_change"] = "link"
    reset_link: str = "https://passwordreset.microsoftonline.com/"


def assertion(client_id: str, token_url: str, key_pem: str, cert_pem: str) -> str:
    """A certificate credential: a JWT signed with the certificate's key (RFC 7523)."""
    import jwt  # PyJWT and cryptography: loaded when a certificate is used, not at start
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    x5t = base64.urlsafe_b64encode(cert.fingerprint(hashes_sha1())).decode().rstrip("=")
    now = int(time.time())
    claims = {
        "aud": token_url,
        "iss": client_id,
        "sub": client_id,
        "jti": str(uuid.uuid4()),
        "nbf": now,
        "exp": now + 600,
    }
    return jwt.encode(claims, key_pem, algorithm="RS256", headers={"x5t": x5t})


def hashes_sha1() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA1()


class EntraID(Connector):
    title = "Microsoft Entra ID"
    settings_model = EntraSettings
    ports = (IdentityProvider,)
    settings: EntraSettings
    _token: str = ""

    @classmethod
    def credentials(cls, settings: EntraSettings, secrets: Any) -> dict[str, str]:
        scope = secrets.scope("entra")
        if scope.get("client_secret"):
            return {"client_secret": scope["client_secret"]}
        if scope.get("private_key") and scope.get("certificate"):
            return {"private_key": scope["private_key"], "certificate": scope["certificate"]}
        raise ConfigError(
            "secrets",
            "entra.client_secret",
            "missing; set CHATOPS_SECRET__ENTRA__CLIENT_SECRET, or entra.private_key and "
            "entra.certificate (PEM) for a certificate credential",
        )

    async def _auth(self) -> dict[str, str]:
        if not self._token:
            # The token endpoint is another host: its own endpoint, so each request stays on
            # the base URL it was configured with.
            login = Connector(
                self.http,
                Endpoint("Microsoft identity platform", self.settings.login_url, name="entra"),
                self.retry,
                self._sleep,
            )
            path = f"/{quote(self.settings.tenant, safe='')}/oauth2/v2.0/token"
            url = login.url(path)
            form = {
                "client_id": self.settings.client_id,
                "scope": SCOPE,
                "grant_type": "client_credentials",
            }
            creds = self.endpoint.credentials
            if creds.get("client_secret"):
                form["client_secret"] = creds["client_secret"]
            else:
                form["client_assertion_type"] = ASSERTION
                form["client_assertion"] = assertion(
                    self.settings.client_id, url, creds["private_key"], creds["certificate"]
                )
            answer = await login.json(
                "POST",
                path,
                content=urlencode(form).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                idempotent=True,
            )
            self._token = str(answer.get("access_token", ""))
            if not self._token:
                raise SkillError("Microsoft Entra ID gave no access token for the chatops app.")
        return {"Authorization": f"Bearer {self._token}"}

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        return await self.json(method, f"{GRAPH}{path}", headers=await self._auth(), **kw)

    def upn(self, person: str) -> str:
        return person if "@" in person else f"{person}@{self.settings.email_domain}"

    async def _user(self, person: str) -> dict[str, Any]:
        upn = self.upn(person)
        response = await self.request(
            "GET",
            f"{GRAPH}/users/{quote(upn, safe='@')}",
            params={"$select": "id,userPrincipalName,accountEnabled"},
            headers=await self._auth(),
            accept=(404,),
        )
        if response.status_code == 404:
            raise SkillError(f"Microsoft Entra ID has no user {upn}.")
        return dict(response.json())

    async def end_sessions(self, login: str) -> str:
        user = await self._user(login)
        await self._call("POST", f"/users/{quote(user['id'], safe='')}/revokeSignInSessions")
        return "every Entra ID sign-in session was revoked (VPN and apps ask to sign in again)"

    async def reset_password(self, login: str) -> str:
        user = await self._user(login)
        if self.settings.password_reset == "link":
            return f"reset it yourself at {self.settings.reset_link} (your company's policy)"
        await self._call(
            "PATCH",
            f"/users/{quote(user['id'], safe='')}",
            json_body={"passwordProfile": {"forceChangePasswordNextSignIn": True}},
        )
        return "a new password is required at the next sign-in"

    async def unlock(self, login: str) -> str:
        user = await self._user(login)
        if user.get("accountEnabled") is False:
            raise SkillError(
                "Microsoft Entra ID: the account is disabled by an administrator, not locked; "
                "ask the helpdesk to enable it."
            )
        return "Entra ID lifts a sign-in lockout by itself within minutes; try again shortly"

    def _group(self, resource: str) -> str:
        group = self.settings.groups.get(resource)
        if not group:
            raise SkillError(f"Entra ID has no group configured for {resource}; ask an admin.")
        return quote(group, safe="")

    async def add_to_group(self, login: str, resource: str) -> str:
        user, group = await self._user(login), self._group(resource)
        ref = {"@odata.id": self.url(f"{GRAPH}/directoryObjects/{user['id']}")}
        try:
            await self._call("POST", f"/groups/{group}/members/$ref", json_body=ref)
        except ConnectorError as refused:
            if refused.status != 400 or "already exist" not in refused.detail:
                raise
            return f"already in the Entra ID group for {resource}"
        return f"added to the Entra ID group for {resource}"

    async def remove_from_group(self, login: str, resource: str) -> str:
        user, group = await self._user(login), self._group(resource)
        response = await self.request(
            "DELETE",
            f"{GRAPH}/groups/{group}/members/{quote(user['id'], safe='')}/$ref",
            headers=await self._auth(),
            accept=(404,),
        )
        if response.status_code == 404:
            return f"was not in the Entra ID group for {resource}"
        return f"removed from the Entra ID group for {resource}"

    # -- the directory, read for the pull sync (chatbot/directory/pull.py) ------------------

    async def _pages(self, path: str, select: str, **extra: str) -> list[dict[str, Any]]:
        """Every item of a Graph collection: `$top=999`, then `@odata.nextLink` until none
        (https://learn.microsoft.com/graph/paging)."""
        found: list[dict[str, Any]] = []
        page = await self._call("GET", path, params={"$select": select, "$top": "999", **extra})
        while True:
            found += list(page.get("value") or [])
            following = page.get("@odata.nextLink")
            if not following:
                return found
            page = await self.json("GET", str(following), headers=await self._auth())

    async def pull(self) -> Pulled:
        """People with their manager (GET /users?$expand=manager), groups and their user
        members (GET /groups, /groups/{id}/members/microsoft.graph.user). Time zones live in
        each mailbox's settings, which needs another permission: not read here."""
        fields = "id,userPrincipalName,mail,displayName,accountEnabled,department"
        people = await self._pages("/users", fields, **{"$expand": "manager($select=id)"})
        users = tuple(
            PulledUser(
                key=f"entra:{u['id']}",
                user_name=str(u.get("userPrincipalName") or u.get("mail") or u["id"]),
                email=str(u.get("mail") or u.get("userPrincipalName") or ""),
                display_name=str(u.get("displayName") or u.get("userPrincipalName") or ""),
                active=u.get("accountEnabled") is not False,
                manager_key=f"entra:{(u.get('manager') or {})['id']}"
                if (u.get("manager") or {}).get("id")
                else "",
                department=str(u.get("department") or ""),
            )
            for u in people
        )
        groups = []
        for group in await self._pages("/groups", "id,displayName"):
            gid = quote(str(group["id"]), safe="")
            members = await self._pages(f"/groups/{gid}/members/microsoft.graph.user", "id")
            groups.append(
                PulledGroup(
                    f"entra:{group['id']}",
                    str(group.get("displayName") or group["id"]),
                    tuple(f"entra:{m['id']}" for m in members),
                )
            )
        return Pulled(users, tuple(groups))

    async def check(self) -> str:
        found = await self._call("GET", "/organization", params={"$select": "displayName,id"})
        orgs = found.get("value") or [{}]
        return f"app-only access to tenant {orgs[0].get('displayName', '?')} works"
