"""The key-value store a skill is given, kept in the database and namespaced to its family."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, select

from chatbot.store.engine import Store, upsert
from chatbot.store.tables import KVItem
from chatbot.types import utcnow

_TABLE = KVItem.__table__  # type: ignore[attr-defined]
# One value by its key: a Core select (skills read on every run; no ORM object is needed).
_VALUE = select(_TABLE.c.value).where(
    _TABLE.c.namespace == bindparam("ns"), _TABLE.c.key == bindparam("key")
)


class StoreKeyValue:
    """Each call is its own short transaction: a skill's state survives a crash mid-action."""

    def __init__(self, store: Store, namespace: str) -> None:
        self.store, self.namespace = store, namespace

    async def get(self, key: str, default: Any = None) -> Any:
        """A read (it never queues for the write lock), whole in one round trip."""
        params = {"ns": self.namespace, "key": key}
        rows = await self.store.rows(_VALUE, params)
        return default if not rows else json.loads(rows[0][0])

    async def put(self, key: str, value: Any) -> None:
        """One upsert: no read first, and two replicas writing one key cannot collide."""
        values = {
            "namespace": self.namespace,
            "key": key,
            "value": json.dumps(value, sort_keys=True),
            "updated_at": utcnow(),
        }
        statement = upsert(self.store.dialect, _TABLE, ("namespace", "key"), tuple(values))
        await self.store.write_one(statement, values)

    async def delete(self, key: str) -> None:
        async with self.store.transaction() as session:
            item = await session.get(KVItem, (self.namespace, key))
            if item is not None:
                await session.delete(item)

    async def items(self, prefix: str = "") -> dict[str, Any]:
        query = (
            select(_TABLE.c.key, _TABLE.c.value)
            .where(_TABLE.c.namespace == self.namespace, _TABLE.c.key.startswith(prefix))
            .order_by(_TABLE.c.key)
        )
        rows = await self.store.rows(query)
        return {key: json.loads(value) for key, value in rows}
