"""Replies as Adaptive Cards with `Action.Submit` buttons.

`Action.Submit` comes back as a plain message activity whose `value` carries the button's data,
which CloudAdapter 4.17.1 handles; `Action.Execute` arrives as an invoke, and 4.17.1 fails to
serialise invoke responses (HTTP 500), so it is not used.
"""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

from chatbot.types import ButtonStyle, Reply, ReplyKind

CARD = "application/vnd.microsoft.card.adaptive"
DATA_KEY = "chatops"
STYLES = {ButtonStyle.PRIMARY: "positive", ButtonStyle.DANGER: "destructive"}


def card(text: str, reply: Reply | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
    }
    if reply is not None and reply.buttons:
        content["actions"] = [
            {
                "type": "Action.Submit",
                "title": b.label,
                "data": {DATA_KEY: b.value},
                **({"style": STYLES[b.style]} if b.style in STYLES else {}),
            }
            for b in reply.buttons
        ]
    return content


def activity(reply: Reply) -> Activity:
    """Plain text for plain replies; a card for anything with buttons or tied to a decision."""
    if not reply.buttons and reply.kind not in (ReplyKind.CONFIRM, ReplyKind.APPROVAL):
        return Activity(type=ActivityTypes.message, text=reply.text)
    attachment = Attachment(content_type=CARD, content=card(reply.text, reply))
    return Activity(type=ActivityTypes.message, text=reply.text, attachments=[attachment])


def settled(message_id: str, text: str) -> Activity:
    """The edited card: the decision and the result, no buttons."""
    attachment = Attachment(content_type=CARD, content=card(text))
    return Activity(type=ActivityTypes.message, id=message_id, attachments=[attachment])


def pressed(value: object) -> str | None:
    """The button value of an Action.Submit click, or None for a typed message."""
    data = value.get(DATA_KEY) if isinstance(value, dict) else None
    return data if isinstance(data, str) else None
