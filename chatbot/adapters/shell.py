"""The terminal adapter: `chatops say` and `chatops shell`.

Buttons are shown as numbered choices; in the shell, typing the number presses the button.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TextIO

from chatbot.types import ButtonPress, Message, Reply

if TYPE_CHECKING:  # rendering must not load the language model (`chatops approvals list`)
    from chatbot.assistant import Assistant

PLATFORM = "shell"
CHANNEL = "terminal"


def message(who: str, text: str = "", press: str | None = None) -> Message:
    return Message(
        platform=PLATFORM,
        user_id=who,
        text=text,
        channel=CHANNEL,
        press=ButtonPress(press) if press else None,
    )


def render(reply: Reply, numbered: bool = False) -> str:
    head = f"(to {reply.to}) " if reply.to else ""
    lines = [head + reply.text]
    if reply.buttons:
        if numbered:
            lines.append(
                "  " + "  ".join(f"[{i}] {b.label}" for i, b in enumerate(reply.buttons, 1))
            )
        else:
            lines.append("  " + "  ".join(f"[{b.label}: {b.value}]" for b in reply.buttons))
    return "\n".join(lines)


def as_json(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    return [
        {
            **asdict(r),
            "kind": str(r.kind),
            "buttons": [
                {"label": b.label, "value": b.value, "style": str(b.style)} for b in r.buttons
            ],
        }
        for r in replies
    ]


async def repl(
    assistant: Assistant, who: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> None:
    """Read lines until EOF or "quit"; a number presses the matching button of the last reply."""
    buttons: list[str] = []
    stdout.write(f"chatops shell as {who}; type 'quit' to leave.\n")
    while True:
        stdout.write(f"{who}> ")
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line or line.strip().lower() in ("quit", "exit"):
            stdout.write("\n")
            return
        text = line.strip()
        if text.isdigit() and 0 < int(text) <= len(buttons):
            incoming = message(who, press=buttons[int(text) - 1])
        else:
            incoming = message(who, text)
        replies = await assistant.handle(incoming)
        buttons = [b.value for r in replies for b in r.buttons]
        number = 0
        for reply in replies:
            text_out = reply.text
            if reply.buttons:
                choices = []
                for b in reply.buttons:
                    number += 1
                    choices.append(f"[{number}] {b.label}")
                text_out += "\n  " + "  ".join(choices)
            stdout.write(("(to " + reply.to + ") " if reply.to else "") + text_out + "\n")
