"""Health-gated deploys: deploy -> watch -> offer a rollback.

After a deploy succeeds, and when `[incidents] prometheus_url` and `gate_signals` are set, a
job (`deploy.gate`, chatbot/jobs/registry.py) runs at deploy time + window and compares the
window after the deploy with the window before (chatbot/incidents/prometheus.gate). The
deployer hears the verdict: on fail with a "Roll back" button, a request like any other (RBAC,
policy, confirmation), built again from the deploy action when pressed, never from the click.
Where `incidents.gate_auto_rollback` says so, a fail rolls back by itself instead, under the
same governance and audit (autoback.py); the button stays whenever that did not happen.
Inconclusive (no data, too few points, Prometheus down) never rolls back and offers nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot import texts
from chatbot.config import IncidentSettings
from chatbot.governance import actions, audit, outbox
from chatbot.governance.actions import State
from chatbot.incidents import autoback
from chatbot.incidents.auto import ACTOR, audience
from chatbot.incidents.health import GateResult, GateRule, GateVerdict
from chatbot.incidents.prometheus import Signal, gate
from chatbot.incidents.states import OPEN_STATES, EventKind
from chatbot.incidents.tables import Incident
from chatbot.types import Button, ButtonStyle, ButtonValue, ButtonVerb, ReplyKind

if TYPE_CHECKING:
    from chatbot.assistant import Assistant
    from chatbot.jobs.port import Enqueue
    from chatbot.jobs.registry import JobContext
    from chatbot.store.tables import Action

JOB = "deploy.gate"
DEPLOY = "deploy"


def wanted(settings: IncidentSettings, skill: str) -> bool:
    return skill == DEPLOY and bool(settings.prometheus_url and settings.gate_signals)


async def schedule(
    jobs: Enqueue, settings: IncidentSettings, action: Action, now: datetime
) -> None:
    """Called where a deploy has just succeeded: the gate runs once the window has passed.
    Only the action id travels (a queued job may run in another process, after a restart)."""
    if not wanted(settings, action.skill) or action.id is None:
        return
    await jobs.enqueue(
        JOB, at=now + timedelta(minutes=settings.gate_window_minutes), action_id=action.id
    )


def signals(settings: IncidentSettings) -> list[Signal]:
    return [
        Signal(
            s.query,
            GateRule(s.name, s.min_points, s.alpha, s.min_ratio, s.min_delta, s.slo_max),
        )
        for s in settings.gate_signals
    ]


async def run_gate(ctx: JobContext, action_id: int) -> str:
    """The `deploy.gate` job: judge the deploy and tell the deployer. Returns the verdict.
    The deploy time is when its action succeeded (its last state change)."""
    rt = ctx.runtime
    settings = rt.settings.incidents
    fin = rt.assistant.approvals.finish
    action = await fin.load(action_id)
    if action is None or action.skill != DEPLOY or not settings.prometheus_url:
        return "nothing to gate"
    if action.state != State.SUCCEEDED:
        return "the deploy did not succeed"
    deployed_at = action.updated_at
    if deployed_at.tzinfo is None:
        deployed_at = deployed_at.replace(tzinfo=UTC)
    slots = actions.slots_of(action)
    service, env = slots.get("service", ""), slots.get("env", "")
    result = await gate(
        rt.http,
        settings.prometheus_url,
        signals(settings),
        service,
        env,
        deployed_at,
        timedelta(minutes=settings.gate_window_minutes),
        settings.gate_step,
    )
    what = f"{service} {slots.get('version', '')} in {env}".replace("  ", " ")
    async with fin.store.transaction() as tx:  # the verdict is on record before anything acts
        await audit.append(
            tx,
            audit.AuditRecord(
                actor="assistant",
                event="deploy.gate",
                platform=action.platform,
                channel=action.channel,
                skill=DEPLOY,
                action_id=action_id,
                outcome=str(result.verdict),
                detail={"service": service, "env": env, "reason": result.reason[:500]},
            ),
        )
    attempt = autoback.Attempt(autoback.AutoBack.OFF)
    if result.verdict is GateVerdict.FAIL:  # never on pass or inconclusive
        attempt = await autoback.after_fail(rt.assistant, action)
    await _announce(rt.assistant, action, what, result, attempt)
    return str(result.verdict)


async def _announce(
    assistant: Assistant, action: Action, what: str, result: GateResult, attempt: autoback.Attempt
) -> None:
    """Tell the deployer the verdict; after an automatic rollback (or a reason it did not
    run), tell the service's responders too, put it on its open incidents' timelines and on
    the deploy's audit trail, all in one transaction."""
    text = texts.gate_verdict(what, str(result.verdict), result.reason)
    buttons: tuple[Button, ...] = ()
    kind = ReplyKind.INFO
    if result.verdict is GateVerdict.FAIL:
        kind = ReplyKind.ERROR
        if attempt.offer_button:
            value = str(ButtonValue(ButtonVerb.ROLLBACK, str(action.id)))
            buttons = (Button(texts.GATE_ROLLBACK, value, ButtonStyle.DANGER),)
    slots = actions.slots_of(action)
    service, env = slots.get("service", ""), slots.get("env", "")
    people: tuple[str, ...] = ()
    channel = None
    if attempt.outcome is not autoback.AutoBack.OFF:
        text = texts.gate_fail_auto(what, result.reason, attempt.said)
        people, channel = audience(assistant.settings.incidents, service)
    book = assistant.incidents.book
    async with book.store.transaction() as tx:
        if attempt.outcome is not autoback.AutoBack.OFF:
            await audit.append(tx, autoback.record(action, attempt, service, env, result.reason))
            line = texts.gate_timeline(what, result.reason, attempt.said)
            counted = attempt.outcome in autoback.ACTED
            event = EventKind.ACTION if counted else EventKind.NOTE
            for incident_id in await _open_incidents(tx, service, env):
                key = f"gate:{action.id}:{incident_id}"
                await book.record(tx, incident_id, event, ACTOR, line, key)
        outbox.notify(tx, [action.requester, *people], text, action.id, kind, buttons=buttons)
        if channel:
            outbox.notify(tx, [], text, action.id, kind, channel, buttons)


async def _open_incidents(tx: AsyncSession, service: str, env: str) -> list[int]:
    """The open incidents of this service and environment: where a rollback belongs."""
    rows = await tx.exec(
        select(Incident.id).where(
            col(Incident.service) == service,
            col(Incident.env) == env,
            col(Incident.state).in_([s.value for s in OPEN_STATES]),
        )
    )
    return [i for i in rows.all() if i is not None]


def rollback_slots(action: Action | None) -> dict[str, str] | None:
    """What "Roll back" asks for, from the deploy action itself (never from the click)."""
    if action is None or action.skill != DEPLOY:
        return None
    slots = actions.slots_of(action)
    if not slots.get("service") or not slots.get("env"):
        return None
    return {"service": slots["service"], "env": slots["env"]}
