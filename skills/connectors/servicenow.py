"""ServiceNow Table API: incidents, change requests, and the kb_knowledge knowledge base.

GET/POST /api/now/table/incident, PATCH /api/now/table/incident/{sys_id},
GET/PATCH /api/now/table/change_request, GET /api/now/table/kb_knowledge. Encoded queries use
`^` to join conditions, so `^` and newlines are removed from anything a person typed.
"""

from __future__ import annotations

import re
from typing import Any

from chatbot.types import Principal
from skills.api import SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.ports import Article, Ticket

# priority -> (urgency, impact); ServiceNow derives the priority from the two.
LEVELS = {"critical": ("1", "1"), "high": ("1", "2"), "medium": ("2", "2"), "low": ("3", "3")}
PRIORITY_NAMES = {"1": "critical", "2": "high", "3": "medium", "4": "low", "5": "low"}
STATES = {
    "1": "new",
    "2": "in progress",
    "3": "on hold",
    "6": "resolved",
    "7": "closed",
    "8": "cancelled",
}


def query_value(text: str) -> str:
    """A value safe inside an encoded query: no condition separators, no line breaks."""
    return re.sub(r"[\^\r\n]+", " ", text).strip()


class ServiceNowSettings(ConnectorSettings):
    user: str
    close_code: str = "Solved (Permanently)"
    change_close_code: str = "successful"
    kb_limit: int = 5


class ServiceNow(Connector):
    settings: ServiceNowSettings

    def _ticket(self, row: dict[str, Any]) -> Ticket:
        url = self.url(f"/nav_to.do?uri=incident.do?sys_id={row.get('sys_id', '')}")
        return Ticket(
            id=row.get("number", ""),
            summary=row.get("short_description", ""),
            priority=PRIORITY_NAMES.get(str(row.get("priority", "")), str(row.get("priority"))),
            state=STATES.get(str(row.get("state", "")), str(row.get("state", ""))),
            url=url,
        )

    async def _find(self, table: str, number: str) -> dict[str, Any] | None:
        found = await self.json(
            "GET",
            f"/api/now/table/{table}",
            params={"sysparm_query": f"number={query_value(number)}", "sysparm_limit": 1},
        )
        rows = found.get("result", [])
        return rows[0] if rows else None

    async def _must(self, table: str, number: str) -> dict[str, Any]:
        row = await self._find(table, number)
        if row is None:
            raise SkillError(f"ServiceNow has no {table.replace('_', ' ')} {number}.")
        return row

    async def create(self, person: Principal, summary: str, priority: str, key: str) -> Ticket:
        urgency, impact = LEVELS.get(priority, LEVELS["medium"])
        created = await self.json(
            "POST",
            "/api/now/table/incident",
            json_body={
                "short_description": summary,
                "urgency": urgency,
                "impact": impact,
                "caller_id": person.email,
                "correlation_id": key,
            },
        )
        return self._ticket(created["result"])

    async def get(self, ticket: str) -> Ticket | None:
        row = await self._find("incident", ticket)
        return self._ticket(row) if row else None

    async def mine(self, person: Principal) -> list[Ticket]:
        query = f"caller_id.email={query_value(person.email)}^active=true^ORDERBYDESCsys_created_on"
        found = await self.json(
            "GET", "/api/now/table/incident", params={"sysparm_query": query, "sysparm_limit": 10}
        )
        return [self._ticket(row) for row in found.get("result", [])]

    async def set_priority(self, ticket: str, priority: str) -> Ticket:
        row = await self._must("incident", ticket)
        urgency, impact = LEVELS[priority]
        changed = await self.json(
            "PATCH",
            f"/api/now/table/incident/{row['sys_id']}",
            json_body={"urgency": urgency, "impact": impact},
            idempotent=True,
        )
        return self._ticket(changed["result"])

    async def close(self, ticket: str, person: Principal) -> Ticket:
        row = await self._must("incident", ticket)
        changed = await self.json(
            "PATCH",
            f"/api/now/table/incident/{row['sys_id']}",
            json_body={
                "state": "6",
                "close_code": self.settings.close_code,
                "close_notes": f"Resolved from chat by {person.name}.",
            },
            idempotent=True,
        )
        return self._ticket(changed["result"])

    async def close_change(self, change: str, person: Principal) -> str:
        row = await self._must("change_request", change)
        await self.json(
            "PATCH",
            f"/api/now/table/change_request/{row['sys_id']}",
            json_body={
                "state": "3",
                "close_code": self.settings.change_close_code,
                "close_notes": f"Closed from chat by {person.name}.",
            },
            idempotent=True,
        )
        return "closed"

    async def search(self, query: str) -> list[Article]:
        q = query_value(query)
        found = await self.json(
            "GET",
            "/api/now/table/kb_knowledge",
            params={
                "sysparm_query": f"workflow_state=published^short_descriptionLIKE{q}^ORtextLIKE{q}",
                "sysparm_fields": "sys_id,number,short_description",
                "sysparm_limit": self.settings.kb_limit,
            },
        )
        return [
            Article(
                row.get("number", ""),
                row.get("short_description", ""),
                self.url(f"/kb_view.do?sysparm_article={row.get('number', '')}"),
            )
            for row in found.get("result", [])
        ]
