"""Keeping accepted deliveries: the one write the intake makes before it answers, committed
for several deliveries at once.

Deliveries that arrive together (Alertmanager sends many groups at a time, over several
connections) wait for one transaction that inserts them all, instead of one transaction
each: the transaction, not the row, is what a delivery costs here. Each caller still gets
its answer only after the commit that holds its row, so a 202 is never sent for a delivery
that is not on disk; when that commit fails, every delivery in it gets the error (503).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from chatbot.incidents.statements import statements
from chatbot.store.engine import Store

_Waiting = tuple[Mapping[str, Any], "asyncio.Future[int]"]


class Keeper:
    """Inserts delivery rows in groups: whoever arrives while a group is being written
    joins the next one."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._next: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def keep(self, row: Mapping[str, Any]) -> int:
        """The row's id, once it is committed."""
        kept: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._next.append((row, kept))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="alert intake: keep")
        return await kept

    async def _write(self) -> None:
        while self._next:
            group, self._next = self._next, []
            try:
                ids = await self._insert([row for row, _ in group])
            except Exception as exc:  # storage failed: every caller in the group says 503
                for _, kept in group:
                    if not kept.done():
                        kept.set_exception(exc)
                continue
            for (_, kept), kept_id in zip(group, ids, strict=True):
                if not kept.done():  # a caller that went away has no one to tell
                    kept.set_result(kept_id)

    async def _insert(self, rows: list[Mapping[str, Any]]) -> list[int]:
        keep = statements(self.store.dialect).keep_delivery
        async with self.store.transaction() as tx:
            if len(rows) == 1:
                return [int((await tx.execute(keep, rows[0])).scalar_one())]
            added = await tx.execute(keep, rows)
            return [int(i) for i in added.scalars().all()]
