"""PagerDuty: who is on call, from GET /oncalls (REST API v2).

A service maps to an escalation policy in the settings; `earliest=true` keeps one entry per
escalation level, and level 1 is who gets paged first. Lists are paged (`limit`, `offset`,
`more`; https://developer.pagerduty.com/docs/pagination), so every page is read, up to
`max_pages`. A service with no mapped policy is said so, instead of showing whoever is on call
anywhere in the company.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from skills.api import SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.ports import OnCall, OnCallPerson, OnCallResponders

ACCEPT = {"Accept": "application/vnd.pagerduty+json;version=2"}


class PagerDutySettings(ConnectorSettings):
    base_url: str = "https://api.pagerduty.com"
    escalation_policies: dict[str, str] = Field(default_factory=dict)  # service -> policy id
    page_size: int = 100
    max_pages: int = 10


class PagerDuty(Connector):
    title = "PagerDuty"
    settings_model = PagerDutySettings
    ports = (OnCall, OnCallResponders)
    settings: PagerDutySettings

    @classmethod
    def headers(cls, settings: PagerDutySettings, secrets: Any) -> dict[str, str]:
        return {"Authorization": f"Token token={secrets.require('pagerduty', 'token')}"}

    async def _oncalls(self, params: dict[str, object]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        offset = 0
        for _ in range(self.settings.max_pages):
            page = await self.json(
                "GET",
                "/oncalls",
                params={**params, "limit": self.settings.page_size, "offset": offset},
                headers=ACCEPT,
            )
            rows = page.get("oncalls") or []
            found += [o for o in rows if isinstance(o, dict)]
            if not page.get("more") or not rows:
                break
            offset += len(rows)
        return found

    def _policy(self, service: str) -> str:
        policy = self.settings.escalation_policies.get(service)
        if not policy:
            raise SkillError(
                f"PagerDuty has no escalation policy mapped for {service}; ask an admin to "
                f"add it under [connectors.pagerduty.escalation_policies]."
            )
        return policy

    async def who(self, service: str | None) -> list[str]:
        params: dict[str, object] = {"earliest": "true"}
        if service:
            params["escalation_policy_ids[]"] = self._policy(service)
        oncalls = await self._oncalls(params)
        first = [o for o in oncalls if o.get("escalation_level") == 1]
        names = [(o.get("user") or {}).get("summary", "") for o in first or oncalls]
        return list(dict.fromkeys(n for n in names if n))

    async def responders(self, service: str) -> list[OnCallPerson]:
        """Who is paged first for `service` now, with their emails: `include[]=users` makes
        PagerDuty answer whole user objects instead of references, so the people can be found
        in the directory by email rather than guessed from a display name."""
        params: dict[str, object] = {
            "earliest": "true",
            "escalation_policy_ids[]": self._policy(service),
            "include[]": "users",
        }
        oncalls = await self._oncalls(params)
        first = [o for o in oncalls if o.get("escalation_level") == 1] or oncalls
        found: dict[str, OnCallPerson] = {}
        for entry in first:
            user = entry.get("user") or {}
            email = str(user.get("email") or "").strip().lower()
            name = str(user.get("name") or user.get("summary") or email)
            level = entry.get("escalation_level")
            if email and email not in found:
                found[email] = OnCallPerson(name, email, level if isinstance(level, int) else 0)
        return list(found.values())

    async def check(self) -> str:
        page = await self.json(
            "GET", "/oncalls", params={"earliest": "true", "limit": 1}, headers=ACCEPT
        )
        rows = page.get("oncalls") or []
        if not rows:
            return "on-calls are readable; nobody is on call right now"
        who = (rows[0].get("user") or {}).get("summary", "someone")
        return f"on-calls are readable; {who} is on call (level {rows[0].get('escalation_level')})"
