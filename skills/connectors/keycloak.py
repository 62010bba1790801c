"""Keycloak Admin REST API: the same identity port as Okta, for teams that run Keycloak.

Token: POST /realms/{realm}/protocol/openid-connect/token (client credentials), once per
action. Users by email: GET /admin/realms/{realm}/users?email=..&exact=true. Sessions:
POST .../users/{id}/logout. Password: PUT .../users/{id}/execute-actions-email
["UPDATE_PASSWORD"]. Unlock: DELETE .../attack-detection/brute-force/users/{id}. Groups:
PUT and DELETE .../users/{id}/groups/{groupId}. Errors carry `errorMessage`.

Unlock: with permanent lockout, Keycloak disables the user and records why in the attribute
`disabledReason = permanentLockout`; clearing the brute-force record does not re-enable it, so
such a user is also re-enabled (PUT .../users/{id} {"enabled": true}). A user an admin
disabled (no such reason) is left alone and the person is told to ask the helpdesk.

Pull sync (`[identity.sync] source = "keycloak"`, chatbot/directory/pull.py): the realm's users
(GET .../users?briefRepresentation=false, so `enabled`, `email` and `attributes` come back),
groups (GET .../groups, and GET .../groups/{id}/children where a group has sub-groups that
the list did not include, as Keycloak 23+ answers without `search`) and each group's members
(GET .../groups/{id}/members), every list paged with `first`/`max` until a short page. A
sub-group is named by its path without the leading slash ("Engineering/Backend"), so
`[identity.group_roles]` can tell two sub-groups of the same name apart; a top-level group's
path is its name. The manager comes from the user attribute `manager` (an email of another
user of the realm), the department from `department`, the time zone from `timezone` or `tz`.
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

LOCKED_OUT = "permanentLockout"


class KeycloakSettings(ConnectorSettings):
    realm: str
    client_id: str = "chatops"
    groups: dict[str, str] = Field(default_factory=dict)  # access resource -> group id
    email_domain: str = "example.com"
    page_size: int = Field(default=100, ge=1, le=1000)  # `max` of each list request (pull sync)


class Keycloak(Connector):
    """The client secret is a credential of the endpoint, sent only to the token URL."""

    title = "Keycloak"
    settings_model = KeycloakSettings
    ports = (IdentityProvider,)
    settings: KeycloakSettings
    _token: str = ""

    @classmethod
    def headers(cls, settings: KeycloakSettings, secrets: Any) -> dict[str, str]:
        return {"Accept": "application/json"}

    @classmethod
    def credentials(cls, settings: KeycloakSettings, secrets: Any) -> dict[str, str]:
        return {"client_secret": secrets.require("keycloak", "client_secret")}

    def _realm(self) -> str:
        return f"/admin/realms/{quote(self.settings.realm, safe='')}"

    async def _auth(self) -> dict[str, str]:
        if not self._token:
            answer = await self.json(
                "POST",
                f"/realms/{quote(self.settings.realm, safe='')}/protocol/openid-connect/token",
                content=(
                    f"grant_type=client_credentials&client_id={quote(self.settings.client_id)}"
                    f"&client_secret={quote(self.endpoint.credentials['client_secret'])}"
                ).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                idempotent=True,
            )
            self._token = str(answer.get("access_token", ""))
            if not self._token:
                raise SkillError("Keycloak gave no access token for the chatops client.")
        return {"Authorization": f"Bearer {self._token}"}

    async def _call(self, method: str, path: str, **kw: object) -> object:
        return await self.json(method, path, headers=await self._auth(), **kw)

    async def _user(self, person: str) -> dict[str, Any]:
        email = person if "@" in person else f"{person}@{self.settings.email_domain}"
        found = await self._call(
            "GET", f"{self._realm()}/users", params={"email": email, "exact": "true"}
        )
        if not isinstance(found, list) or not found:
            raise SkillError(f"Keycloak has no user with the email {email}.")
        return dict(found[0])

    async def _user_id(self, person: str) -> str:
        return quote(str((await self._user(person))["id"]), safe="")

    def _group(self, resource: str) -> str:
        group = self.settings.groups.get(resource)
        if not group:
            raise SkillError(f"Keycloak has no group configured for {resource}; ask an admin.")
        return quote(group, safe="")

    async def end_sessions(self, login: str) -> str:
        await self._call("POST", f"{self._realm()}/users/{await self._user_id(login)}/logout")
        return "every Keycloak session ended"

    async def reset_password(self, login: str) -> str:
        uid = await self._user_id(login)
        await self._call(
            "PUT",
            f"{self._realm()}/users/{uid}/execute-actions-email",
            json_body=["UPDATE_PASSWORD"],
        )
        return "a link to set a new password was emailed"

    async def unlock(self, login: str) -> str:
        user = await self._user(login)
        uid = quote(str(user["id"]), safe="")
        reason = (user.get("attributes") or {}).get("disabledReason") or []
        if user.get("enabled") is False and LOCKED_OUT not in reason:
            raise SkillError(
                "Keycloak: the account is disabled by an administrator, not locked by failed "
                "logins; ask the helpdesk to enable it."
            )
        await self._call("DELETE", f"{self._realm()}/attack-detection/brute-force/users/{uid}")
        if user.get("enabled") is False:
            attributes = {k: v for k, v in (user.get("attributes") or {}).items()}
            attributes.pop("disabledReason", None)
            await self._call(
                "PUT",
                f"{self._realm()}/users/{uid}",
                json_body={"enabled": True, "attributes": attributes},
            )
            return "the account was locked out for good after failed logins; it is enabled again"
        return "the account is unlocked"

    async def add_to_group(self, login: str, resource: str) -> str:
        uid, group = await self._user_id(login), self._group(resource)
        await self._call("PUT", f"{self._realm()}/users/{uid}/groups/{group}")
        return f"added to the Keycloak group for {resource}"

    async def remove_from_group(self, login: str, resource: str) -> str:
        uid, group = await self._user_id(login), self._group(resource)
        await self._call("DELETE", f"{self._realm()}/users/{uid}/groups/{group}")
        return f"removed from the Keycloak group for {resource}"

    # -- the directory, read for the pull sync (chatbot/directory/pull.py) ------------------

    async def _pages(self, path: str, **params: str) -> list[dict[str, Any]]:
        """Every item of a Keycloak list: `first`/`max` until a page shorter than `max`."""
        found: list[dict[str, Any]] = []
        size = self.settings.page_size
        while True:
            query = params | {"first": str(len(found)), "max": str(size)}
            page = await self._call("GET", f"{self._realm()}{path}", params=query)
            if not isinstance(page, list):
                raise SkillError(f"Keycloak answered {path} with no list.")
            found += [dict(item) for item in page]
            if len(page) < size:
                return found

    async def _groups_under(self, group: dict[str, Any], parent: str) -> list[tuple[str, str]]:
        """(id, path) of a group and every group below it, however the server nested them."""
        path = str(group.get("path") or f"{parent}/{group.get('name') or group['id']}")
        found = [(str(group["id"]), path.lstrip("/"))]
        children = list(group.get("subGroups") or [])
        if not children and int(group.get("subGroupCount") or 0) > 0:
            gid = quote(str(group["id"]), safe="")
            children = await self._pages(f"/groups/{gid}/children")
        for child in children:
            found += await self._groups_under(child, path)
        return found

    async def pull(self) -> Pulled:
        """People, groups (sub-groups flattened by path) and group members, read only."""
        users = await self._pages("/users", briefRepresentation="false")
        by_email = {str(u.get("email") or "").lower(): f"keycloak:{u['id']}" for u in users}
        by_email.pop("", None)
        groups: list[PulledGroup] = []
        for top in await self._pages("/groups"):
            for gid, path in await self._groups_under(top, ""):
                members = await self._pages(
                    f"/groups/{quote(gid, safe='')}/members", briefRepresentation="true"
                )
                keys = tuple(f"keycloak:{m['id']}" for m in members)
                groups.append(PulledGroup(f"keycloak:{gid}", path, keys))
        return Pulled(tuple(_pulled_user(u, by_email) for u in users), tuple(groups))

    async def check(self) -> str:
        found = await self._call("GET", f"{self._realm()}/users", params={"max": 1})
        count = len(found) if isinstance(found, list) else 0
        return f"realm {self.settings.realm}: the chatops client may read users ({count} seen)"


def _attribute(user: dict[str, Any], *names: str) -> str:
    """The first value of the first named user attribute set (Keycloak keeps lists)."""
    attributes = user.get("attributes") or {}
    for name in names:
        values = attributes.get(name) or []
        if values and str(values[0]).strip():
            return str(values[0]).strip()
    return ""


def _pulled_user(user: dict[str, Any], by_email: dict[str, str]) -> PulledUser:
    login = str(user.get("email") or user.get("username") or "")
    shown = " ".join(str(p) for p in (user.get("firstName"), user.get("lastName")) if p)
    manager = _attribute(user, "manager").lower()
    return PulledUser(
        key=f"keycloak:{user['id']}",
        user_name=login,
        email=str(user.get("email") or ""),
        display_name=shown or str(user.get("username") or login),
        active=user.get("enabled") is not False,
        manager_key=by_email.get(manager, ""),
        tz=_attribute(user, "timezone", "tz"),
        department=_attribute(user, "department"),
    )
