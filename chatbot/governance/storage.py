"""When the database cannot be written: read-only, full, or gone for a while.

Nothing may happen that is not recorded, so a person whose request cannot be recorded is told
"I can't record that right now; nothing was done", `/readyz` says not ready, and the CLI prints
one line and exits 3. What did happen while the database was away (a skill that finished
meanwhile) is kept in memory and written when it comes back (`Unrecorded`), instead of being
found later as `interrupted`.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from chatbot.errors import StorageUnavailable
from chatbot.store.engine import Store
from chatbot.store.session import Busy

log = logging.getLogger(__name__)

# SQLite's words for a file it cannot write now; PostgreSQL's SQLSTATE classes and codes for
# a server that is read-only, out of space or resources, shutting down or unreachable.
_SQLITE_WORDS = ("readonly", "read-only", "disk is full", "disk i/o error", "unable to open")
_PG_STATES = ("25006", "53", "57P01", "57P02", "57P03", "08")


def unavailable(exc: BaseException | None) -> bool:
    """True when the error (or one it came from) says the database cannot be written or
    reached right now, as opposed to a bug in a statement."""
    seen = 0
    while exc is not None and seen < 8:
        seen += 1
        if isinstance(exc, StorageUnavailable):
            return True
        orig = getattr(exc, "orig", None)
        if isinstance(exc, OperationalError) and not isinstance(orig, sqlite3.Error):
            return True  # psycopg: the connection or the server is gone
        state = getattr(orig, "sqlstate", None) or getattr(exc, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_PG_STATES):
            return True
        if isinstance(exc, sqlite3.Error | DBAPIError):
            said = str(orig or exc).lower()
            if any(word in said for word in _SQLITE_WORDS):
                return True
        exc = (
            exc.__cause__ or exc.__context__ or (orig if isinstance(orig, BaseException) else None)
        )
    return False


def one_line(exc: BaseException) -> str:
    said = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return said[0] if said else type(exc).__name__


@dataclass
class Health:
    """The last write failure the pipeline saw; `/readyz` is not ready for `hold` seconds
    after one (a full disk still lets the readiness probe's no-op update through)."""

    hold: float = 15.0
    failed_at: float | None = None
    reason: str = ""

    def failed(self, exc: BaseException) -> None:
        self.failed_at, self.reason = time.monotonic(), one_line(exc)

    def recovered(self) -> None:
        self.failed_at, self.reason = None, ""

    @property
    def failing(self) -> bool:
        return self.failed_at is not None and time.monotonic() - self.failed_at < self.hold


LOCK_WAIT_MS = 20  # how long the PostgreSQL probe waits for a writer's lock on the head row
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout ran out


async def probe(store: Store) -> str | None:
    """None when the database takes a write now; otherwise why not, in one line. The write
    is a no-op update of the audit head, so nothing changes. A write lock another writer
    holds means busy, not broken: the probe never waits for it (nor leaves a thread waiting)."""
    try:
        async with store.transaction(wait=False) as tx:
            if store.dialect == "postgresql":  # a row lock held by a writer: busy, not broken
                await tx.exec(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'"))  # type: ignore[call-overload]
            await tx.exec(text("UPDATE audit_head SET seq = seq WHERE id = 1"))  # type: ignore[call-overload]
    except Busy:
        return None
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return None
        return one_line(exc)
    except Exception as exc:  # readiness is about exactly this
        return one_line(exc)
    return None


async def reachable(url: str) -> None:
    """Open and migrate the database once, or raise StorageUnavailable (`chatops serve`
    checks this before listening, so an unreachable server is one line and exit 3)."""
    store = Store(url)
    try:
        await store.migrate()
    finally:
        await store.close()


Record = Callable[[], Awaitable[object]]


@dataclass
class Unrecorded:
    """Outcomes that happened but could not be written yet, by action id: retried until the
    database takes them, in the order they happened."""

    waiting: dict[int, Record] = field(default_factory=dict)

    def keep(self, action_id: int, write: Record) -> None:
        self.waiting[action_id] = write

    def __contains__(self, action_id: object) -> bool:
        return action_id in self.waiting

    async def retry(self) -> list[int]:
        """Write what can be written now; the ids written."""
        done: list[int] = []
        for action_id, write in list(self.waiting.items()):
            try:
                await write()
            except Exception as exc:
                if not unavailable(exc):
                    log.exception("recording the outcome of action %d failed", action_id)
                    self.waiting.pop(action_id, None)
                return done
            self.waiting.pop(action_id, None)
            done.append(action_id)
        return done
