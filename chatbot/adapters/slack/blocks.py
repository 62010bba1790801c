"""Replies as Block Kit: a text section and, when the reply offers buttons, an actions block.

Every button's `action_id` starts with `chatops:` (the adapter listens for that prefix) and its
`value` is the pipeline's button value, so a click comes back as exactly what was offered.
"""

from __future__ import annotations

from typing import Any

from chatbot.types import ButtonStyle, Reply

ACTION_PREFIX = "chatops:"
MAX_TEXT = 2900  # a section's text may hold 3,000 characters


def escape(text: str) -> str:
    """Slack's mrkdwn control characters; user text must not turn into mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_TEXT]}}


def render(reply: Reply) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and the blocks for one reply."""
    text = escape(reply.text)
    blocks = [section(text)]
    if reply.buttons:
        elements = []
        for number, button in enumerate(reply.buttons):
            element: dict[str, Any] = {
                "type": "button",
                "text": {"type": "plain_text", "text": button.label[:75]},
                "value": button.value,
                "action_id": f"{ACTION_PREFIX}{number}",
            }
            if button.style is not ButtonStyle.DEFAULT:
                element["style"] = str(button.style)
            elements.append(element)
        blocks.append({"type": "actions", "block_id": "chatops", "elements": elements})
    return text, blocks


def settled(text: str) -> list[dict[str, Any]]:
    """A message after its decision: text only, the buttons gone."""
    return [section(text)]
