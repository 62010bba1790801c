"""Approval cards: what approvers see, where it goes, and how it reads once decided.

A card carries the full context (who asks, what, risk, the policy that applies, how many
approvals, when it expires) and the Approve / Reject / Preview buttons. It goes to the
configured approvals channel, or else as a direct message to each approver. After every vote
or decision the same card is replaced (`Reply.updates`), so nobody clicks a stale card.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from chatbot import texts
from chatbot.governance import actions
from chatbot.store.tables import Action
from chatbot.times import UNKNOWN, Zone, say
from chatbot.types import Button, ButtonStyle, ButtonValue, ButtonVerb, Reply, ReplyKind

# A card's text for one reader: (the reader's zone, the requester's zone name) -> text. The
# same card says its times on each approver's own clock (chatbot/times.py).
Said = Callable[[Zone, str], str]
# The card for one recipient (a person's name; None for the approvals channel).
ForWhom = Callable[[str | None], str]
# In an action's rule trace (audited): the request was asked for a time (schedules.py).
TIMED = "; timed "


def starts_at(action: Action) -> datetime | None:
    """The start time a timed request asked for, read from its rule trace."""
    _, timed, at = action.rule.partition(TIMED)
    if not timed:
        return None
    try:
        return datetime.fromisoformat(at.split(";", 1)[0].strip())
    except ValueError:
        return None


def buttons(action_id: int) -> tuple[Button, ...]:
    return (
        Button(
            "Approve", str(ButtonValue.action(ButtonVerb.APPROVE, action_id)), ButtonStyle.PRIMARY
        ),
        Button("Reject", str(ButtonValue.action(ButtonVerb.REJECT, action_id)), ButtonStyle.DANGER),
        Button("Preview", str(ButtonValue.action(ButtonVerb.PREVIEW, action_id))),
    )


def card_text(
    action: Action,
    approved_by: Sequence[str] = (),
    what: str = "",
    zone: Zone = UNKNOWN,
    requester: str | None = None,
) -> str:
    """`what`: the request in the skill's own words (Finisher.what), never its id; `zone`
    the reader's clock, `requester` the requester's zone name (times.say)."""
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
    start = starts_at(action)
    if start is not None:
        text = f"{text} {texts.starts(say(start, zone, requester=requester))}"
    return f"{text} {count} Expires {say(action.expires_at, zone, requester=requester)}."


def card(action: Action, approved_by: Sequence[str] = (), what: str = "") -> Said:
    """The card, to be said on each reader's clock (Finisher.route)."""
    return lambda zone, requester: card_text(action, approved_by, what, zone, requester)


def route(
    action: Action,
    approvers: Sequence[str],
    channel: str,
    text: str | ForWhom,
    with_buttons: bool = True,
    updates: bool = False,
) -> list[Reply]:
    """One card in the approvals channel, or one direct message per approver (each with the
    text for that approver, when `text` says it per reader)."""
    said: ForWhom = text if callable(text) else (lambda _who: text)
    shown = buttons(action.id or 0) if with_buttons else ()
    update = action.id if updates else None
    if channel:
        return [
            Reply(said(None), ReplyKind.APPROVAL, shown, action.id, channel=channel, updates=update)
        ]
    return [
        Reply(said(name), ReplyKind.APPROVAL, shown, action.id, to=name, updates=update)
        for name in approvers
    ]


def decided_text(
    action: Action,
    verdict: str,
    by: str,
    at: datetime,
    what: str = "",
    zone: Zone = UNKNOWN,
    requester: str | None = None,
) -> str:
    what = what or texts.describe(action.skill, actions.slots_of(action))
    return (
        f"Request #{action.id} from {action.requester} ({what.rstrip('?')}): "
        f"{verdict} by {by} at {say(at, zone, requester=requester)}."
    )


def decided(action: Action, verdict: str, by: str, at: datetime, what: str = "") -> Said:
    """The decided card, to be said on each reader's clock (Finisher.route)."""
    return lambda zone, requester: decided_text(action, verdict, by, at, what, zone, requester)
