"""Health-gated deploys: deploy -> watch -> offer a rollback.

After a deploy succeeds, and when `[incidents] prometheus_url` and `gate_signals` are set, a
job (`deploy.gate`, chatbot/jobs/registry.py) runs at deploy time + window and compares the
window after the deploy with the window before (chatbot/incidents/prometheus.gate). The
deployer hears the verdict: on fail with a "Roll back" button, a request like any other (RBAC,
policy, confirmation), built again from the deploy action when pressed, never from the click.
Inconclusive (no data, too few points, Prometheus down) never rolls back and offers nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chatbot import texts
from chatbot.config import IncidentSettings
from chatbot.governance import actions, audit, outbox
from chatbot.governance.actions import State
from chatbot.incidents.health import GateRule, GateVerdict
from chatbot.incidents.prometheus import Signal, gate
from chatbot.types import Button, ButtonStyle, ButtonValue, ButtonVerb, ReplyKind

if TYPE_CHECKING:
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
    text = texts.gate_verdict(what, str(result.verdict), result.reason)
    buttons: tuple[Button, ...] = ()
    kind = ReplyKind.INFO
    if result.verdict is GateVerdict.FAIL:
        kind = ReplyKind.ERROR
        value = str(ButtonValue(ButtonVerb.ROLLBACK, str(action_id)))
        buttons = (Button(texts.GATE_ROLLBACK, value, ButtonStyle.DANGER),)
    async with fin.store.transaction() as tx:
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
        outbox.notify(tx, [action.requester], text, action_id, kind, buttons=buttons)
    return str(result.verdict)


def rollback_slots(action: Action | None) -> dict[str, str] | None:
    """What "Roll back" asks for, from the deploy action itself (never from the click)."""
    if action is None or action.skill != DEPLOY:
        return None
    slots = actions.slots_of(action)
    if not slots.get("service") or not slots.get("env"):
        return None
    return {"service": slots["service"], "env": slots["env"]}
