"""Dialogue state: what the assistant waits for from one person in one place.

It lives in the database, not in memory, so an answer or a button click may land on another
replica or after a restart. An open question expires; an expired one is simply gone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.store.engine import upsert
from chatbot.store.tables import Conversation
from chatbot.types import Message, Principal, utcnow

CONFIRM = "confirm"
CHOICE = "choice"
SLOT = "slot:"
REMINDED = "reminded"  # in `choices` of a confirmation: a new request already reminded of it


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
    """The open question, or None (an expired one is closed on the way)."""
    return await session.run_sync(read, key)


def read(session: Session, key: str) -> Pending | None:
    """`load` inside a synchronous transaction function (`Store.run`). A Core select: read
    on every message, and nothing here needs an ORM object."""
    row = session.connection().execute(_LOAD, {"key": key}).first()  # no ORM step
    if row is None:
        return None
    if row.expires_at <= utcnow():
        _forget_sync(session, key)
        session.connection().execute(_CLEAR, {"key": key})
        return None
    return Pending(
        awaiting=row.awaiting,
        skill=row.skill,
        slots=dict(json.loads(row.slots)),
        action_id=row.action_id,
        choices=tuple(json.loads(row.choices)),
    )


_TABLE = Conversation.__table__  # type: ignore[attr-defined]
_LOAD = select(
    _TABLE.c.awaiting,
    _TABLE.c.skill,
    _TABLE.c.slots,
    _TABLE.c.action_id,
    _TABLE.c.choices,
    _TABLE.c.expires_at,
).where(_TABLE.c.key == bindparam("key"))


async def save(session: AsyncSession, key: str, pending: Pending, ttl: timedelta) -> None:
    """Open (or replace) the question inside the caller's transaction."""
    await session.run_sync(save_sync, key, pending, ttl)


def save_sync(session: Session, key: str, pending: Pending, ttl: timedelta) -> None:
    """`save` inside a synchronous transaction function (`Store.run`)."""
    _forget_sync(session, key)
    session.execute(*saving(session.get_bind().dialect.name, key, pending, ttl))


def saving(dialect: str, key: str, pending: Pending, ttl: timedelta) -> tuple[Any, dict[str, Any]]:
    """The statement that opens (or replaces) the question, and its values: one upsert, so
    two first messages from one person at once cannot both insert and have one fail on the
    key. Alone it is a whole transaction (`Store.write_one`)."""
    now = utcnow()
    values = {
        "key": key,
        "awaiting": pending.awaiting,
        "skill": pending.skill,
        "slots": json.dumps(dict(pending.slots), sort_keys=True),
        "action_id": pending.action_id,
        "choices": json.dumps(list(pending.choices)),
        "expires_at": now + ttl,
        "updated_at": now,
    }
    return upsert(dialect, _TABLE, ("key",), tuple(values)), values


async def clear(session: AsyncSession, key: str) -> None:
    """Close the question inside the caller's transaction."""
    await session.run_sync(clear_sync, key)


def clear_sync(session: Session, key: str) -> None:
    """`clear` inside a synchronous transaction function."""
    _forget_sync(session, key)
    session.execute(*clearing(key))


def clearing(key: str) -> tuple[Any, dict[str, Any]]:
    """The statement that closes the question; closing one already closed (a concurrent
    message did) is fine. Alone it is a whole transaction (`Store.write_one`)."""
    return _CLEAR, {"key": key}


_CLEAR = delete(_TABLE).where(_TABLE.c.key == bindparam("key"))


def _forget_sync(session: Session, key: str) -> None:
    """Drop this session's copy of the row: the statement that follows makes it stale."""
    cached = session.identity_map.get(identity_key(Conversation, key))
    if cached is not None:
        session.expunge(cached)


def expired(when: datetime | None) -> bool:
    return when is not None and when <= utcnow()
