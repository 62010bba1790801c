"""ServiceNow findings of issue 15, against a stand-in that keeps records as an instance does."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from chatbot.types import Principal
from skills.api import SkillContext, SkillError
from skills.connectors.errors import ConnectorError
from skills.connectors.factory import connector
from skills.connectors.secrets import load_secrets
from skills.manifest import ManifestSkill, load_manifest
from tests.fakes.servicenow import ServiceNowStandIn
from tests.skills.skill_fakes import CONNECTORS, SECRETS, Sleeps, built, transport
from tests.skills.test_manifests import MemoryKV

ALICE = Principal("alice", "alice@example.com", "Alice")


def _instance() -> ServiceNowStandIn:
    snow = ServiceNowStandIn()
    snow.add("sys_user", email="alice@example.com", active="true", name="Alice")
    snow.add("sys_user", email="bob@example.com", active="true", name="Bob")
    return snow


async def test_my_tickets_find_the_ticket_just_opened() -> None:
    snow = _instance()
    connector = built("servicenow", snow)
    opened = await connector.create(ALICE, "printer on fire", "medium", "chatops-1")
    incident = snow.tables["incident"][0]
    alice = snow.tables["sys_user"][0]
    assert incident["caller_id"] == alice["sys_id"]  # a reference, not the email text
    mine = await connector.mine(ALICE)
    assert [t.id for t in mine] == [opened.id]


async def test_a_person_unknown_to_servicenow_is_told_what_to_do() -> None:
    connector = built("servicenow", _instance())
    with pytest.raises(SkillError, match=r"no active user with the email erin@example\.com"):
        await connector.create(Principal("erin", "erin@example.com", "Erin"), "x", "low", "k")


async def test_low_is_servicenow_priority_4_not_planning() -> None:
    snow = _instance()
    ticket = await built("servicenow", snow).create(ALICE, "slow wifi", "low", "chatops-2")
    assert snow.tables["incident"][0]["priority"] == "4"
    assert ticket.priority == "low"


async def test_a_retried_create_finds_its_ticket_by_correlation_id() -> None:
    snow = _instance()
    connector = built("servicenow", snow)
    first = await connector.create(ALICE, "printer on fire", "high", "chatops-7")
    again = await connector.create(ALICE, "printer on fire", "high", "chatops-7")
    assert again.id == first.id and len(snow.tables["incident"]) == 1


async def test_change_in_implement_closes_through_review() -> None:
    snow = _instance()
    snow.add("change_request", number="CHG0001234", state="-1")
    state = await built("servicenow", snow).close_change("CHG0001234", ALICE)
    assert state == "closed" and snow.tables["change_request"][0]["state"] == "3"


async def test_change_not_yet_implemented_is_refused_with_its_state() -> None:
    snow = _instance()
    snow.add("change_request", number="CHG0001235", state="-2")
    with pytest.raises(ConnectorError) as refused:
        await built("servicenow", snow).close_change("CHG0001235", ALICE)
    assert refused.value.status == 409 and "in Scheduled" in str(refused.value)
    assert snow.tables["change_request"][0]["state"] == "-2"  # nothing was changed


async def test_kb_search_shows_only_what_every_employee_may_read() -> None:
    snow = _instance()
    snow.add(
        "kb_knowledge",
        number="KB1",
        short_description="VPN setup",
        text="",
        workflow_state="published",
        can_read_user_criteria="",
    )
    snow.add(
        "kb_knowledge",
        number="KB2",
        short_description="VPN setup for HR",
        text="",
        workflow_state="published",
        can_read_user_criteria="uc-hr-only",
    )
    found = await built("servicenow", snow).search("vpn setup")
    assert [a.id for a in found] == ["KB1"]


async def test_shipped_change_create_example_sets_requested_by_to_a_reference() -> None:
    snow = _instance()
    example = Path(__file__).parents[2] / "deploy" / "examples" / "change-create.toml"
    make = connector("servicenow", CONNECTORS, load_secrets(None, SECRETS), Sleeps())
    skill = ManifestSkill(load_manifest(example, ()), (), {"servicenow": make}, Sleeps())
    http = httpx.AsyncClient(transport=transport(snow))
    outcome = await skill.run(SkillContext(ALICE, {"service": "checkout"}, MemoryKV(), http))
    change = snow.tables["change_request"][0]
    assert change["requested_by"] == snow.tables["sys_user"][0]["sys_id"]
    assert f"Opened change {change['number']} for checkout" in outcome.summary
