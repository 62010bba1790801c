"""Jira Cloud REST v3: tickets as issues in one project.

Issues are shown by their real key with the chat's id beside it, `OPS-7 (INC0010042)`: the
key is what people see in Jira; `INC` + 7 digits is the issue's numeric id zero-padded, which
the chat understands (Jira accepts the numeric id wherever it accepts a key). Both forms are
accepted. Calls: POST /rest/api/3/issue, GET /rest/api/3/issue/{idOrKey}, GET
/rest/api/3/search/jql, PUT /rest/api/3/issue/{idOrKey}, GET+POST .../transitions.

Priority is a field a project may leave off its create screen; Jira then answers 400
`priority: Field 'priority' cannot be set`, and the issue is created without it (the person
is told), instead of failing the whole request.
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
from skills.ports import Ticket, TicketSystem

KEY_RE = re.compile(r"[A-Z][A-Z0-9_]+-[1-9][0-9]*")

PRIORITIES = {"critical": "Highest", "high": "High", "medium": "Medium", "low": "Low"}
BACK = {v.lower(): k for k, v in PRIORITIES.items()} | {"lowest": "low"}


def issue_id(chat_id: str) -> str:
    """The Jira id or key for a chat id: `OPS-7` as is, `INC0010042` -> `10042`."""
    text = chat_id.strip().upper()
    if KEY_RE.fullmatch(text):
        return text
    digits = re.sub(r"^(INC|CHG)", "", text)
    if not digits.isdigit():
        raise SkillError(
            f"{chat_id} is not a ticket id (a Jira key such as OPS-7, or INC and 7 digits)."
        )
    return str(int(digits))


def shown(issue: dict[str, Any]) -> str:
    key, number = issue.get("key", ""), f"INC{int(issue['id']):07d}"
    return f"{key} ({number})" if key else number


def label(person: Principal) -> str:
    return "chatops-by-" + re.sub(r"[^a-z0-9_-]", "-", person.name.lower())


class JiraSettings(ConnectorSettings):
    user: str
    project: str
    issue_type: str = "Task"
    change_project: str = ""
    done_transition: str = "Done"


class Jira(Connector):
    title = "Jira"
    settings_model = JiraSettings
    ports = (TicketSystem,)
    settings: JiraSettings

    @classmethod
    def headers(cls, settings: JiraSettings, secrets: Any) -> dict[str, str]:
        token = secrets.require("jira", "api_token")
        return {"Authorization": basic(settings.user, token), "Accept": "application/json"}

    def _ticket(self, issue: dict[str, Any]) -> Ticket:
        fields = issue.get("fields", {})
        return Ticket(
            id=shown(issue),
            summary=fields.get("summary", ""),
            priority=BACK.get(str((fields.get("priority") or {}).get("name", "")).lower(), ""),
            state=str((fields.get("status") or {}).get("name", "")).lower(),
            url=self.url(f"/browse/{issue.get('key', '')}"),
        )

    async def create(self, person: Principal, summary: str, priority: str, key: str) -> Ticket:
        fields: dict[str, Any] = {
            "project": {"key": self.settings.project},
            "issuetype": {"name": self.settings.issue_type},
            "summary": summary,
            "priority": {"name": PRIORITIES.get(priority, "Medium")},
            "labels": ["chatops", label(person)],
        }
        try:
            created = await self.json("POST", "/rest/api/3/issue", json_body={"fields": fields})
        except ConnectorError as refused:
            if refused.status != 400 or "priority" not in refused.detail:
                raise
            # Priority is not on this project's create screen: create without it.
            fields.pop("priority")
            created = await self.json("POST", "/rest/api/3/issue", json_body={"fields": fields})
            priority = "not set (the project has no priority field)"
        return Ticket(
            shown(created), summary, priority, "open", self.url(f"/browse/{created.get('key', '')}")
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

    async def check(self) -> str:
        found = await self.json(
            "GET",
            "/rest/api/3/search/jql",
            params={
                "jql": f'project = "{self.settings.project}" ORDER BY created DESC',
                "fields": "summary",
                "maxResults": 1,
            },
        )
        issues = found.get("issues", [])
        latest = f"; the newest is {issues[0].get('key')}" if issues else "; no issues visible"
        return f"project {self.settings.project} is searchable as {self.settings.user}{latest}"
