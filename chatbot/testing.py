"""Test helpers for skill authors and for our own suite: a chat that reads like a chat.

    async with chat_harness(settings, "sqlite:///tmp/x.db") as chat:
        replies = await chat.say("alice", "reset my vpn")
        replies = await chat.click("alice", replies, "Confirm")

`pytest_plugins = ["chatbot.testing"]` adds the `chat` fixture: an assistant on a fresh SQLite
database with the demo people.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TypedDict, Unpack

import httpx
import pytest

from chatbot.app import Runtime, runtime
from chatbot.assistant import Assistant
from chatbot.config import Settings, load_settings
from chatbot.types import ButtonPress, Message, Reply
from intents import Understander
from skills.api import Skill


class MessageExtras(TypedDict, total=False):
    """What a test may set on a message besides who, what and where."""

    thread: str | None
    event_id: str | None
    email: str | None
    received_at: datetime
    tenant: str


class Chat:
    """Says things and clicks buttons as the demo people, through `Assistant.handle`."""

    def __init__(self, rt: Runtime, platform: str = "test", channel: str = "direct") -> None:
        self.runtime, self.platform, self.channel = rt, platform, channel
        self._events = itertools.count(1)

    @property
    def assistant(self) -> Assistant:
        return self.runtime.assistant

    def message(
        self, who: str, text: str = "", press: str | None = None, **kw: Unpack[MessageExtras]
    ) -> Message:
        return Message(
            platform=self.platform,
            user_id=who,
            text=text,
            channel=self.channel,
            press=ButtonPress(press) if press else None,
            **kw,
        )

    async def say(self, who: str, text: str, **kw: Unpack[MessageExtras]) -> list[Reply]:
        return await self.assistant.handle(self.message(who, text, **kw))

    async def press(self, who: str, value: str, **kw: Unpack[MessageExtras]) -> list[Reply]:
        return await self.assistant.handle(self.message(who, press=value, **kw))

    async def click(self, who: str, replies: Sequence[Reply], label: str) -> list[Reply]:
        """Press the button labelled `label` among `replies` (fails loudly when absent)."""
        return await self.press(who, button(replies, label))


def button(replies: Sequence[Reply], label: str) -> str:
    for reply in replies:
        for b in reply.buttons:
            if b.label == label:
                return b.value
    offered = [b.label for r in replies for b in r.buttons]
    raise AssertionError(f"no button {label!r} in the replies; offered: {offered}")


def text_of(replies: Sequence[Reply]) -> str:
    return "\n".join(r.text for r in replies)


@asynccontextmanager
async def chat_harness(
    settings: Settings,
    database_url: str,
    understander: Understander | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    skills: Sequence[Skill] = (),
) -> AsyncIterator[Chat]:
    """`transport` (e.g. httpx.MockTransport) stands in for the remote systems skills call;
    `skills` adds the Python skills under test as if their package were installed."""
    async with runtime(settings, database_url, understander, transport, skills) as rt:
        yield Chat(rt)


async def confirmed(chat: Chat, who: str, text: str) -> list[Reply]:
    """Say something and press Confirm when asked (a skill test's most common step)."""
    replies = await chat.say(who, text)
    if any(b.label == "Confirm" for r in replies for b in r.buttons):
        return await chat.click(who, replies, "Confirm")
    return replies


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Chat]:
    settings = load_settings()
    settings = settings.model_copy(update={"data_dir": tmp_path})
    async with chat_harness(settings, f"sqlite:///{tmp_path / 'chatops.db'}") as harness:
        yield harness
