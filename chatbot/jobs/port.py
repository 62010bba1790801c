"""What the conversation side sees of the job engine: hand a job over, now or at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Enqueue(Protocol):
    """`inline`: actions run in the process that confirmed them (embedded engine); otherwise a
    worker runs them and the reply only says they are on their way."""

    @property
    def inline(self) -> bool: ...

    async def enqueue(self, name: str, at: datetime | None = None, **kwargs: int | str) -> None:
        """Queue job `name` with JSON keyword arguments, to run now or at `at`."""
        ...


class NoEngine:
    """Before an engine is attached (or in an embedding without one): actions run inline and
    timers are not kept; expiry still happens when someone touches the request."""

    inline = True

    async def enqueue(self, name: str, at: datetime | None = None, **kwargs: int | str) -> None:
        return None
