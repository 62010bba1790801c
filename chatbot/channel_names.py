"""Chat channel names kept in the database (`chat_channels`): what the platform calls each
channel, and the name a channel grant was written with when it was resolved to an id.

People and admins read `#ops`, never `C0123`; a grant written `#ops` is resolved once (by the
Slack adapter, chatbot/adapters/slack/channels.py) and kept by id, so renaming the channel
does not move the grant. Every replica loads the resolutions into RBAC's `ChannelBook` at
start (`load_into`), and the CLI reads names from here (`names`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlmodel import col, select

from chatbot.governance.rbac import DIRECT, ChannelBook
from chatbot.store.tables import ChatChannel
from chatbot.types import utcnow

if TYPE_CHECKING:
    from chatbot.store.engine import Store

SLACK = "slack"
# Slack conversation ids: public C..., private (old) G..., direct messages D... (upper case).
SLACK_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def bare(name: str) -> str:
    """A written channel name as Slack stores it: no '#', lower case."""
    return name.strip().lstrip("#").lower()


def is_slack_name(written: str) -> bool:
    """`#ops` or `ops` name a Slack channel; `C0123` is an id; `direct`, and Teams channel
    ids (`19:...@thread.tacv2`), are neither."""
    text = written.strip()
    if text == DIRECT or ":" in text or "@" in text:
        return False
    return not SLACK_ID.match(text.lstrip("#"))


async def remember(
    store: Store, platform: str, channel_id: str, name: str, pinned_as: str | None = None
) -> None:
    """Store a channel's current name (and, for a grant's name, that it resolved here)."""
    async with store.transaction() as tx:
        row = await tx.get(ChatChannel, (platform, channel_id))
        if row is None:
            row = ChatChannel(platform=platform, channel_id=channel_id, name=name)
        elif row.name == name and (pinned_as is None or row.pinned_as == pinned_as):
            return
        row.name, row.updated_at = name, utcnow()
        if pinned_as is not None:
            row.pinned_as = pinned_as
        tx.add(row)


async def pinned(store: Store, platform: str, name: str) -> str | None:
    """The channel id a grant's name was resolved to before, if it was."""
    async with store.read() as tx:
        query = select(ChatChannel.channel_id).where(
            col(ChatChannel.platform) == platform, col(ChatChannel.pinned_as) == name
        )
        return (await tx.exec(query)).first()


async def names(store: Store) -> dict[str, str]:
    """Every known channel id -> `#name` (for listings such as `chatops audit list`)."""
    async with store.read() as tx:
        rows = (await tx.exec(select(ChatChannel))).all()
    return {r.channel_id: f"#{r.name}" for r in rows}


async def load_into(store: Store, book: ChannelBook) -> None:
    """Fill RBAC's book with what was resolved before (on every replica, at start)."""
    async with store.read() as tx:
        rows = (await tx.exec(select(ChatChannel))).all()
    for row in rows:
        book.names[row.channel_id] = row.name
        if row.pinned_as:
            book.ids[row.pinned_as] = row.channel_id
