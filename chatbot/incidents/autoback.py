"""Automatic rollback after a failed health gate, where configuration says so.

`incidents.gate_auto_rollback` names the services and environments (globs) whose failed gate
rolls back by itself; nowhere else, and never on a pass or an inconclusive verdict (gating.py
only calls this on fail). The rollback is a person's rollback made by the directory person
`incidents.gate_rollback_as` (empty: `incidents.auto_as`), by the same steps as the runbooks
in auto.py: the decision (RBAC of that person, freezes, windows, policy, request checks and
rate limits, audited as "decided"), then `Approvals.run_now`, whose `Finisher.begin` is the one
start gate, or, where policy wants an approval, a request sent for approval. The configured
rule stands for the confirmation, as a runbook's `auto = true` does. A deploy changed again
since (a later deploy or rollback of the same service and environment) is not undone: the
rollback would undo the later change instead.

Bounded: at most `incidents.gate_rollback_per_hour` automatic rollbacks per service in any
hour. One that passed its decision takes one of them in the audit trail
(`deploy.auto_rollback.reserved`, counted and written under one lock), so the bound holds
across restarts, replicas and gates failing at once. Each deploy gets one attempt at most
(claimed like a delivered event). Whatever happens is audited on the deploy's action, written
on the open incidents of that service and environment, and said to the deployer and the
responders in words; where it did not roll back, the "Roll back" button stays with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from chatbot import texts
from chatbot.config import IncidentSettings
from chatbot.governance import actions, audit, outbox
from chatbot.governance.actions import State
from chatbot.incidents.auto import ACTOR, decide_as
from chatbot.store.tables import Action, AuditEntry, AuditHead, ProcessedEvent
from chatbot.types import Decision, Message, Principal, Reply, Verdict, utcnow
from skills.api import SkillSpec

if TYPE_CHECKING:
    from chatbot.assistant import Assistant

PLATFORM = "deploy-gate"  # where the assistant's own rollback requests come from, in the audit
EVENT = "deploy.auto_rollback"
RESERVED = "deploy.auto_rollback.reserved"  # one of the hour's automatic rollbacks, taken
DEPLOY, ROLLBACK = "deploy", "deploy.rollback"
# States of an action that changed something (as for suspected changes).
_CHANGED = (State.QUEUED, State.RUNNING, State.SUCCEEDED, State.FAILED, State.INTERRUPTED)


class AutoBack(StrEnum):
    """What became of the automatic rollback after a failed gate."""

    OFF = "off"  # no rule for this service and environment: the button only
    ROLLED_BACK = "rolled back"
    FAILED = "failed"  # started, and the rollback itself failed
    QUEUED = "queued"  # started on a worker; its result comes from there
    SENT_FOR_APPROVAL = "sent for approval"
    REFUSED = "refused"  # RBAC, policy, a window, a freeze, a limit or the start gate
    NO_IDENTITY = "no identity"
    LIMIT = "limit"
    TAKEN = "taken"  # this deploy had its one attempt already (the gate ran twice)
    SUPERSEDED = "superseded"  # deployed or rolled back again since: not this deploy's to undo


# Attempts that acted: a rollback started or handed to approvers (an action on the timeline).
ACTED = frozenset(
    {AutoBack.ROLLED_BACK, AutoBack.FAILED, AutoBack.QUEUED, AutoBack.SENT_FOR_APPROVAL}
)
# Where a person should still be able to roll back by pressing the button.
KEEP_BUTTON = frozenset(
    {
        AutoBack.OFF,
        AutoBack.FAILED,
        AutoBack.REFUSED,
        AutoBack.NO_IDENTITY,
        AutoBack.LIMIT,
        AutoBack.SUPERSEDED,
    }
)


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: AutoBack
    said: str = ""  # the sentence for people, after the verdict ("" when off)
    rollback_id: int | None = None
    why: str = ""  # the reason it did not run, for the audit entry

    @property
    def offer_button(self) -> bool:
        return self.outcome in KEEP_BUTTON


def wanted(settings: IncidentSettings, service: str, env: str) -> bool:
    """Whether a failed gate of this service and environment rolls back by itself."""
    return any(
        fnmatchcase(service, rule.service) and fnmatchcase(env, rule.env)
        for rule in settings.gate_auto_rollback
    )


def identity(settings: IncidentSettings) -> str:
    return settings.gate_rollback_as or settings.auto_as


def _this_hour() -> SelectOfScalar[str]:
    return select(AuditEntry.detail).where(
        col(AuditEntry.event) == RESERVED, col(AuditEntry.at) >= utcnow() - timedelta(hours=1)
    )


def _of(details: Sequence[str], service: str) -> int:
    """The entries of this service (it is in each entry's detail; an hour holds few)."""
    return sum(1 for d in details if json.loads(d).get("service") == service)


async def _reserve(assistant: Assistant, who: str, deploy: Action, service: str, env: str) -> bool:
    """Take one of the hour's automatic rollbacks of this service, or say there is none
    left. Counted and written in one transaction under the audit head's lock (SQLite's
    BEGIN IMMEDIATE already is one), so two gates failing at once cannot both take the last."""
    per_hour = assistant.settings.incidents.gate_rollback_per_hour
    async with assistant.store.transaction() as tx:
        await tx.exec(select(AuditHead.id).where(col(AuditHead.id) == 1).with_for_update())
        if _of((await tx.exec(_this_hour())).all(), service) >= per_hour:
            return False
        taken = audit.AuditRecord(
            actor=who,
            event=RESERVED,
            platform=PLATFORM,
            channel=f"deploy-{deploy.id}",
            skill=ROLLBACK,
            action_id=deploy.id,
            outcome="reserved",
            detail={"service": service, "env": env},
        )
        await audit.append(tx, taken)
    return True


async def _claim(assistant: Assistant, deploy_id: int) -> bool:
    """One attempt per deploy, even when its gate job runs twice or on two workers: the
    first to record the (platform, event) pair wins, as for a redelivered chat event."""
    try:
        async with assistant.store.transaction() as tx:
            key = (PLATFORM, f"rollback:{deploy_id}")
            if await tx.get(ProcessedEvent, key) is not None:
                return False
            tx.add(ProcessedEvent(platform=PLATFORM, event_id=key[1], at=utcnow()))
    except IntegrityError:
        return False
    return True


async def _changed_since(
    assistant: Assistant, deploy: Action, service: str, env: str
) -> int | None:
    """A later deploy or rollback of the same service and environment (its id), if any: a
    rollback now would undo that one, not the deploy the gate judged, so no automatic one."""
    query = select(Action).where(
        col(Action.id) > (deploy.id or 0),
        col(Action.skill).in_([DEPLOY, ROLLBACK]),
        col(Action.state).in_(_CHANGED),
    )
    async with assistant.store.read() as tx:
        later = (await tx.exec(query)).all()
    same = {"service": service, "env": env}
    return next((a.id for a in later if same.items() <= actions.slots_of(a).items()), None)


async def after_fail(assistant: Assistant, deploy: Action) -> Attempt:
    """Roll back a deploy whose gate failed, if configuration says so here, as a person's
    rollback would go. Never raises for a refusal: it becomes the attempt's sentence."""
    settings = assistant.settings.incidents
    slots = actions.slots_of(deploy)
    service, env = slots.get("service", ""), slots.get("env", "")
    if not (service and env and wanted(settings, service, env)):
        return Attempt(AutoBack.OFF)
    if deploy.id is None or not await _claim(assistant, deploy.id):
        return Attempt(AutoBack.TAKEN, texts.GATE_AUTO_TAKEN)
    later = await _changed_since(assistant, deploy, service, env)
    if later is not None:
        why = texts.gate_auto_superseded(later)
        return Attempt(AutoBack.SUPERSEDED, texts.gate_auto_not_run(why), why=why)
    who = identity(settings)
    principal = assistant.directory.find(who)
    spec = assistant.registry.spec(ROLLBACK)
    if principal is None:
        why = texts.auto_unset(who)
        return Attempt(AutoBack.NO_IDENTITY, texts.gate_auto_not_run(why), why=why)
    if spec is None or not assistant.registry.connected(ROLLBACK):
        why = texts.GATE_AUTO_NO_SKILL
        return Attempt(AutoBack.REFUSED, texts.gate_auto_not_run(why), why=why)
    wanted_slots = {"service": service, "env": env}
    message = Message(
        PLATFORM,
        principal.name,
        channel=f"deploy-{deploy.id}",
        event_id=f"gate-rollback:{deploy.id}",
    )
    decision = await decide_as(assistant, principal, message, spec, wanted_slots)
    if decision.verdict is Verdict.DENY:
        why = texts.gate_auto_refused(principal.name, decision.reason)
        return Attempt(AutoBack.REFUSED, texts.gate_auto_not_run(why), why=why)
    if not await _reserve(assistant, principal.name, deploy, service, env):
        why = texts.gate_auto_limit(settings.gate_rollback_per_hour, service)
        return Attempt(AutoBack.LIMIT, texts.gate_auto_not_run(why), why=why)
    if decision.verdict is Verdict.APPROVE:
        return await _for_approval(assistant, principal, message, spec, wanted_slots, decision)
    replies = await assistant.approvals.run_now(principal, message, spec, wanted_slots, decision)
    return await _ran(assistant, replies, f"{service} in {env}")


async def _for_approval(
    assistant: Assistant,
    principal: Principal,
    message: Message,
    spec: SkillSpec,
    slots: dict[str, str],
    decision: Decision,
) -> Attempt:
    """Policy wants an approval: the request is made and sent to the approvers, as a person's
    "Send for approval" would; approvers get their cards through the outbox (nobody is in a
    conversation with the gate)."""
    asked = await assistant.approvals.request(principal, message, spec, slots, decision)
    rollback_id = asked[0].action_id if asked else None
    if rollback_id is None:
        return Attempt(AutoBack.REFUSED, texts.gate_auto_not_run(texts.STALE_BUTTON))
    sent = await assistant.approvals.confirm(principal, message, rollback_id)
    await _post_cards(assistant, sent)
    answer = sent[0].text if sent else ""
    return Attempt(AutoBack.SENT_FOR_APPROVAL, texts.gate_auto_approval(answer), rollback_id)


async def _post_cards(assistant: Assistant, replies: list[Reply]) -> None:
    """Approval cards, for approvers and the approvals channel, into the outbox."""
    cards = [r for r in replies if r.to or r.channel]
    if not cards:
        return
    async with assistant.store.transaction() as tx:
        for card in cards:
            outbox.notify(
                tx,
                [card.to] if card.to else [],
                card.text,
                card.action_id,
                card.kind,
                channel=card.channel,
                buttons=card.buttons,
            )


async def _ran(assistant: Assistant, replies: list[Reply], where: str) -> Attempt:
    """What the start gate and the run made of it, from the rollback action's own state."""
    rollback_id = next((r.action_id for r in replies if r.action_id is not None), None)
    answer = replies[0].text if replies else ""
    action = None if rollback_id is None else await assistant.approvals.load(rollback_id)
    state = State(action.state) if action is not None else State.DENIED
    if state is State.SUCCEEDED:
        return Attempt(AutoBack.ROLLED_BACK, texts.gate_auto_ran(where, answer), rollback_id)
    if state in (State.QUEUED, State.RUNNING):
        return Attempt(AutoBack.QUEUED, texts.gate_auto_started(where, answer), rollback_id)
    if state in (State.FAILED, State.INTERRUPTED):
        return Attempt(AutoBack.FAILED, texts.gate_auto_failed(where, answer), rollback_id)
    why = action.result if action is not None and action.result else answer
    return Attempt(AutoBack.REFUSED, texts.gate_auto_not_run(why), rollback_id, why)


def record(
    deploy: Action, attempt: Attempt, service: str, env: str, reason: str
) -> audit.AuditRecord:
    """The audit entry on the deploy's own trail: what the failed gate led to, and why."""
    return audit.AuditRecord(
        actor=ACTOR,
        event=EVENT,
        platform=PLATFORM,
        channel=f"deploy-{deploy.id}",
        skill=ROLLBACK,
        action_id=deploy.id,
        outcome=str(attempt.outcome),
        detail={
            "service": service,
            "env": env,
            "rollback_action_id": attempt.rollback_id,
            "verdict": reason[:500],
            "why": attempt.why[:500],
        },
    )
