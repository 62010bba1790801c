"""Dialogue state: what the assistant waits for from one person in one place.

It lives in the database, not in memory, so an answer or a button click may land on another
replica or after a restart. An open question expires; an expired one is simply gone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.store.tables import Conversation
from chatbot.types import Message, Principal, utcnow

CONFIRM = "confirm"
CHOICE = "choice"
SLOT = "slot:"


@dataclass(frozen=True, slots=True)
class Pending:
    """An open question: a slot to fill, a confirmation, or a choice between skills."""

    awaiting: str
    skill: str = ""
    slots: Mapping[str, str] = field(default_factory=dict)
    action_id: int | None = None
    choices: tuple[str, ...] = ()

    @property
    def slot(self) -> str | None:
        return self.awaiting.removeprefix(SLOT) if self.awaiting.startswith(SLOT) else None


def conversation_key(principal: Principal, message: Message) -> str:
    return f"{principal.name}|{message.platform}|{message.channel}"


async def load(session: AsyncSession, key: str) -> Pending | None:
    row = await session.get(Conversation, key)
    if row is None:
        return None
    if row.expires_at <= utcnow():
        await session.delete(row)
        return None
    return Pending(
        awaiting=row.awaiting,
        skill=row.skill,
        slots=dict(json.loads(row.slots)),
        action_id=row.action_id,
        choices=tuple(json.loads(row.choices)),
    )


async def save(session: AsyncSession, key: str, pending: Pending, ttl: timedelta) -> None:
    now = utcnow()
    row = await session.get(Conversation, key)
    if row is None:
        row = Conversation(key=key, expires_at=now, updated_at=now)
    row.awaiting = pending.awaiting
    row.skill = pending.skill
    row.slots = json.dumps(dict(pending.slots), sort_keys=True)
    row.action_id = pending.action_id
    row.choices = json.dumps(list(pending.choices))
    row.expires_at = now + ttl
    row.updated_at = now
    session.add(row)


async def clear(session: AsyncSession, key: str) -> None:
    row = await session.get(Conversation, key)
    if row is not None:
        await session.delete(row)


def expired(when: datetime | None) -> bool:
    return when is not None and when <= utcnow()
