"""Automatic remediation, bounded by policy: a runbook with `auto = true` runs when its
incident opens, without a person pressing the button.

It is a request like any other, made by the assistant as the directory person
`incidents.auto_as`: RBAC (that person's grants bound what may run by itself), policy, windows,
freezes and the start checks all apply, and a skill that needs approval is not run but left as
the card's button. Confirmation is what the runbook's `auto = true` stands for. At most
`incidents.auto_per_hour` automatic runs per service in any hour, counted from the timeline, so
an alert storm cannot restart a service in a loop. Every outcome goes on the timeline with
actor "assistant" (the auto-remediation KPI counts those), and to the incident's responders.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from chatbot import records, texts
from chatbot.config import IncidentSettings
from chatbot.governance import audit, outbox
from chatbot.governance.rbac import channel_kind
from chatbot.incidents.book import EventKind, incident_ref
from chatbot.incidents.desk import Remedy, remedies
from chatbot.incidents.tables import Incident, IncidentEvent
from chatbot.types import Decision, Message, Principal, ReplyKind, Verdict
from skills.api import SkillSpec

if TYPE_CHECKING:
    from chatbot.assistant import Assistant

log = logging.getLogger(__name__)
ACTOR = "assistant"


async def runs_this_hour(assistant: Assistant, service: str) -> int:
    """Automatic runs for this service in the last hour, from the timeline."""
    book = assistant.incidents.book
    since = book.clock() - timedelta(hours=1)
    async with book.store.transaction() as tx:
        return (
            await tx.exec(
                select(func.count())
                .select_from(IncidentEvent)
                .join(Incident, col(Incident.id) == col(IncidentEvent.incident_id))
                .where(
                    col(Incident.service) == service,
                    col(IncidentEvent.kind) == EventKind.ACTION.value,
                    col(IncidentEvent.actor) == ACTOR,
                    col(IncidentEvent.at) >= since,
                )
            )
        ).one()


async def remediate(assistant: Assistant, opened: Sequence[int]) -> None:
    """For each newly opened incident, run its first automatic runbook if policy allows.
    Never raises: intake has answered already, and a person can still press the button."""
    for incident_id in opened:
        try:
            await _one(assistant, incident_id)
        except Exception:
            log.exception("automatic remediation of %s failed", incident_ref(incident_id))


async def _one(assistant: Assistant, incident_id: int) -> None:
    book, settings = assistant.incidents.book, assistant.settings.incidents
    incident = await book.get(incident_id)
    offered = remedies(settings, incident.title, incident.service, incident.env)
    remedy = next((r for r in offered if r.auto), None)
    if remedy is None:
        return
    key = f"auto:{incident_id}"
    principal = assistant.directory.find(settings.auto_as)
    spec = assistant.registry.spec(remedy.skill)
    if principal is None or spec is None:
        why = texts.auto_unset(settings.auto_as) if spec else texts.STALE_BUTTON
        await book.note(incident_id, ACTOR, texts.auto_skipped(remedy.title, why), key)
        return
    if await runs_this_hour(assistant, incident.service) >= settings.auto_per_hour:
        why = texts.auto_limit(settings.auto_per_hour, incident.service)
        await book.note(incident_id, ACTOR, texts.auto_skipped(remedy.title, why), key)
        return
    message = Message("incidents", principal.name, channel=incident_ref(incident_id), event_id=key)
    decision = await decide_as(assistant, principal, message, spec, remedy.slots)
    if decision.verdict in (Verdict.DENY, Verdict.APPROVE):
        approve = decision.verdict is Verdict.APPROVE
        why = texts.auto_needs_approval() if approve else decision.reason
        await book.note(incident_id, ACTOR, texts.auto_skipped(remedy.title, why), key)
        return
    replies = await assistant.approvals.run_now(principal, message, spec, remedy.slots, decision)
    answer = replies[0].text if replies else ""
    await _done(assistant, incident_id, incident.service, remedy, answer, key)
    failed = any(r.kind is ReplyKind.ERROR for r in replies)
    log.info("auto remediation %s for %s: %s", remedy.skill, incident_ref(incident_id), failed)


async def decide_as(
    assistant: Assistant,
    principal: Principal,
    message: Message,
    spec: SkillSpec,
    slots: Mapping[str, str],
) -> Decision:
    """A person's request up to its decision, for the assistant acting by itself: RBAC,
    freezes, windows and policy (`decide`), the request checks and rate limits (`count`),
    and the same "decided" audit entry `Assistant._proceed` writes for a person."""
    where = channel_kind(message.platform, message.channel)
    decision = assistant.authorizer.decide(principal, spec, slots, channel=where)
    async with assistant.store.transaction() as tx:
        decision = await assistant.authorizer.count(tx, principal, spec, slots, decision)
        detail = records.decided_detail(decision, slots)
        decided = records.record(principal, message, "decided", decision.verdict, spec.name, detail)
        await audit.append(tx, decided)
    return decision


def audience(settings: IncidentSettings, service: str) -> tuple[tuple[str, ...], str | None]:
    """Who hears what the assistant did by itself for a service: its responders and channel
    (or the "*" ones)."""
    people = settings.responders.get(service) or settings.responders.get("*", ())
    return people, settings.channels.get(service) or settings.channels.get("*")


async def _done(
    assistant: Assistant, incident_id: int, service: str, remedy: Remedy, answer: str, key: str
) -> None:
    book, settings = assistant.incidents.book, assistant.settings.incidents
    text = texts.auto_ran(remedy.title, answer)
    people, channel = audience(settings, service)
    async with book.store.transaction() as tx:
        await book.record_action(tx, incident_id, ACTOR, text, key)
        outbox.notify(tx, people, f"{incident_ref(incident_id)}: {text}", channel=channel)
