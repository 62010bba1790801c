"""Automatic rollback after a failed health gate, driven as the code runs it: bob deploys in
chat (`Assistant.handle`), the `deploy.gate` job reads a fake Prometheus speaking the
documented /api/v1/query_range, and where `incidents.gate_auto_rollback` says so the
assistant rolls back by itself, under the same governance and audit as a person."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select

from chatbot.config import (
    AutoRollback,
    Freeze,
    GateSignal,
    IncidentSettings,
    Person,
    PolicyRule,
    Settings,
)
from chatbot.governance import outbox
from chatbot.incidents import gating
from chatbot.incidents.payloads import Source, parse
from chatbot.store.tables import Action, AuditEntry, Notification
from chatbot.testing import Chat, chat_harness, confirmed
from intents import Understander
from tests.incidents.payloads import alert, alertmanager
from tests.incidents.test_gate import PROM, SERIES, prometheus

SIGNAL = GateSignal(
    name="error rate",
    query='sum(rate(http_errors_total{service="{service}",env="{env}"}[5m]))',
)
STAGING = AutoRollback(service="checkout", env="staging")


def configured(
    settings: Settings,
    *,
    auto: Sequence[AutoRollback] = (STAGING,),
    role: str | None = "developer",
    per_hour: int = 1,
    **more: object,
) -> Settings:
    people = dict(settings.people)
    if role is not None:  # the directory person the assistant acts as
        people["assistant"] = Person(email="assistant@example.com", roles=(role,))
    incidents = IncidentSettings(
        prometheus_url=PROM,
        gate_signals=(SIGNAL,),
        gate_auto_rollback=tuple(auto),
        gate_rollback_per_hour=per_hour,
        responders={"checkout": ("carol",)},
    )
    return settings.model_copy(update={"people": people, "incidents": incidents, **more})


@dataclass
class Gated:
    verdict: str
    deploy_id: int
    told: Notification  # what bob heard about the health check


async def deploy_and_gate(chat: Chat, version: str) -> Gated:
    """bob deploys checkout to staging in chat; the gate job planned by that deploy runs."""
    replies = await confirmed(chat, "bob", f"deploy checkout {version} to staging")
    deploy_id = replies[0].action_id
    assert deploy_id is not None and version in replies[0].text, replies
    rt = chat.runtime
    assert await rt.jobs.planned(gating.JOB, action_id=deploy_id) is not None
    verdict = await rt.jobs.run(gating.JOB, {"action_id": deploy_id})
    async with rt.store.transaction() as tx:
        notes = [n for n in await outbox.pending(tx, "bob") if n.action_id == deploy_id]
        await outbox.delivered(tx, [n.id for n in notes if n.id is not None])
    (told,) = [n for n in notes if "Health check" in n.text]
    return Gated(str(verdict), deploy_id, told)


async def rollbacks(chat: Chat) -> list[Action]:
    async with chat.runtime.store.transaction() as tx:
        rows = await tx.exec(select(Action).where(col(Action.skill) == "deploy.rollback"))
        return list(rows.all())


async def audit_trail(chat: Chat) -> list[AuditEntry]:
    async with chat.runtime.store.transaction() as tx:
        return list((await tx.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))).all())


async def open_incident(chat: Chat) -> int:
    """An alert on checkout staging, so the rollback has an incident timeline to go on."""
    body = alertmanager([alert("firing", datetime.now(UTC), env="staging")])
    intake = await chat.assistant.incidents.book.ingest(parse(Source.ALERTMANAGER, body))
    (incident_id,) = intake.opened
    return incident_id


def buttons(note: Notification) -> list[str]:
    return [label for label, _, _ in json.loads(note.buttons)]


async def test_a_failed_gate_rolls_back_once_by_itself_audited_and_on_the_timeline(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    seen: list[dict[str, str]] = []
    async with chat_harness(
        configured(settings), database_url, understander, prometheus(SERIES["fail"], seen)
    ) as chat:
        incident_id = await open_incident(chat)
        await confirmed(chat, "bob", "deploy checkout 2.4.0 to staging")
        gated = await deploy_and_gate(chat, "2.4.1")
        assert gated.verdict == "fail"
        # One rollback, requested and run as the assistant's directory entry.
        (rollback,) = await rollbacks(chat)
        assert (rollback.requester, rollback.state) == ("assistant", "succeeded")
        assert "back from 2.4.1 to 2.4.0" in rollback.result
        # bob hears it in words: rolled back by itself, why (the verdict), and the result;
        # no button, since there is nothing left to press.
        text = gated.told.text
        assert "worse than before (error rate: 0.0048" in text and "0.048" in text, text
        assert "rolled it back automatically" in text and "to 2.4.0" in text, text
        assert buttons(gated.told) == []
        # Audited exactly as a person's rollback: decided, requested, started, finished.
        trail = await audit_trail(chat)
        steps = [
            e.event
            for e in trail
            if e.action_id == rollback.id or (e.event == "decided" and e.skill == "deploy.rollback")
        ]
        assert steps == ["decided", "action.requested", "action.started", "action.finished"]
        assert all(e.actor == "assistant" for e in trail if e.action_id == rollback.id)
        (auto,) = [e for e in trail if e.event == "deploy.auto_rollback"]
        assert (auto.action_id, auto.outcome) == (gated.deploy_id, "rolled back")
        assert json.loads(auto.detail)["rollback_action_id"] == rollback.id
        # On the incident's timeline, as the assistant's action.
        lines = await chat.assistant.incidents.book.timeline(incident_id)
        (line,) = [e for e in lines if e.kind == "action"]
        assert line.actor == "assistant" and "rolled it back automatically" in line.text
        # The responders hear it too.
        async with chat.runtime.store.transaction() as tx:
            carol = await outbox.pending(tx, "carol")
        assert any("rolled it back automatically" in n.text for n in carol)
        # The gate job delivered twice rolls nothing back a second time.
        await chat.runtime.jobs.run(gating.JOB, {"action_id": gated.deploy_id})
        assert len(await rollbacks(chat)) == 1


async def test_without_the_rule_a_failed_gate_only_offers_the_button(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    gate = prometheus(SERIES["fail"], [])
    other = AutoRollback(service="checkout", env="prod")  # prod only: staging is not covered
    async with chat_harness(
        configured(settings, auto=[other]), database_url, understander, gate
    ) as chat:
        await confirmed(chat, "bob", "deploy checkout 2.4.0 to staging")
        gated = await deploy_and_gate(chat, "2.4.1")
        assert gated.verdict == "fail"
        assert await rollbacks(chat) == []
        assert buttons(gated.told) == ["Roll back"]
        assert "automatically" not in gated.told.text
        assert not [e for e in await audit_trail(chat) if e.event == "deploy.auto_rollback"]


async def test_an_inconclusive_gate_never_rolls_back_by_itself(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    gate = prometheus(SERIES["inconclusive"], [])
    async with chat_harness(configured(settings), database_url, understander, gate) as chat:
        await confirmed(chat, "bob", "deploy checkout 2.4.0 to staging")
        gated = await deploy_and_gate(chat, "2.4.1")
        assert gated.verdict == "inconclusive"
        assert await rollbacks(chat) == []
        assert buttons(gated.told) == [] and "nothing was rolled back" in gated.told.text
        assert not [e for e in await audit_trail(chat) if e.event == "deploy.auto_rollback"]


async def test_over_the_hourly_limit_the_button_stays_with_the_reason_even_after_a_restart(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    gated_settings = configured(settings, per_hour=1)
    async with chat_harness(
        gated_settings, database_url, understander, prometheus(SERIES["fail"], [])
    ) as chat:
        await confirmed(chat, "bob", "deploy checkout 2.4.0 to staging")
        first = await deploy_and_gate(chat, "2.4.1")
        assert "rolled it back automatically" in first.told.text
    # A restart: the count comes from the audit trail, not from memory.
    async with chat_harness(
        gated_settings, database_url, understander, prometheus(SERIES["fail"], [])
    ) as chat:
        second = await deploy_and_gate(chat, "2.4.2")
        assert second.verdict == "fail"
        assert len(await rollbacks(chat)) == 1
        assert buttons(second.told) == ["Roll back"]
        text = second.told.text
        assert "not rolled back automatically" in text, text
        assert "already rolled back automatically 1 time(s) in the last hour" in text, text
        outcomes = [e.outcome for e in await audit_trail(chat) if e.event == "deploy.auto_rollback"]
        assert outcomes == ["rolled back", "limit"]


@pytest.mark.parametrize(
    ("role", "why"),
    [
        ("employee", "may not roll it back by itself"),  # in the directory, without the grant
        (None, "no directory entry 'assistant'"),  # not in the directory at all
    ],
)
async def test_an_identity_without_rights_rolls_back_nothing_and_the_button_stays(
    settings: Settings,
    database_url: str,
    understander: Understander,
    role: str | None,
    why: str,
) -> None:
    gate = prometheus(SERIES["fail"], [])
    async with chat_harness(
        configured(settings, role=role), database_url, understander, gate
    ) as chat:
        incident_id = await open_incident(chat)
        await confirmed(chat, "bob", "deploy checkout 2.4.0 to staging")
        gated = await deploy_and_gate(chat, "2.4.1")
        assert await rollbacks(chat) == []
        assert buttons(gated.told) == ["Roll back"]
        assert "not rolled back automatically" in gated.told.text and why in gated.told.text
        trail = await audit_trail(chat)
        (auto,) = [e for e in trail if e.event == "deploy.auto_rollback"]
        assert auto.outcome == ("refused" if role else "no identity")
        if role:  # the refusal is the same "decided" entry a person's would be
            (decided,) = [e for e in trail if e.event == "decided" and e.actor == "assistant"]
            assert (decided.skill, decided.outcome) == ("deploy.rollback", "deny")
        lines = await chat.assistant.incidents.book.timeline(incident_id)
        (note,) = [e for e in lines if e.actor == "assistant"]
        assert note.kind == "note" and why in note.text
        # The button still works for a person with the grant: bob is asked to confirm.
        (value,) = [v for _, v, _ in json.loads(gated.told.buttons)]
        (asked,) = await chat.press("bob", value)
        assert asked.text.startswith("Roll checkout in staging back"), asked


async def test_a_freeze_stops_the_automatic_rollback(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    now = datetime.now(UTC)
    freeze = Freeze(
        name="launch week",
        skill="deploy.rollback",
        where={"env": ("staging",)},
        start=now - timedelta(hours=1),
        end=now + timedelta(days=1),
    )
    gate = prometheus(SERIES["fail"], [])
    frozen = configured(settings, freezes=(freeze,))
    async with chat_harness(frozen, database_url, understander, gate) as chat:
        await confirmed(chat, "bob", "deploy checkout 2.4.0 to staging")
        gated = await deploy_and_gate(chat, "2.4.1")
        assert await rollbacks(chat) == []
        assert "launch week" in gated.told.text and buttons(gated.told) == ["Roll back"]
        (auto,) = [e for e in await audit_trail(chat) if e.event == "deploy.auto_rollback"]
        assert auto.outcome == "refused" and "launch week" in json.loads(auto.detail)["why"]


async def test_where_policy_wants_an_approval_the_rollback_is_sent_for_approval(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    rule = PolicyRule(
        skill="deploy.rollback",
        where={"env": ("staging",)},
        requires="approval",
        approvers="release-manager",
    )
    gate = prometheus(SERIES["fail"], [])
    strict = configured(settings, policy=(rule, *settings.policy))
    async with chat_harness(strict, database_url, understander, gate) as chat:
        await confirmed(chat, "bob", "deploy checkout 2.4.0 to staging")
        gated = await deploy_and_gate(chat, "2.4.1")
        (rollback,) = await rollbacks(chat)
        assert (rollback.requester, rollback.state) == ("assistant", "awaiting_approval")
        assert "sent it for approval" in gated.told.text and buttons(gated.told) == []
        # carol, a release manager, gets the approval card; her approval runs it.
        async with chat.runtime.store.transaction() as tx:
            cards = [n for n in await outbox.pending(tx, "carol") if n.kind == "approval"]
        (card,) = cards
        approve = next(v for label, v, _ in json.loads(card.buttons) if label == "Approve")
        await chat.press("carol", approve)
        (rollback,) = await rollbacks(chat)
        assert rollback.state == "succeeded", rollback


async def test_a_deploy_changed_again_since_is_not_rolled_back_by_itself(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    """Rolling back now would undo 2.4.2, not the 2.4.1 the gate judged."""
    async with chat_harness(
        configured(settings), database_url, understander, prometheus(SERIES["fail"], [])
    ) as chat:
        await confirmed(chat, "bob", "deploy checkout 2.4.0 to staging")
        judged = (await confirmed(chat, "bob", "deploy checkout 2.4.1 to staging"))[0].action_id
        later = (await confirmed(chat, "bob", "deploy checkout 2.4.2 to staging"))[0].action_id
        assert judged is not None and later is not None
        assert await chat.runtime.jobs.run(gating.JOB, {"action_id": judged}) == "fail"
        assert await rollbacks(chat) == []
        async with chat.runtime.store.transaction() as tx:
            (told,) = [n for n in await outbox.pending(tx, "bob") if "Health check" in n.text]
        assert f"changed again since (request #{later})" in told.text
        assert buttons(told) == ["Roll back"]


def worse_after_each_deploy() -> httpx.MockTransport:
    """query_range for gates running at once: the window that ends in the future is the one
    after its deploy (0.5% errors before, 5% after), whatever order the queries come in."""

    def handle(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        start = datetime.fromisoformat(params["start"])
        after = datetime.fromisoformat(params["end"]) > datetime.now(UTC)
        values = SERIES["fail"](after)
        points = [
            [(start + timedelta(seconds=30 * i)).timestamp(), str(v)] for i, v in enumerate(values)
        ]
        result = [{"metric": {}, "values": points}]
        body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handle)


async def test_two_gates_failing_at_once_take_the_last_automatic_rollback_only_once(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    everywhere = configured(settings, auto=[AutoRollback(service="checkout")], per_hour=1)
    async with chat_harness(
        everywhere, database_url, understander, worse_after_each_deploy()
    ) as chat:
        deployed = []
        for env in ("dev", "staging"):
            await confirmed(chat, "bob", f"deploy checkout 2.4.0 to {env}")
            replies = await confirmed(chat, "bob", f"deploy checkout 2.4.1 to {env}")
            deployed.append(replies[0].action_id)
        run = chat.runtime.jobs.run
        verdicts = await asyncio.gather(*(run(gating.JOB, {"action_id": d}) for d in deployed))
        assert verdicts == ["fail", "fail"]
        assert len(await rollbacks(chat)) == 1
        trail = await audit_trail(chat)
        outcomes = sorted(e.outcome for e in trail if e.event == "deploy.auto_rollback")
        assert outcomes == ["limit", "rolled back"]
