"""Platform-neutral bookkeeping for chat adapters: which replies start or move an action, and
the status line a platform message shows once the action moved on.

The adapters (Slack, Teams) post the messages and edit them; this module only decides what the
edit says, from the persisted action state, so every replica and both platforms agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chatbot.store import channels
from chatbot.store.channels import PostedMessage
from chatbot.store.engine import Store
from chatbot.store.tables import Action, ProcessedEvent
from chatbot.types import Reply, ReplyKind

DECISIONS = {
    "confirm": "Confirmed",
    "cancel": "Cancelled",
    "approve": "Approved",
    "reject": "Rejected",
}
OPEN = frozenset({"awaiting_confirmation", "awaiting_approval"})
FINISHED = {"succeeded": "✅", "failed": "❌", "cancelled": "🚫", "rejected": "🚫", "expired": "⌛"}


@dataclass(frozen=True, slots=True)
class Press:
    """A button value read as a decision on an action ("approve:12")."""

    verb: str
    action_id: int

    @classmethod
    def parse(cls, value: str) -> Press | None:
        verb, _, arg = value.partition(":")
        return cls(verb, int(arg)) if verb in DECISIONS and arg.isdigit() else None


def role_of(reply: Reply) -> str | None:
    """Which tracked message a reply becomes: the requester's card or an approval card."""
    if reply.action_id is None:
        return None
    if reply.kind is ReplyKind.CONFIRM:
        return channels.REQUEST
    if reply.kind is ReplyKind.APPROVAL:
        return channels.APPROVAL
    return None


def took_effect(press: Press, replies: Sequence[Reply]) -> bool:
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
) -> list[Settled]:
    """The edits for every tracked message of an action; approval cards keep their buttons
    while the action still waits for approval."""
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
        text = "\n".join(part for part in (post.text, line, result) if part)
        edits.append(Settled(post, text))
    return edits
