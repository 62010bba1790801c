"""Approval cards: what approvers see, where it goes, and how it reads once decided.

A card carries the full context (who asks, what, risk, the policy that applies, how many
approvals, when it expires) and the Approve / Reject / Preview buttons. It goes to the
configured approvals channel, or else as a direct message to each approver. After every vote
or decision the same card is replaced (`Reply.updates`), so nobody clicks a stale card.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chatbot import texts
from chatbot.governance import actions
from chatbot.store.tables import Action
from chatbot.types import Button, ButtonStyle, ButtonValue, ButtonVerb, Reply, ReplyKind


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else "never"


def buttons(action_id: int) -> tuple[Button, ...]:
    return (
        Button(
            "Approve", str(ButtonValue.action(ButtonVerb.APPROVE, action_id)), ButtonStyle.PRIMARY
        ),
        Button("Reject", str(ButtonValue.action(ButtonVerb.REJECT, action_id)), ButtonStyle.DANGER),
        Button("Preview", str(ButtonValue.action(ButtonVerb.PREVIEW, action_id))),
    )


def card_text(action: Action, approved_by: Sequence[str] = (), what: str = "") -> str:
    """`what`: the request in the skill's own words (Finisher.what), never its id."""
    text = texts.approval_card(
        action.id or 0,
        action.requester,
        what or action.skill,
        actions.slots_of(action),
        action.risk,
        action.rule,
        action.approvers_role or "",
    )
    count = texts.approvals_count(action.approvals_needed, list(approved_by))
    return f"{text} {count} Expires {_when(action.expires_at)}."


def route(
    action: Action,
    approvers: Sequence[str],
    channel: str,
    text: str,
    with_buttons: bool = True,
    updates: bool = False,
) -> list[Reply]:
    """One card in the approvals channel, or one direct message per approver."""
    shown = buttons(action.id or 0) if with_buttons else ()
    update = action.id if updates else None
    if channel:
        return [Reply(text, ReplyKind.APPROVAL, shown, action.id, channel=channel, updates=update)]
    return [
        Reply(text, ReplyKind.APPROVAL, shown, action.id, to=name, updates=update)
        for name in approvers
    ]


def decided_text(action: Action, verdict: str, by: str, at: datetime, what: str = "") -> str:
    what = what or texts.describe(action.skill, actions.slots_of(action))
    return (
        f"Request #{action.id} from {action.requester} ({what.rstrip('?')}): "
        f"{verdict} by {by} at {at:%Y-%m-%d %H:%M} UTC."
    )
