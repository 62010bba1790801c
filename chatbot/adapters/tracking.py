"""Platform-neutral bookkeeping for chat adapters: which replies start or move an action, and
the status line a platform message shows once the action moved on.

The adapters (Slack, Teams) post the messages and edit them; this module only decides what the
edit says, from the persisted action state, so every replica and both platforms agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from chatbot.store import channels
from chatbot.store.channels import PostedMessage
from chatbot.store.engine import Store
from chatbot.store.tables import Action, ProcessedEvent
from chatbot.types import ButtonPress, ButtonValue, ButtonVerb, Reply, ReplyKind

# What a decision button did, as its card says afterwards (keyed by ButtonVerb values).
DECISIONS = {
    "confirm": "Confirmed",
    "cancel": "Cancelled",
    "approve": "Approved",
    "reject": "Rejected",
}
OPEN = frozenset({"awaiting_confirmation", "awaiting_approval"})
FINISHED = {"succeeded": "✅", "failed": "❌", "cancelled": "🚫", "rejected": "🚫", "expired": "⌛"}


def decision_of(press: ButtonPress | None) -> ButtonValue | None:
    """The press read as a decision on an action (confirm, cancel, approve, reject), or None
    (a typed message, a preview, a slot answer, or a value no reply of ours offered)."""
    value = press.parsed if press is not None else None
    return value if value is not None and str(value.verb) in DECISIONS else None


async def answers_own(store: Store, press: ButtonValue, person: str) -> bool:
    """True for the requester's own Confirm or Cancel on an action still waiting for it:
    the only click whose effect is known before the pipeline decides, so the only one a card
    may show as being worked on at once. Nobody else's click is shown before it is decided."""
    if press.verb not in (ButtonVerb.CONFIRM, ButtonVerb.CANCEL) or press.action_id is None:
        return False
    async with store.transaction() as tx:
        action = await tx.get(Action, press.action_id)
    return (
        action is not None
        and action.requester == person
        and action.state == "awaiting_confirmation"
    )


def role_of(reply: Reply) -> str | None:
    """Which tracked message a reply becomes: the requester's card or an approval card."""
    if reply.action_id is None:
        return None
    if reply.kind is ReplyKind.CONFIRM:
        return channels.REQUEST
    if reply.kind is ReplyKind.APPROVAL:
        return channels.APPROVAL
    return None


def took_effect(press: ButtonValue, replies: Sequence[Reply]) -> bool:
    """True when the pipeline acted on the press (its answer is tied to the action)."""
    return any(r.action_id == press.action_id and r.kind is not ReplyKind.ERROR for r in replies)


def moved_actions(replies: Sequence[Reply]) -> list[int]:
    """Actions that some reply reports progress on (not the cards that ask about them).

    Callers skip this for a Preview press: a preview is tied to the action but moves nothing.
    """
    seen: list[int] = []
    for reply in replies:
        wanted = reply.action_id is not None and role_of(reply) is None
        if wanted and reply.action_id not in seen:
            seen.append(reply.action_id)  # type: ignore[arg-type]
    return seen


def result_of(action_id: int, replies: Sequence[Reply]) -> str:
    return "\n".join(
        r.text for r in replies if r.action_id == action_id and r.kind is ReplyKind.RESULT
    )[:1500]


def status_line(state: str, verb: str | None, who: str, when: datetime) -> str:
    at = when.strftime("%Y-%m-%d %H:%M UTC")
    if state == "awaiting_approval":
        return f"📨 Sent for approval by {who} at {at}"
    if state == "awaiting_confirmation":
        return f"⏳ {DECISIONS.get(verb or '', 'Answered')} by {who} at {at}; working on it…"
    if state in ("approved", "running"):
        return f"⏳ {DECISIONS.get(verb or '', 'Confirmed')} by {who} at {at}; running…"
    mark = FINISHED.get(state, "•")
    label = {"cancelled": "Cancelled", "rejected": "Rejected", "expired": "Expired"}.get(state)
    return f"{mark} {label or DECISIONS.get(verb or '', 'Confirmed')} by {who} at {at}"


async def delivered(store: Store, platform: str, event_id: str) -> bool:
    """True when the pipeline already took this event: a redelivery, to drop before any edit.

    The pipeline stays the authority (it drops a repeat by itself); this only keeps a repeated
    click from flashing "working on it" over a card that was decided long ago.
    """
    async with store.transaction() as tx:
        return await tx.get(ProcessedEvent, (platform, event_id)) is not None


async def state_of(store: Store, action_id: int) -> str | None:
    async with store.transaction() as tx:
        action = await tx.get(Action, action_id)
    return action.state if action else None


@dataclass(frozen=True, slots=True)
class Settled:
    """One tracked message to edit, and what it now says."""

    post: PostedMessage
    text: str


async def settle(
    store: Store,
    platform: str,
    action_id: int,
    verb: str | None,
    who: str,
    when: datetime,
    replies: Sequence[Reply],
    escape: Callable[[str], str] = str,
) -> list[Settled]:
    """The edits for every tracked message of an action; approval cards keep their buttons
    while the action still waits for approval. `escape` makes the texts we did not write (the
    request, the result) inert in the platform's markup, as the first post made them."""
    async with store.transaction() as tx:
        action = await tx.get(Action, action_id)
        posts = await channels.posts_for(tx, action_id, platform)
    if action is None:
        return []
    line = status_line(action.state, verb, who, when)
    result = result_of(action_id, replies) or (action.result if action.state in FINISHED else "")
    edits = []
    for post in posts:
        if action.state == "awaiting_approval" and post.role == channels.APPROVAL:
            continue
        text = "\n".join(part for part in (escape(post.text), line, escape(result)) if part)
        edits.append(Settled(post, text))
    return edits
