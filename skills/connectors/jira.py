"""Jira Cloud REST v3: tickets as issues in one project.

The chat's ticket ids are `INC` + 7 digits (and `CHG` for changes); on Jira they are the
issue's numeric id, zero-padded (issue 10042 is INC0010042), since Jira accepts the numeric id
wherever it accepts a key. Calls: POST /rest/api/3/issue, GET /rest/api/3/issue/{id},
GET /rest/api/3/search/jql, PUT /rest/api/3/issue/{id}, GET+POST .../transitions.
"""

from __future__ import annotations

import re
from typing import Any

from chatbot.types import Principal
from skills.api import SkillError
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.ports import Ticket

PRIORITIES = {"critical": "Highest", "high": "High", "medium": "Medium", "low": "Low"}
BACK = {v.lower(): k for k, v in PRIORITIES.items()} | {"lowest": "low"}


def issue_id(chat_id: str) -> str:
    digits = re.sub(r"^(INC|CHG)", "", chat_id.upper())
    if not digits.isdigit():
        raise SkillError(f"{chat_id} is not a ticket id (INC or CHG and 7 digits).")
    return str(int(digits))


def label(person: Principal) -> str:
    return "chatops-by-" + re.sub(r"[^a-z0-9_-]", "-", person.name.lower())


class JiraSettings(ConnectorSettings):
    user: str
    project: str
    issue_type: str = "Task"
    change_project: str = ""
    done_transition: str = "Done"


class Jira(Connector):
    settings: JiraSettings

    def _ticket(self, issue: dict[str, Any]) -> Ticket:
        fields = issue.get("fields", {})
        return Ticket(
            id=f"INC{int(issue['id']):07d}",
            summary=fields.get("summary", ""),
            priority=BACK.get(str((fields.get("priority") or {}).get("name", "")).lower(), ""),
            state=str((fields.get("status") or {}).get("name", "")).lower(),
            url=self.url(f"/browse/{issue.get('key', '')}"),
        )

    async def create(self, person: Principal, summary: str, priority: str, key: str) -> Ticket:
        created = await self.json(
            "POST",
            "/rest/api/3/issue",
            json_body={
                "fields": {
                    "project": {"key": self.settings.project},
                    "issuetype": {"name": self.settings.issue_type},
                    "summary": summary,
                    "priority": {"name": PRIORITIES.get(priority, "Medium")},
                    "labels": ["chatops", label(person)],
                }
            },
        )
        return Ticket(
            f"INC{int(created['id']):07d}",
            summary,
            priority,
            "open",
            self.url(f"/browse/{created.get('key', '')}"),
        )

    async def get(self, ticket: str) -> Ticket | None:
        response = await self.request(
            "GET",
            f"/rest/api/3/issue/{issue_id(ticket)}",
            params={"fields": "summary,status,priority"},
            accept=(404,),
        )
        return None if response.status_code == 404 else self._ticket(response.json())

    async def mine(self, person: Principal) -> list[Ticket]:
        jql = (
            f'project = "{self.settings.project}" AND labels = "{label(person)}" '
            "AND statusCategory != Done ORDER BY created DESC"
        )
        found = await self.json(
            "GET",
            "/rest/api/3/search/jql",
            params={"jql": jql, "fields": "summary,status,priority", "maxResults": 10},
        )
        return [self._ticket(issue) for issue in found.get("issues", [])]

    async def set_priority(self, ticket: str, priority: str) -> Ticket:
        await self.request(
            "PUT",
            f"/rest/api/3/issue/{issue_id(ticket)}",
            json_body={"fields": {"priority": {"name": PRIORITIES[priority]}}},
        )
        found = await self.get(ticket)
        assert found is not None
        return found

    async def _transition(self, chat_id: str) -> None:
        issue = issue_id(chat_id)
        offered = await self.json("GET", f"/rest/api/3/issue/{issue}/transitions")
        wanted = self.settings.done_transition.lower()
        match = [t for t in offered.get("transitions", []) if t.get("name", "").lower() == wanted]
        if not match:
            names = ", ".join(t.get("name", "") for t in offered.get("transitions", []))
            raise SkillError(
                f"Jira offers no {self.settings.done_transition!r} transition for {chat_id} "
                f"(it offers: {names or 'none'})."
            )
        await self.request(
            "POST",
            f"/rest/api/3/issue/{issue}/transitions",
            json_body={"transition": {"id": match[0]["id"]}},
        )

    async def close(self, ticket: str, person: Principal) -> Ticket:
        await self._transition(ticket)
        found = await self.get(ticket)
        assert found is not None
        return found

    async def close_change(self, change: str, person: Principal) -> str:
        await self._transition(change)
        return "closed"
