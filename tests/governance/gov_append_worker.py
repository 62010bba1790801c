"""Appends audit entries from its own process: `python gov_append_worker.py URL NAME COUNT`.

Used by test_gov_audit to prove that appends from several processes queue on the head row
and never fork the chain. Each entry is its own transaction, the worst case for contention.
"""

from __future__ import annotations

import asyncio
import sys

from chatbot.governance import audit
from chatbot.store.engine import Store


async def main(url: str, name: str, count: int) -> None:
    store = Store(url)
    try:
        for i in range(count):
            async with store.transaction() as tx:
                record = audit.AuditRecord(name, "bench.append", "test", "worker", outcome=str(i))
                await audit.append(tx, record)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
