"""Okta: sessions, password reset, unlock, and group membership for temporary access.

DELETE /api/v1/users/{id}/sessions, POST /api/v1/users/{id}/lifecycle/reset_password
?sendEmail=true, POST /api/v1/users/{id}/lifecycle/unlock, PUT and DELETE
/api/v1/groups/{groupId}/users/{userId}. Authorization: `SSWS {token}`.

Users are fetched by login, GET /api/v1/users/{login}; an Okta login is often not the email
(`alice`, `alice@corp.example.com`), so `login` is a template over the person's name, email
and the email's local part. Okta's rate limits are per minute: a 429 carries
`X-Rate-Limit-Reset` (epoch seconds), which the base waits for before the one retry.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import Field

from skills.api import SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.ports import IdentityProvider


class OktaSettings(ConnectorSettings):
    groups: dict[str, str] = Field(default_factory=dict)  # access resource -> group id
    email_domain: str = "example.com"
    login: str = "{email}"  # or "{name}", "{local}@corp.example.com"


class Okta(Connector):
    title = "Okta"
    settings_model = OktaSettings
    ports = (IdentityProvider,)
    settings: OktaSettings

    @classmethod
    def headers(cls, settings: OktaSettings, secrets: Any) -> dict[str, str]:
        return {
            "Authorization": f"SSWS {secrets.require('okta', 'token')}",
            "Accept": "application/json",
        }

    def email(self, person: str) -> str:
        return person if "@" in person else f"{person}@{self.settings.email_domain}"

    def login(self, person: str) -> str:
        """The Okta login of a person named in chat (a name or an email), by the template."""
        email = self.email(person)
        local = email.partition("@")[0]
        name = local if "@" in person else person
        return self.settings.login.format(name=name, email=email, local=local)

    async def _user_id(self, person: str) -> str:
        user = await self.json("GET", f"/api/v1/users/{quote(self.login(person), safe='@')}")
        return quote(str(user["id"]), safe="")

    async def end_sessions(self, login: str) -> str:
        uid = await self._user_id(login)
        await self.request("DELETE", f"/api/v1/users/{uid}/sessions")
        return "every Okta session ended"

    async def reset_password(self, login: str) -> str:
        uid = await self._user_id(login)
        await self.request(
            "POST", f"/api/v1/users/{uid}/lifecycle/reset_password", params={"sendEmail": "true"}
        )
        return f"a one-time reset link was emailed to {self.email(login)}"

    async def unlock(self, login: str) -> str:
        uid = await self._user_id(login)
        await self.request("POST", f"/api/v1/users/{uid}/lifecycle/unlock")
        return "the account is unlocked"

    def _group(self, resource: str) -> str:
        group = self.settings.groups.get(resource)
        if not group:
            raise SkillError(f"Okta has no group configured for {resource}; ask an admin.")
        return quote(group, safe="")

    async def add_to_group(self, login: str, resource: str) -> str:
        uid, group = await self._user_id(login), self._group(resource)
        await self.request("PUT", f"/api/v1/groups/{group}/users/{uid}")
        return f"added to the Okta group for {resource}"

    async def remove_from_group(self, login: str, resource: str) -> str:
        uid, group = await self._user_id(login), self._group(resource)
        await self.request("DELETE", f"/api/v1/groups/{group}/users/{uid}")
        return f"removed from the Okta group for {resource}"

    async def check(self) -> str:
        me = await self.json("GET", "/api/v1/users/me")
        login = (me.get("profile") or {}).get("login", "?")
        return f"the API token works; it belongs to {login} ({me.get('status', '?')})"
