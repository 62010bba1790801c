"""Slack channel names through the Web API client the adapter already has (slack_sdk):
`conversations.info` for an id's name, `conversations.list` to find a name's id. Answers are
cached for `ttl` seconds (a rename shows within that time) and stored (chatbot/channel_names.py)
so other replicas and the CLI read names too.

At start the adapter resolves the channels grants name (`resolve_grants`): a grant written
`#ops` is resolved once to its id and kept by id (pinned), and an id a grant names gets its name
for what people read. A Slack that cannot answer leaves grants as written (deny by default:
a name never matches an id) and is logged, never fatal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from chatbot import channel_names
from chatbot.channel_names import SLACK, bare, is_slack_name
from chatbot.governance.rbac import ChannelBook
from chatbot.store.engine import Store

log = logging.getLogger(__name__)
TTL = 600.0  # seconds a channel's name is trusted before asking Slack again
# Slack said no, or could not be reached: names stay as they are, nothing fails because of it.
UNREACHABLE = (SlackApiError, aiohttp.ClientError, TimeoutError)


class SlackChannels:
    def __init__(
        self,
        client: AsyncWebClient,
        store: Store,
        book: ChannelBook,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.store, self.book = client, store, book
        self.ttl, self.clock = ttl, clock
        self._names: dict[str, tuple[str | None, float]] = {}  # id -> (name, good until)

    async def name_of(self, channel_id: str) -> str | None:
        """The channel's name (no '#'), None for a direct message or an unknown channel."""
        if channel_id.startswith("D"):
            return None
        cached = self._names.get(channel_id)
        if cached is not None and cached[1] > self.clock():
            return cached[0]
        try:
            found = (await self.client.conversations_info(channel=channel_id))["channel"]
        except UNREACHABLE as exc:
            log.warning("slack: conversations.info %s failed: %s", channel_id, _error(exc))
            name = cached[0] if cached else None
            self._names[channel_id] = (name, self.clock() + self.ttl)  # not asked per message
            return name
        name = str(found.get("name") or "") or None
        self._names[channel_id] = (name, self.clock() + self.ttl)
        if name is not None:
            self.book.names[channel_id] = name
            await channel_names.remember(self.store, SLACK, channel_id, name)
        return name

    async def id_of(self, name: str) -> str | None:
        """The id of the channel called `name` now (conversations.list, every page)."""
        wanted, cursor = bare(name), ""
        while True:
            page = await self.client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor or None,
            )
            for channel in page.get("channels") or []:
                self._names[channel["id"]] = (channel.get("name"), self.clock() + self.ttl)
                if channel.get("name") == wanted:
                    return str(channel["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return None

    async def resolve_grants(self, written: Iterable[str]) -> list[str]:
        """Resolve every channel the grants name; the names Slack does not know (left as
        written: they match nothing until the channel exists)."""
        await channel_names.load_into(self.store, self.book)
        unknown = []
        for entry in sorted(set(written)):
            try:
                if is_slack_name(entry):
                    if not await self._pin(bare(entry)):
                        unknown.append(entry)
                elif channel_names.SLACK_ID.match(entry.lstrip("#")):
                    await self.name_of(entry.lstrip("#"))
            except UNREACHABLE as exc:
                log.warning("slack: could not resolve channel %s: %s", entry, _error(exc))
                unknown.append(entry)
        if unknown:
            log.warning("slack: channel grants name channels Slack does not know: %s", unknown)
        return unknown

    async def _pin(self, name: str) -> bool:
        channel_id = self.book.ids.get(name) or await channel_names.pinned(self.store, SLACK, name)
        if channel_id is None:
            channel_id = await self.id_of(name)
            if channel_id is None:
                return False
            await channel_names.remember(self.store, SLACK, channel_id, name, pinned_as=name)
        self.book.ids[name] = channel_id
        self.book.names.setdefault(channel_id, name)
        return True


def _error(exc: BaseException) -> str:
    """Slack's error code, or the kind of network failure (never a token or a body)."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error", ""))
    return type(exc).__name__
