"""The bundle items each person holds or is waiting for (`jml_grants`), and their states."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.jml.bundles import Wanted
from chatbot.store.tables import JmlGrant
from chatbot.types import utcnow


class GrantState(StrEnum):
    PENDING = "pending"  # asked for: the onboarding action named grants it
    GRANTED = "granted"
    FAILED = "failed"  # the back end said no; a retry asks again
    PROPOSED = "proposed"  # a mover's old access, proposed for removal (a review item)
    REMOVED = "removed"


# Rows that count as "the person has or will get this": a new request skips them.
HELD = (GrantState.PENDING, GrantState.GRANTED, GrantState.PROPOSED)


async def of(
    tx: AsyncSession, person: str, states: Iterable[GrantState] | None = None
) -> list[JmlGrant]:
    query = select(JmlGrant).where(JmlGrant.person == person)
    if states is not None:
        query = query.where(col(JmlGrant.state).in_([s.value for s in states]))
    return list((await tx.exec(query.order_by(col(JmlGrant.id)))).all())


def add(tx: AsyncSession, person: str, want: Wanted, action_id: int | None) -> JmlGrant:
    now = utcnow()
    row = JmlGrant(
        person=person,
        bundle=want.bundle,
        resource=want.item.resource,
        backend=want.item.backend,
        grant=want.item.group,
        state=GrantState.PENDING,
        action_id=action_id,
        created_at=now,
        updated_at=now,
    )
    tx.add(row)
    return row


def move(row: JmlGrant, state: GrantState, detail: str = "") -> None:
    row.state, row.detail, row.updated_at = state, detail, utcnow()
