"""Progress of running actions: skills report steps, adapters that can edit a message listen.

A skill calls `ctx.progress("step 2 of 4: waiting for rollout")`; every listener (the Slack and
Teams adapters register one at start) hears (action id, text) and updates the message that
shows that action. The hub lives on the Executor, not in a module global, so two runtimes in
one process (tests, replicas) never hear each other.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from skills.api import Progress

log = logging.getLogger(__name__)

ProgressListener = Callable[[int, str], Awaitable[None]]


class ProgressHub:
    def __init__(self) -> None:
        self._listeners: list[ProgressListener] = []

    def listen(self, listener: ProgressListener) -> Callable[[], None]:
        """Register; the returned function unregisters (an adapter calls it at shutdown)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def reporter(self, action_id: int) -> Progress:
        async def report(text: str) -> None:
            for listener in list(self._listeners):
                try:
                    await listener(action_id, text)
                except Exception:  # a message we cannot edit must not fail the action
                    log.exception("progress of action %s could not be shown", action_id)

        return report
