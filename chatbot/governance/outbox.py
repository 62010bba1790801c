"""The notification outbox: what to tell people when no conversation is waiting for a reply.

Replies to a message go back through `Assistant.handle`'s return value. Some events have no
message to answer: an approval request expiring on a timer, an action interrupted by a
restart. Those are written here, in the same transaction as the state change, and an adapter
(or `chatops approvals list`, or the web inbox) delivers them and marks them delivered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.store.tables import Notification
from chatbot.types import Button, ButtonStyle, Reply, ReplyKind, utcnow


def notify(
    session: AsyncSession,
    recipients: Iterable[str],
    text: str,
    action_id: int | None = None,
    kind: ReplyKind = ReplyKind.INFO,
    channel: str | None = None,
    buttons: Sequence[Button] = (),
) -> None:
    """Queue one notification per distinct recipient (and one for `channel` when given)."""
    now = utcnow()
    shown = json.dumps([[b.label, b.value, b.style.value] for b in buttons])
    for person in dict.fromkeys(recipients):
        session.add(
            Notification(
                recipient=person,
                action_id=action_id,
                kind=kind,
                text=text,
                created_at=now,
                buttons=shown,
            )
        )
    if channel:
        session.add(
            Notification(
                channel=channel,
                action_id=action_id,
                kind=kind,
                text=text,
                created_at=now,
                buttons=shown,
            )
        )


async def pending(session: AsyncSession, recipient: str | None = None) -> list[Notification]:
    """Undelivered notifications, oldest first; only one person's when `recipient` is given."""
    query = select(Notification).where(col(Notification.delivered_at).is_(None))
    if recipient is not None:
        query = query.where(Notification.recipient == recipient)
    return list((await session.exec(query.order_by(col(Notification.id)))).all())


async def delivered(session: AsyncSession, ids: Iterable[int]) -> None:
    await session.exec(
        update(Notification)  # type: ignore[call-overload]
        .where(col(Notification.id).in_(list(ids)), col(Notification.delivered_at).is_(None))
        .values(delivered_at=utcnow())
    )


def as_reply(note: Notification) -> Reply:
    return Reply(
        note.text,
        ReplyKind(note.kind),
        action_id=note.action_id,
        to=note.recipient,
        channel=note.channel,
        updates=note.action_id if note.kind == ReplyKind.APPROVAL else None,
        buttons=tuple(
            Button(label, value, ButtonStyle(style))
            for label, value, style in json.loads(note.buttons)
        ),
    )
