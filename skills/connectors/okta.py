"""Okta: sessions, password reset, unlock, and group membership for temporary access.

DELETE /api/v1/users/{id}/sessions, POST /api/v1/users/{id}/lifecycle/reset_password
?sendEmail=true, POST /api/v1/users/{id}/lifecycle/unlock, PUT and DELETE
/api/v1/groups/{groupId}/users/{userId}. Users are looked up by login (the email):
GET /api/v1/users/{login}. Authorization: `SSWS {token}`.
"""

from __future__ import annotations

from urllib.parse import quote

from pydantic import Field

from skills.api import SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings


class OktaSettings(ConnectorSettings):
    groups: dict[str, str] = Field(default_factory=dict)  # access resource -> group id
    email_domain: str = "example.com"


class Okta(Connector):
    settings: OktaSettings

    def login(self, person: str) -> str:
        return person if "@" in person else f"{person}@{self.settings.email_domain}"

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
        return f"a one-time reset link was emailed to {self.login(login)}"

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
