"""The Web API calls that say things: post, post privately, edit.

A failed call is logged with Slack's error code and does not stop the conversation: the rest
of the replies still go out, and the pipeline's state is already saved.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from chatbot.adapters.slack import blocks
from chatbot.types import Reply

log = logging.getLogger(__name__)


async def post(
    client: AsyncWebClient, channel: str, thread: str | None, reply: Reply
) -> tuple[str, str] | None:
    """chat.postMessage; the (channel, ts) that identify the message, or None."""
    text, shown = blocks.render(reply)
    try:
        sent = await client.chat_postMessage(
            channel=channel, text=text, blocks=shown, thread_ts=thread
        )
    except SlackApiError as exc:
        log.warning("slack: chat.postMessage to %s failed: %s", channel, exc.response.get("error"))
        return None
    return sent.get("channel", channel), sent["ts"]


async def ephemeral(
    client: AsyncWebClient, channel: str, user: str, thread: str | None, reply: Reply
) -> None:
    """chat.postEphemeral: only `user` sees it."""
    text, shown = blocks.render(reply)
    try:
        await client.chat_postEphemeral(
            channel=channel, user=user, text=text, blocks=shown, thread_ts=thread
        )
    except SlackApiError as exc:
        log.warning("slack: chat.postEphemeral failed: %s", exc.response.get("error"))


async def edit(
    client: AsyncWebClient,
    channel: str,
    ts: str,
    text: str,
    shown: list[dict[str, Any]] | None = None,
) -> None:
    """chat.update; without `shown` the message becomes text only (its buttons gone)."""
    try:
        await client.chat_update(
            channel=channel,
            ts=ts,
            text=text,
            blocks=blocks.settled(text) if shown is None else shown,
        )
    except SlackApiError as exc:
        log.warning("slack: chat.update failed: %s", exc.response.get("error"))
