"""What the chat adapters remember between messages (migration 0004).

`PostedMessage`: which platform message shows which action (the requester's confirmation, each
approval card), so a later decision, possibly on another replica, can update them all.
`ChannelReference`: how to reach a person on a platform that cannot open a conversation from
an email alone (Teams needs a stored conversation reference for a proactive message).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.store.tables import UTCDateTime
from chatbot.types import utcnow

REQUEST = "request"
APPROVAL = "approval"


class PostedMessage(SQLModel, table=True):
    __tablename__ = "posted_messages"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(index=True)
    platform: str
    role: str
    conversation: str
    message_id: str
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    reference: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ChannelReference(SQLModel, table=True):
    __tablename__ = "channel_references"

    platform: str = Field(primary_key=True)
    person: str = Field(primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


async def remember_post(
    tx: AsyncSession,
    action_id: int,
    platform: str,
    role: str,
    conversation: str,
    message_id: str,
    text: str,
    reference: str = "",
) -> None:
    tx.add(
        PostedMessage(
            action_id=action_id,
            platform=platform,
            role=role,
            conversation=conversation,
            message_id=message_id,
            text=text,
            reference=reference,
            created_at=utcnow(),
        )
    )


async def posts_for(tx: AsyncSession, action_id: int, platform: str) -> list[PostedMessage]:
    query = (
        select(PostedMessage)
        .where(PostedMessage.action_id == action_id, PostedMessage.platform == platform)
        .order_by(col(PostedMessage.id))
    )
    return list((await tx.exec(query)).all())


async def save_reference(tx: AsyncSession, platform: str, person: str, reference: str) -> None:
    row = await tx.get(ChannelReference, (platform, person))
    if row is None:
        row = ChannelReference(
            platform=platform, person=person, reference=reference, updated_at=utcnow()
        )
    row.reference, row.updated_at = reference, utcnow()
    tx.add(row)


async def reference_of(tx: AsyncSession, platform: str, person: str) -> str | None:
    row = await tx.get(ChannelReference, (platform, person))
    return row.reference if row else None
