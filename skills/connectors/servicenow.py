"""ServiceNow Table API: incidents, change requests, and the kb_knowledge knowledge base.

GET/POST /api/now/table/incident, PATCH /api/now/table/incident/{sys_id},
GET/PATCH /api/now/table/change_request, GET /api/now/table/kb_knowledge, GET
/api/now/table/sys_user. Encoded queries use `^` to join conditions, so `^` and newlines are
removed from anything a person typed.

Documented behaviour this follows (https://developer.servicenow.com/dev.do#!/reference/api/
latest/rest/c_TableAPI):
- `caller_id` is a reference field: it holds the caller's sys_user sys_id, so the person is
  looked up by email first (an email written there is stored as a dangling reference).
- `correlation_id` is looked up before a create, so a retried action finds its ticket.
- A change request closes through its state model (Implement -> Review -> Closed); Closed is
  refused from any other state (docs.servicenow.com, "Change request state model").
- Priority is derived from urgency x impact (the default priority lookup): low is 3 x 2 = 4.
- The integration user sees every article; the Table API cannot act as the person, so
  kb.search returns only articles without read criteria (`can_read_user_criteria` empty) in
  the knowledge bases configured as open to everyone (`kb_bases`).
"""

from __future__ import annotations

import re
from typing import Any

from chatbot.types import Principal
from skills.api import SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.connectors.errors import ConnectorError
from skills.connectors.factory import basic
from skills.ports import Article, KnowledgeBase, Ticket, TicketSystem

# change_request states (Change request state model): New -5, Assess -4, Authorize -3,
# Scheduled -2, Implement -1, Review 0, Closed 3, Canceled 4.
CHANGE_STATES = {
    "-5": "New",
    "-4": "Assess",
    "-3": "Authorize",
    "-2": "Scheduled",
    "-1": "Implement",
    "0": "Review",
    "3": "Closed",
    "4": "Canceled",
}

# priority -> (urgency, impact); ServiceNow derives the priority from the two.
LEVELS = {"critical": ("1", "1"), "high": ("1", "2"), "medium": ("2", "2"), "low": ("3", "2")}
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
    kb_bases: list[str] = []  # sys_ids of knowledge bases every employee may read


class ServiceNow(Connector):
    title = "ServiceNow"
    settings_model = ServiceNowSettings
    ports = (TicketSystem, KnowledgeBase)
    settings: ServiceNowSettings

    @classmethod
    def headers(cls, settings: ServiceNowSettings, secrets: Any) -> dict[str, str]:
        password = secrets.require("servicenow", "password")
        return {"Authorization": basic(settings.user, password), "Accept": "application/json"}

    async def _caller(self, person: Principal) -> str:
        """The person's sys_user sys_id (reference fields hold sys_ids, not emails)."""
        found = await self.json(
            "GET",
            "/api/now/table/sys_user",
            params={
                "sysparm_query": f"email={query_value(person.email)}^active=true",
                "sysparm_fields": "sys_id",
                "sysparm_limit": 1,
            },
        )
        rows = found.get("result", [])
        if not rows:
            raise SkillError(
                f"ServiceNow has no active user with the email {person.email}; ask the service "
                "desk to add you, then try again."
            )
        return str(rows[0]["sys_id"])

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
        earlier = await self.json(
            "GET",
            "/api/now/table/incident",
            params={"sysparm_query": f"correlation_id={query_value(key)}", "sysparm_limit": 1},
        )
        if earlier.get("result"):
            return self._ticket(earlier["result"][0])  # a retry of an action already done
        urgency, impact = LEVELS.get(priority, LEVELS["medium"])
        created = await self.json(
            "POST",
            "/api/now/table/incident",
            json_body={
                "short_description": summary,
                "urgency": urgency,
                "impact": impact,
                "caller_id": await self._caller(person),
                "correlation_id": key,
            },
        )
        return self._ticket(created["result"])

    async def get(self, ticket: str) -> Ticket | None:
        row = await self._find("incident", ticket)
        return self._ticket(row) if row else None

    async def mine(self, person: Principal) -> list[Ticket]:
        caller = await self._caller(person)
        query = f"caller_id={caller}^active=true^ORDERBYDESCsys_created_on"
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
        path = f"/api/now/table/change_request/{row['sys_id']}"
        state = str(row.get("state", ""))
        if state == "3":
            return "already closed"
        if state == "-1":  # Implement -> Review first: Closed is reachable only from Review
            await self.json("PATCH", path, json_body={"state": "0"}, idempotent=True)
            state = "0"
        if state != "0":
            name = CHANGE_STATES.get(state, state or "an unknown state")
            raise ConnectorError(
                "ServiceNow",
                409,
                False,
                f"{change} is in {name}; a change closes from Implement or Review",
                name=self.endpoint.name,
            )
        await self.json(
            "PATCH",
            path,
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
        visible = "^can_read_user_criteriaISEMPTY"
        if self.settings.kb_bases:
            visible += "^kb_knowledge_baseIN" + ",".join(map(query_value, self.settings.kb_bases))
        found = await self.json(
            "GET",
            "/api/now/table/kb_knowledge",
            params={
                "sysparm_query": (
                    f"workflow_state=published{visible}^short_descriptionLIKE{q}^ORtextLIKE{q}"
                ),
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

    async def check(self) -> str:
        found = await self.json(
            "GET",
            "/api/now/table/incident",
            params={"sysparm_query": "ORDERBYDESCsys_created_on", "sysparm_limit": 1},
        )
        rows = found.get("result", [])
        latest = f"; the newest is {rows[0].get('number')}" if rows else "; none visible"
        return f"the incident table is readable as {self.settings.user}{latest}"
