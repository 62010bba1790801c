"""What the pipeline's stages write and show that needs no state: the audit records of a
message's steps, the first-delivery check of a platform event, and the confirm buttons.
Kept apart from `Assistant` (assistant.py) and `Conversing` (conversing.py), which both use
them."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from chatbot import texts
from chatbot.dialogue import Pending
from chatbot.governance import audit
from chatbot.governance.redaction import redact
from chatbot.store.tables import ProcessedEvent
from chatbot.types import (
    Button,
    ButtonStyle,
    ButtonValue,
    ButtonVerb,
    Decision,
    Interpretation,
    Message,
    Principal,
)


def decided_detail(decision: Decision, slots: Mapping[str, str]) -> dict[str, object]:
    """What the "decided" entry of a request keeps, whoever asked (a person, a reviewer, the
    assistant by itself): the verdict, the rule behind it and the slots."""
    return {"verdict": decision.verdict, "rule": decision.rule, "slots": dict(slots)}


def record(
    principal: Principal,
    message: Message,
    event: str,
    outcome: str,
    skill: str | None = None,
    detail: Mapping[str, object] | None = None,
) -> audit.AuditRecord:
    """One step of this message, as the audit trail keeps it; without `detail`, what was
    said (redacted) or pressed."""
    if detail is None:
        # Redacted before it is cut: half a token would no longer look like one.
        if message.press:
            shown = message.press.value
        else:
            shown = redact(texts.printable(message.text))[:500]
        detail = {"text": shown, "event_id": message.event_id}
    return audit.AuditRecord(
        actor=principal.name,
        event=event,
        platform=message.platform,
        channel=message.channel,
        skill=skill,
        outcome=outcome,
        detail=detail,
    )


def understood(principal: Principal, message: Message, meant: Interpretation) -> audit.AuditRecord:
    """What the message was read as: the skill, how sure, the slots, or why it was declined."""
    detail = {
        "skill": meant.skill,
        "confidence": round(meant.confidence, 3),
        "slots": meant.slot_values(),
        "declined": meant.declined,
    }
    return record(principal, message, "understood", meant.skill or "none", meant.skill, detail)


def first_delivery(tx: Session, message: Message) -> bool:
    """False when the platform already delivered this event (it is then dropped). In a
    synchronous transaction function (`Store.run`); a delivery racing this one in another
    transaction fails on the key at commit (IntegrityError)."""
    if not message.event_id:
        return True
    key = (message.platform, message.event_id)
    if tx.get(ProcessedEvent, key) is not None:
        return False
    tx.add(
        ProcessedEvent(platform=message.platform, event_id=message.event_id, at=message.received_at)
    )
    return True


def confirm_buttons(pending: Pending, approval: bool = False) -> tuple[Button, ...]:
    """Confirm (or Send for approval) and Cancel, for the action an open question is about."""
    action = pending.action_id
    label = texts.SEND_FOR_APPROVAL if approval else texts.CONFIRM_BUTTON
    return (
        Button(label, str(ButtonValue(ButtonVerb.CONFIRM, str(action))), ButtonStyle.PRIMARY),
        Button(
            texts.CANCEL_BUTTON,
            str(ButtonValue(ButtonVerb.CANCEL, str(action))),
            ButtonStyle.DANGER,
        ),
    )
