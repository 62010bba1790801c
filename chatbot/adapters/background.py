"""Work a chat adapter starts after answering the platform.

Slack wants its acknowledgement within 3 seconds and Teams its HTTP answer quickly, so both
adapters answer first and run the conversation here: a bounded number at a time, failures
logged rather than lost, and `drain()` so shutdown and tests can wait for the work to finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class BackgroundWork:
    def __init__(self, name: str, concurrency: int) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[None]] = set()
        self._working = asyncio.Semaphore(concurrency)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(self._logged(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _logged(self, work: Coroutine[Any, Any, Any]) -> None:
        try:
            async with self._working:
                await work
        except Exception:
            log.exception("%s: background work failed", self.name)

    async def drain(self) -> None:
        """Wait until every task (and any it started) is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
