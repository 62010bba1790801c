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
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from chatbot import texts
from chatbot.governance import outbox
from chatbot.incidents.book import EventKind, incident_ref
from chatbot.incidents.desk import Remedy, remedies
from chatbot.incidents.tables import Incident, IncidentEvent
from chatbot.types import Message, ReplyKind, Verdict

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
    decision = assistant.authorizer.decide(principal, spec, remedy.slots)
    if decision.verdict in (Verdict.DENY, Verdict.APPROVE):
        approve = decision.verdict is Verdict.APPROVE
        why = texts.auto_needs_approval() if approve else decision.reason
        await book.note(incident_id, ACTOR, texts.auto_skipped(remedy.title, why), key)
        return
    async with book.store.transaction() as tx:
        decision = await assistant.authorizer.count(tx, principal, spec, remedy.slots, decision)
    if decision.verdict is Verdict.DENY:
        await book.note(incident_id, ACTOR, texts.auto_skipped(remedy.title, decision.reason), key)
        return
    replies = await assistant.approvals.run_now(principal, message, spec, remedy.slots, decision)
    answer = replies[0].text if replies else ""
    await _done(assistant, incident_id, incident.service, remedy, answer, key)
    failed = any(r.kind is ReplyKind.ERROR for r in replies)
    log.info("auto remediation %s for %s: %s", remedy.skill, incident_ref(incident_id), failed)


async def _done(
    assistant: Assistant, incident_id: int, service: str, remedy: Remedy, answer: str, key: str
) -> None:
    book, settings = assistant.incidents.book, assistant.settings.incidents
    text = texts.auto_ran(remedy.title, answer)
    people = settings.responders.get(service) or settings.responders.get("*", ())
    channel = settings.channels.get(service) or settings.channels.get("*")
    async with book.store.transaction() as tx:
        await book.record_action(tx, incident_id, ACTOR, text, key)
        outbox.notify(tx, people, f"{incident_ref(incident_id)}: {text}", channel=channel)
