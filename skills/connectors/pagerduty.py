"""PagerDuty: who is on call, from GET /oncalls (REST API v2).

A service maps to an escalation policy in the settings; `earliest=true` keeps one entry per
escalation level, and level 1 is who gets paged first.
"""

from __future__ import annotations

from pydantic import Field

from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings


class PagerDutySettings(ConnectorSettings):
    base_url: str = "https://api.pagerduty.com"
    escalation_policies: dict[str, str] = Field(default_factory=dict)  # service -> policy id


class PagerDuty(Connector):
    settings: PagerDutySettings

    async def who(self, service: str | None) -> list[str]:
        params: dict[str, object] = {"earliest": "true", "limit": 25}
        policy = self.settings.escalation_policies.get(service or "")
        if policy:
            params["escalation_policy_ids[]"] = policy
        found = await self.json(
            "GET",
            "/oncalls",
            params=params,
            headers={"Accept": "application/vnd.pagerduty+json;version=2"},
        )
        first = [o for o in found.get("oncalls", []) if o.get("escalation_level") == 1]
        names = [(o.get("user") or {}).get("summary", "") for o in first or found["oncalls"]]
        return list(dict.fromkeys(n for n in names if n))
