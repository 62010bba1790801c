"""Replies for people the platform they were asked on cannot reach.

A Slack request may need an approver who only uses Teams, and the Teams approver's decision
must reach the Slack requester. Each running chat adapter registers how it reaches a person
(a Slack DM by email, a Teams personal chat the person opened); an adapter that cannot reach
someone hands the reply to the others in turn. Buttons work wherever a card lands: a click
names the action, not the platform it was asked on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chatbot.adapters import tracking
from chatbot.types import ButtonValue, Reply


class Platform(Protocol):
    async def reach(self, person: str, reply: Reply) -> bool:
        """Deliver a reply to `person` on this platform; False when they are not on it."""
        ...

    async def settle(
        self, action_id: int, verb: str | None, who: str, when: datetime, replies: Sequence[Reply]
    ) -> None:
        """Edit this platform's messages about an action to show where it now stands."""
        ...

    async def announce(self, reply: Reply) -> list[tuple[str, str]]:
        """Post an incident's card to `reply.channel` or to `reply.to`'s direct chat; the
        (conversation, message id) of each post, so replies in its thread can be placed."""
        ...


@dataclass(frozen=True, slots=True)
class Decided:
    """What a click or message did, and who did it: `who` as the platform it happened on
    shows them (a Slack mention), `name` as every other platform does."""

    press: ButtonValue | None
    who: str
    name: str
    when: datetime
    replies: Sequence[Reply]


class Relay:
    def __init__(self) -> None:
        self._platforms: dict[str, Platform] = {}

    @contextmanager
    def joined(self, name: str, platform: Platform) -> Iterator[None]:
        """While the adapter runs, the others may hand it replies and decisions."""
        self._platforms[name] = platform
        try:
            yield
        finally:
            self._platforms.pop(name, None)

    async def elsewhere(self, name: str, person: str, reply: Reply) -> str | None:
        """Deliver on the first other platform that reaches `person`; its name, or None."""
        for other, platform in list(self._platforms.items()):
            if other != name and await platform.reach(person, reply):
                return other
        return None

    @property
    def joined_any(self) -> bool:
        """Whether any chat platform runs in this process (else there is nobody to post to)."""
        return bool(self._platforms)

    async def announce(self, reply: Reply) -> list[tuple[str, str, str]]:
        """An incident card: in a channel on every platform that has it; to a person on the
        first platform that reaches them. (platform, conversation, message id) per post."""
        posted: list[tuple[str, str, str]] = []
        for name, platform in list(self._platforms.items()):
            posted += [(name, *where) for where in await platform.announce(reply)]
            if posted and reply.channel is None:
                break
        return posted

    async def settle(self, origin: str, decided: Decided) -> None:
        """Every action the replies moved: each platform edits the messages it posted about
        it (a Slack request approved in Teams shows the approval on Slack too)."""
        press = decided.press
        for action_id in tracking.moved_actions(decided.replies):
            verb = str(press.verb) if press and press.action_id == action_id else None
            for name, platform in list(self._platforms.items()):
                who = decided.who if name == origin else decided.name
                await platform.settle(action_id, verb, who, decided.when, decided.replies)
