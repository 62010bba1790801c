"""ticket.*, change.close and kb.search on ServiceNow and Jira fakes, and on the sandbox."""

from __future__ import annotations

import base64
import json

import httpx

from chatbot.testing import Chat, confirmed, text_of
from tests.fakes.servicenow import ServiceNowStandIn
from tests.skills.skill_fakes import Exchange, FakeSystem

SNOW = {
    "Authorization": "Basic " + base64.b64encode(b"chatops:snow-s3cret").decode(),
    "Accept": "application/json",
}
JIRA = {
    "Authorization": "Basic " + base64.b64encode(b"bot@example.com:jira-s3cret").decode(),
    "Accept": "application/json",
}
TABLE = "/api/now/table/incident"


async def test_tickets_on_servicenow(connected) -> None:
    snow = ServiceNowStandIn()
    snow.add("sys_user", email="alice@example.com", active="true", name="Alice")
    async with connected({"ticket.*": "servicenow"}, snow) as chat:
        opened = text_of(await confirmed(chat, "alice", "create an incident: printer on fire"))
        assert "Opened INC0001001 [new, medium] printer on fire" in opened
        assert "INC0001001 [new" in text_of(await chat.say("alice", "check ticket INC0001001"))
        mine = text_of(await chat.say("alice", "show me my tickets"))
        assert "Your open tickets" in mine and "INC0001001" in mine
        raised = await confirmed(chat, "alice", "raise the priority of INC0001001 to critical")
        assert "[new, critical]" in text_of(raised)
        closed = await confirmed(chat, "alice", "close INC0001001")
        assert "Resolved INC0001001 [resolved" in text_of(closed)
    incident = snow.tables["incident"][0]
    assert incident["caller_id"] == snow.tables["sys_user"][0]["sys_id"]
    assert incident["correlation_id"].startswith("chatops-")
    assert incident["close_code"] == "Solved (Permanently)"


async def test_unknown_ticket_on_servicenow_is_said_plainly(connected) -> None:
    snow = FakeSystem(
        "acme.service-now.com",
        [
            Exchange(
                "GET",
                TABLE,
                200,
                {"result": []},
                query={"sysparm_query": "number=INC0000001", "sysparm_limit": "1"},
            ),
        ],
        headers=SNOW,
    )
    async with connected({"ticket.status": "servicenow"}, snow) as chat:
        assert "no ticket INC0000001" in text_of(await chat.say("alice", "check ticket INC0000001"))


async def test_change_close_and_kb_search_on_servicenow(connected) -> None:
    change = {"sys_id": "chg9", "number": "CHG0001234", "state": "0"}
    kb_query = (
        "workflow_state=published^can_read_user_criteriaISEMPTY"
        "^short_descriptionLIKEvpn setup^ORtextLIKEvpn setup"
    )
    snow = FakeSystem(
        "acme.service-now.com",
        [
            Exchange(
                "GET",
                "/api/now/table/change_request",
                200,
                {"result": [change]},
                query={"sysparm_query": "number=CHG0001234", "sysparm_limit": "1"},
            ),
            Exchange(
                "PATCH",
                "/api/now/table/change_request/chg9",
                200,
                {"result": change},
                body={
                    "state": "3",
                    "close_code": "successful",
                    "close_notes": "Closed from chat by carol.",
                },
            ),
            Exchange(
                "GET",
                "/api/now/table/kb_knowledge",
                200,
                {"result": [{"number": "KB0010001", "short_description": "VPN setup on macOS"}]},
                query={
                    "sysparm_query": kb_query,
                    "sysparm_fields": "sys_id,number,short_description",
                    "sysparm_limit": "5",
                },
            ),
            Exchange(
                "GET",
                "/api/now/table/kb_knowledge",
                401,
                {
                    "error": {
                        "message": "User Not Authenticated",
                        "detail": "Required to provide Auth information",
                    },
                    "status": "failure",
                },
            ),
        ],
        headers=SNOW,
    )
    backends = {"change.close": "servicenow", "kb.search": "servicenow"}
    async with connected(backends, snow) as chat:
        done = text_of(await confirmed(chat, "carol", "close change CHG0001234"))
        assert "Change CHG0001234 is closed" in done
        found = text_of(await chat.say("alice", "search the knowledge base for vpn setup"))
        assert "KB0010001: VPN setup on macOS" in found
        failed = text_of(await chat.say("alice", "search the knowledge base for vpn setup"))
        assert "ServiceNow refused (401): User Not Authenticated" in failed


async def test_tickets_on_jira(connected) -> None:
    def created(request: httpx.Request) -> None:
        fields = json.loads(request.content)["fields"]
        assert fields["project"] == {"key": "OPS"} and fields["summary"] == "printer on fire"
        assert fields["priority"] == {"name": "Medium"}
        assert "chatops-by-alice" in fields["labels"]

    issue = {
        "id": "10042",
        "key": "OPS-7",
        "fields": {
            "summary": "printer on fire",
            "status": {"name": "Open"},
            "priority": {"name": "High"},
        },
    }
    done_issue = {**issue, "fields": {**issue["fields"], "status": {"name": "Done"}}}
    jira = FakeSystem(
        "acme.atlassian.net",
        [
            Exchange(
                "POST", "/rest/api/3/issue", 201, {"id": "10042", "key": "OPS-7"}, check=created
            ),
            Exchange("GET", "/rest/api/3/issue/10042", 200, issue),
            Exchange(
                "GET",
                "/rest/api/3/issue/10042/transitions",
                200,
                {
                    "transitions": [
                        {"id": "21", "name": "In Progress"},
                        {"id": "31", "name": "Done"},
                    ]
                },
            ),
            Exchange(
                "POST",
                "/rest/api/3/issue/10042/transitions",
                204,
                body={"transition": {"id": "31"}},
            ),
            Exchange("GET", "/rest/api/3/issue/10042", 200, done_issue),
            Exchange(
                "PUT",
                "/rest/api/3/issue/10042",
                400,
                {
                    "errorMessages": [],
                    "errors": {"priority": "Priority name 'Highest' is not valid"},
                },
            ),
        ],
        headers=JIRA,
    )
    async with connected({"ticket.*": "jira"}, jira) as chat:
        opened = text_of(await confirmed(chat, "alice", "create an incident: printer on fire"))
        assert "Opened OPS-7 (INC0010042) [open, medium] printer on fire" in opened
        assert "[open, high]" in text_of(await chat.say("alice", "check ticket INC0010042"))
        closed = text_of(await confirmed(chat, "alice", "close INC0010042"))
        assert "Resolved OPS-7 (INC0010042) [done" in closed
        bad = text_of(
            await confirmed(chat, "alice", "raise the priority of INC0010042 to critical")
        )
        assert "Jira refused (400): priority: Priority name" in bad


async def test_tickets_on_the_sandbox(chat: Chat) -> None:
    opened = text_of(await confirmed(chat, "alice", "create an incident: printer on fire"))
    assert "Sandbox: Opened INC0001001 [new, medium] printer on fire" in opened
    assert "INC0001001" in text_of(await chat.say("alice", "show me my tickets"))
    raised = await confirmed(chat, "alice", "raise the priority of INC0001001 to critical")
    assert "[new, critical]" in text_of(raised)
    assert "Resolved INC0001001" in text_of(await confirmed(chat, "alice", "close INC0001001"))
    assert "no open tickets" in text_of(await chat.say("alice", "show me my tickets"))
    assert "no ticket INC0000007" in text_of(await chat.say("alice", "check ticket INC0000007"))
    assert "closed" in text_of(await confirmed(chat, "carol", "close change CHG0000042"))
    again = text_of(await confirmed(chat, "carol", "close change CHG0000042"))
    assert "already closed" in again
    assert "KB0000001" in text_of(
        await chat.say("alice", "search the knowledge base for vpn setup")
    )
