"""Alert intake answers first and processes after; this is the "after".

    POST /hooks/...   authenticate, read, one INSERT into alert_deliveries (committed) -> 202
    Inbox.run         a task in `chatops serve`, woken by each delivery: in batches, oldest
                      first, one transaction each: record the alerts (book.record_notices),
                      delete their delivery rows; then announce what opened (after commit)
    job incidents.drain  the same, every few seconds, in `chatops serve` (embedded engine) or
                      `chatops worker` (procrastinate): what a dead process left, retries

Nothing is lost and nothing counted twice: a delivery's row is deleted in the transaction that
records its alerts, so a crash before that commit leaves the row for the next pass, and after
it leaves nothing. One batch at a time across processes (SQLite: its write lock; PostgreSQL:
an advisory transaction lock) keeps deliveries in the order they arrived, so a resolved notice
is never recorded before the firing one received earlier. A batch stops after a few
milliseconds: on SQLite it holds the write lock, and the next delivery waits for it; and it
waits for a moment when no delivery is being answered (a tenth of a second at most), so a
burst is answered at full speed and processed in its gaps and right after it.

A delivery that fails to record (a bug, a value the database refuses) is retried alone, later
and later, and after the last attempt stays in the table with its error, logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from pydantic import TypeAdapter
from sqlalchemy import text, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.governance.redaction import redact
from chatbot.incidents.book import IncidentBook
from chatbot.incidents.keeper import Keeper
from chatbot.incidents.payloads import Notice, Source
from chatbot.incidents.statements import statements
from chatbot.incidents.tables import AlertDelivery

log = logging.getLogger(__name__)
NOTICES = TypeAdapter(list[Notice])
BATCH = 64  # deliveries looked at per transaction, at most
BATCH_SECONDS = 0.005  # and no longer than this: intake waits for the write lock meanwhile
# A batch waits for a moment when no delivery is being answered, but no longer than this:
# answering comes first, and processing still goes on during a long burst.
MOST_DEFERRAL_SECONDS = 0.1
# Woken by a delivery, the drainer lets a few more arrive first: one batch of ten costs much
# less than ten batches of one, and nobody reads an incident within 20 ms of its alert.
LINGER_SECONDS = 0.02
ATTEMPTS = 5  # a delivery that failed this often stays in the table for a person
RETRY_SECONDS = 30.0  # first wait after a failure, doubled after each
IDLE_RETRY_SECONDS = 1.0  # after the database failed the drainer itself
DRAIN_LOCK = 7_302_114_014  # pg_advisory_xact_lock key: "processing alert deliveries"

# What to do after a batch committed with the incidents it opened (announce, remediate).
FollowUp = Callable[[Sequence[int]], Awaitable[None]]


async def _nothing(opened: Sequence[int]) -> None:
    return None


class Inbox:
    """Records deliveries and processes them after, in order, batched."""

    def __init__(self, book: IncidentBook, follow_up: FollowUp = _nothing) -> None:
        self.book, self.store, self.follow_up = book, book.store, follow_up
        self._turn = asyncio.Lock()  # one pass at a time in this process
        self._wake = asyncio.Event()
        self._single = 0  # batches of one while isolating a delivery that fails
        self._answering = 0  # deliveries being answered now
        self._quiet = asyncio.Event()  # set while none is
        self._quiet.set()
        self._follow: set[asyncio.Task[None]] = set()
        self._keeper = Keeper(self.store)

    async def record(self, source: Source, notices: Sequence[Notice]) -> int:
        """Keep one delivery (committed when this returns) and wake the drainer; its id."""
        row = {
            "source": source.value,
            "notices": NOTICES.dump_json(list(notices)).decode(),
            "received_at": self.book.clock(),
            "attempts": 0,
            "error": "",
        }
        delivery = await self._keeper.keep(row)
        self._wake.set()
        return delivery

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Around the answer to one delivery: processing steps aside meanwhile."""
        self._answering += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._answering -= 1
            if not self._answering:
                self._quiet.set()

    async def drain(self) -> int:
        """Process every delivery waiting now, and wait for what that opened to be
        announced. Returns how many deliveries were recorded. When this returns, every
        delivery accepted before the call has been processed (or has failed and waits for
        its retry)."""
        done = await self._pending()
        while self._follow:
            await asyncio.gather(*tuple(self._follow), return_exceptions=True)
        return done

    async def run(self) -> None:
        """Drain whenever woken (and once at start: what a previous process left)."""
        self._wake.set()
        while True:
            await self._wake.wait()
            await asyncio.sleep(LINGER_SECONDS)
            self._wake.clear()
            try:
                await self._pending()
            except Exception:
                log.exception("alert intake: processing deliveries failed; trying again")
                await asyncio.sleep(IDLE_RETRY_SECONDS)
                self._wake.set()

    async def stop(self) -> None:
        """Let the announcements already started finish."""
        if self._follow:
            await asyncio.gather(*tuple(self._follow), return_exceptions=True)

    async def _pending(self) -> int:
        done = 0
        async with self._turn:
            while True:
                await self._after_answers()
                took = await self._batch()
                if took is _Turn.EMPTY:
                    return done
                if took is _Turn.BUSY:  # another process is draining: it takes ours too
                    await asyncio.sleep(0.05)
                elif isinstance(took, int):
                    done += took

    async def _after_answers(self) -> None:
        """Wait until no delivery is being answered (at most MOST_DEFERRAL_SECONDS): a burst
        is answered at full speed and processed in its gaps and right after it."""
        await asyncio.sleep(0)  # the requests already waiting go first
        if not self._quiet.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), MOST_DEFERRAL_SECONDS)

    async def _batch(self) -> int | _Turn:
        """One transaction: the oldest waiting deliveries, recorded and deleted. Returns how
        many, or why none."""
        limit = 1 if self._single else BATCH
        rows: Sequence[_Waiting] = ()
        try:
            async with self.store.transaction() as tx:
                if not await self._my_turn(tx):
                    return _Turn.BUSY
                rows = await self._waiting(tx, limit)
                if not rows:
                    return _Turn.EMPTY
                opened, done = await self._record(tx, rows)
                await tx.execute(statements(self.store.dialect).forget, {"ids": done})
        except Exception as exc:
            if not rows:  # the database itself failed: the caller waits and tries again
                raise
            if len(rows) > 1:  # one of them failed: take them one at a time to find which
                self._single = len(rows)
                return _Turn.AGAIN
            await self._failed(rows[0], exc)
            self._single = max(self._single - 1, 0)
            return _Turn.AGAIN
        self._single = max(self._single - 1, 0)
        if opened:
            task = asyncio.get_running_loop().create_task(self._announce(opened))
            self._follow.add(task)
            task.add_done_callback(self._follow.discard)
        return len(done)

    async def _record(
        self, tx: AsyncSession, rows: Sequence[_Waiting]
    ) -> tuple[list[int], list[int]]:
        """Record deliveries in order until the batch's time is up; the ones recorded."""
        opened: list[int] = []
        done: list[int] = []
        began = time.perf_counter()
        for row in rows:
            notices = NOTICES.validate_json(row.notices)
            opened += (await self.book.record_notices(tx, notices, row.received_at)).opened
            done.append(row.id)
            if time.perf_counter() - began > BATCH_SECONDS:
                break
        return opened, done

    async def _waiting(self, tx: AsyncSession, limit: int) -> list[_Waiting]:
        """The oldest deliveries waiting (not given up on, not waiting for a retry)."""
        now = self.book.clock()
        params = {"now": now, "attempts": ATTEMPTS, "limit": limit}
        rows = await tx.execute(statements(self.store.dialect).waiting, params)
        return [_Waiting(*row) for row in rows.all()]

    async def _my_turn(self, tx: AsyncSession) -> bool:
        """SQLite: the transaction's write lock is the turn. PostgreSQL: a lock held until
        this transaction ends; a process that does not get it leaves the batch to the one
        that did."""
        if self.store.dialect != "postgresql":
            return True
        got = await tx.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": DRAIN_LOCK})
        return bool(got.scalar_one())

    async def _failed(self, row: _Waiting, exc: Exception) -> None:
        """Count a failed attempt on its own; the delivery is tried again later, alone."""
        attempts = row.attempts + 1
        why = redact(f"{type(exc).__name__}: {exc}")[:500]
        wait = timedelta(seconds=RETRY_SECONDS * 2 ** (attempts - 1))
        async with self.store.transaction() as tx:
            await tx.execute(
                update(AlertDelivery)
                .where(col(AlertDelivery.id) == row.id)
                .values(attempts=attempts, error=why, next_try_at=self.book.clock() + wait)
            )
        if attempts >= ATTEMPTS:
            log.error(
                "alert intake: delivery %s failed %d times and is left in alert_deliveries: %s",
                row.id,
                attempts,
                why,
            )
        else:
            log.warning("alert intake: delivery %s failed (attempt %d): %s", row.id, attempts, why)

    async def _announce(self, opened: Sequence[int]) -> None:
        try:
            await self.follow_up(opened)
        except Exception:  # nobody waits for it; the incident and its outbox cards exist
            log.exception("alert intake: following up new incidents %s failed", opened)


class _Turn(Enum):
    EMPTY = "nothing waits"
    BUSY = "another process is draining"
    AGAIN = "a delivery failed; go on with the next"


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A delivery row as the drainer needs it (plain values: they outlive a rollback)."""

    id: int
    notices: str
    received_at: datetime
    attempts: int
