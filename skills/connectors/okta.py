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
from skills.connectors.pulled import Pulled, PulledGroup, PulledUser
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

    # -- the directory, read for the pull sync (chatbot/directory/pull.py) ------------------

    async def _pages(self, path: str) -> list[dict[str, Any]]:
        """Every item of a paged Okta list: `limit=200`, then the `Link: <...>; rel="next"`
        URL the answer gives, until there is none."""
        found: list[dict[str, Any]] = []
        url: str | None = path
        params: dict[str, str] | None = {"limit": "200"}
        while url:
            response = await self.request("GET", url, params=params)
            found += list(response.json())
            url, params = response.links.get("next", {}).get("url"), None
        return found

    def _pulled_user(self, user: dict[str, Any]) -> PulledUser:
        profile = user.get("profile") or {}
        login = str(profile.get("login") or "")
        shown = profile.get("displayName") or " ".join(
            str(p) for p in (profile.get("firstName"), profile.get("lastName")) if p
        )
        manager = str(profile.get("managerId") or "")
        return PulledUser(
            key=f"okta:{user['id']}",
            user_name=login,
            email=str(profile.get("email") or login),
            display_name=str(shown or login),
            # STAGED and PROVISIONED people have not started; SUSPENDED, LOCKED_OUT only
            # pause (a locked out person keeps their access here); DEPROVISIONED has left.
            active=user.get("status") not in ("DEPROVISIONED", "SUSPENDED"),
            manager_key=f"okta:{manager}" if manager else "",
            tz=str(profile.get("timezone") or ""),
            department=str(profile.get("department") or ""),
        )

    async def pull(self) -> Pulled:
        """People, groups and group members (GET /api/v1/users, /api/v1/groups,
        /api/v1/groups/{id}/users)."""
        users = [self._pulled_user(u) for u in await self._pages("/api/v1/users")]
        groups = []
        for group in await self._pages("/api/v1/groups"):
            gid = quote(str(group["id"]), safe="")
            members = await self._pages(f"/api/v1/groups/{gid}/users")
            name = str((group.get("profile") or {}).get("name") or group["id"])
            groups.append(
                PulledGroup(f"okta:{group['id']}", name, tuple(f"okta:{m['id']}" for m in members))
            )
        return Pulled(tuple(users), tuple(groups))

    async def check(self) -> str:
        me = await self.json("GET", "/api/v1/users/me")
        login = (me.get("profile") or {}).get("login", "?")
        return f"the API token works; it belongs to {login} ({me.get('status', '?')})"
