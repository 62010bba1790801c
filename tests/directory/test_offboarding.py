"""Issue 18 item 4: a leaver deactivated over SCIM loses, at once, every grant the assistant
knows of (through the identity back end that made it), their sessions and account; approvals
waiting for them as a manager go to their manager with a card; one audited report lists each
step. SCIM goes over HTTP to the real app, chat through Assistant.handle as Slack users, and
the grants are made by access.request on the sandbox identity back end."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from chatbot.governance import audit, outbox
from chatbot.testing import button, text_of
from skills.kv import StoreKeyValue
from tests.directory.conftest import ENTERPRISE, USER, new_user
from tests.directory.test_directory_flows import deactivate, say


def _grant(client: TestClient, email: str, resource: str) -> None:
    asked = say(client, email, f"give me access to {resource} for 2 hours")
    sent = say(client, email, press=button(asked, "Send for approval"))
    cards = [r for r in sent if r.to == "dave"]
    assert cards, text_of(sent)
    done = text_of(say(client, "dave@example.com", press=button(cards, "Approve")))
    assert f"has access to {resource} until" in done, done


def _run(client: TestClient, fn):  # type: ignore[no-untyped-def]
    return client.portal.call(fn)  # type: ignore[union-attr]


def test_a_leaver_deactivated_over_scim_loses_every_grant_and_the_report_lists_each(
    client: TestClient,
) -> None:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    mia = new_user(client, "mia@example.com")
    manager_of = {"schemas": [USER, ENTERPRISE]}
    rick = new_user(
        client, "rick@example.com", **manager_of, **{ENTERPRISE: {"manager": {"value": mia["id"]}}}
    )
    new_user(
        client, "kim@example.com", **manager_of, **{ENTERPRISE: {"manager": {"value": rick["id"]}}}
    )
    for resource in ("grafana", "prod-db", "jenkins"):
        _grant(client, "rick@example.com", resource)
    _grant(client, "kim@example.com", "grafana")  # someone else's grant stays
    asked = say(client, "kim@example.com", "close INC0012345")
    waiting = say(client, "kim@example.com", press=button(asked, "Send for approval"))
    assert [r for r in waiting if r.to == "rick@example.com"], text_of(waiting)

    deactivate(client, rick["id"])

    kv = StoreKeyValue(rt.store, "access")

    async def state() -> tuple[dict, dict, bool, list]:
        members = {r: await kv.get(f"members:{r}") for r in ("grafana", "prod-db", "jenkins")}
        grants = await kv.items("grant:")
        disabled = await kv.get("disabled:rick@example.com", False)
        async with rt.store.transaction() as tx:
            entries = [e async for e in audit.entries(tx)]
        return members, grants, disabled, entries

    members, grants, disabled, entries = _run(client, state)
    assert members == {"grafana": ["kim@example.com"], "prod-db": [], "jenkins": []}
    assert [g["user"] for g in grants.values()] == ["kim@example.com"]
    assert disabled is True
    report = [e for e in entries if e.event == "person.offboarded"]
    assert len(report) == 1 and report[0].outcome == "ok"
    items = json.loads(report[0].detail)["items"]
    removed = {(i["step"], i["target"]) for i in items if i["done"]}
    assert {("grant", "grafana"), ("grant", "prod-db"), ("grant", "jenkins")} <= removed
    assert ("sessions", "rick@example.com") in removed
    assert ("disable", "rick@example.com") in removed
    assert any(i["step"] == "approval" and "mia@example.com" in i["detail"] for i in items)
    assert not [i for i in items if not i["done"]]
    assert "approval.handed_over" in [e.event for e in entries]

    async def mias() -> list:
        async with rt.store.transaction() as tx:
            return [outbox.as_reply(n) for n in await outbox.pending(tx, "mia@example.com")]

    notes = _run(client, mias)
    told = text_of(notes)
    assert "rick@example.com left the company" in told
    for resource in ("grafana", "prod-db", "jenkins"):
        assert f"access to {resource}: removed from the {resource} group" in told
    cards = [n for n in notes if n.buttons]
    assert cards and "kim@example.com asks" in text_of(cards)
    done = text_of(say(client, "mia@example.com", press=button(cards, "Approve")))
    assert "You approved request" in done, done


def test_a_leaver_with_nothing_granted_gets_a_complete_report(client: TestClient) -> None:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    solo = new_user(client, "solo@example.com")
    deactivate(client, solo["id"])

    async def report() -> dict:
        async with rt.store.transaction() as tx:
            found = [e async for e in audit.entries(tx) if e.event == "person.offboarded"]
        return json.loads(found[-1].detail)

    detail = _run(client, report)
    assert detail["person"] == "solo@example.com" and detail["complete"] is True
    assert [i["step"] for i in detail["items"]] == ["sessions", "disable"]


def test_employee_offboard_from_the_cli_deactivates_and_removes_every_grant(
    client: TestClient, database_url: str, tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    """`chatops employee offboard` is the same path for a company without SCIM: the person is
    deactivated (refused from then on) and the report lists each grant; unknown is exit 1."""
    from chatbot.cli import main

    new_user(client, "lea@example.com")
    _grant(client, "lea@example.com", "grafana")
    _grant(client, "lea@example.com", "prod-db")
    monkeypatch.setenv("CHATOPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    capsys.readouterr()
    assert main(["employee", "offboard", "lea@example.com", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    done = {(i["step"], i["target"]) for i in report["items"] if i["done"]}
    assert {("grant", "grafana"), ("grant", "prod-db")} <= done and report["complete"]
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    _run(client, lambda: rt.assistant.directory.refresh(rt.store))
    refused = text_of(say(client, "lea@example.com", "give me access to grafana for 2 hours"))
    assert "deactivated" in refused or "no longer" in refused, refused
    assert main(["employee", "offboard", "nobody@example.com"]) == 1
    assert "unknown person" in capsys.readouterr().err


def test_a_leavers_timed_action_is_cancelled_with_its_timer(client: TestClient) -> None:
    from sqlmodel import select

    from chatbot.store.tables import Action, ScheduledAction
    from tests.directory.conftest import new_group

    rt = client.app.state.runtime  # type: ignore[attr-defined]
    kim = new_user(client, "kim@example.com")
    new_group(client, "Engineering", [kim["id"]])
    asked = say(client, "kim@example.com", "restart search in staging in 10 minutes")
    done = say(client, "kim@example.com", press=button(asked, "Confirm"))
    assert "Scheduled request" in text_of(done), text_of(done)
    action_id = asked[0].action_id
    deactivate(client, kim["id"])

    async def states() -> tuple[str, str]:
        async with rt.store.transaction() as tx:
            action = (await tx.exec(select(Action).where(Action.id == action_id))).one()
            timer = await tx.get(ScheduledAction, action_id)
            return action.state, timer.state if timer else ""

    assert _run(client, states) == ("cancelled", "cancelled")
