"""10,000 messages through Assistant.handle: messages per second, p50/p99 latency, CPU per
message next to the CPU of parsing alone (the same messages), transactions and statements per
message, and on SQLite /readyz while a write is held.

A realistic mix: requests that ask for confirmation, confirmations that run the sandbox,
read-only questions, small talk, and missing-slot follow-ups, spread over the demo people.
Each database is measured twice: one conversation at a time (the latency a person sees) and
16 conversations at once (BENCH_LANES; what a replica sustains under load).
Targets (issue 12): on SQLite >= 500 messages/s, p99 <= 15 ms; on PostgreSQL >= 300/s;
/readyz p99 <= 20 ms while another connection holds a write transaction for 2 s.

SQLite always; PostgreSQL too when BENCH_DATABASE_URL (or CHATOPS_TEST_DATABASE_URL) names
one: the run gets a fresh schema there, dropped afterwards. `python -m bench.pipeline
--postgres URL` runs only PostgreSQL, `--sqlite` only SQLite. BENCH_MESSAGES sets how many
messages; BENCH_PROFILE=FILE writes a cProfile of the timed loop (FILE.sqlite, FILE.postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import os
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from bench.stats import latency_line, percentile, resident_mb
from chatbot.app import Runtime, keep_for_life, runtime
from chatbot.config import Settings, load_settings
from chatbot.types import Message

COUNT = int(os.environ.get("BENCH_MESSAGES", "10000"))
LANES = int(os.environ.get("BENCH_LANES", "16"))  # conversations at once in `at_once`
WARM_UP = 100  # messages before the timed loop: the first of each kind compiles statements
SCRIPT = (
    ("alice", "reset my vpn"),
    ("alice", "yes"),
    ("bob", "deploy web 5.2.{n} to dev"),
    ("bob", "go ahead"),
    ("erin", "what is deployed"),
    ("carol", "what's the weather like tomorrow"),
    ("dave", "help"),
    ("bob", "restart checkout"),
    ("bob", "cancel"),
    ("alice", "who am i"),
)


@dataclass
class Counted:
    """Transactions and statements the engine saw (SQLAlchemy's public engine events)."""

    commits: int = 0
    rollbacks: int = 0
    statements: int = 0

    def watch(self, engine: Engine) -> None:
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)
        event.listen(engine, "before_cursor_execute", self._statement)

    def unwatch(self, engine: Engine) -> None:
        event.remove(engine, "commit", self._commit)
        event.remove(engine, "rollback", self._rollback)
        event.remove(engine, "before_cursor_execute", self._statement)

    def _commit(self, _conn: Any) -> None:
        self.commits += 1

    def _rollback(self, _conn: Any) -> None:
        self.rollbacks += 1

    def _statement(self, *_args: Any) -> None:
        self.statements += 1


def messages(count: int, channel: str = "bench") -> list[Message]:
    turns = itertools.cycle(SCRIPT)
    said = []
    for n in range(count):
        who, said_text = next(turns)
        said.append(Message("bench", who, said_text.format(n=n), channel=channel))
    return said


async def warm_up(rt: Runtime) -> None:
    """The first messages of each kind, then the heap settled as `chatops serve` and
    `chatops worker` settle theirs once started (`keep_for_life`)."""
    for message in messages(WARM_UP, channel="warm-up"):
        await rt.assistant.handle(message)
    keep_for_life()


async def measure(rt: Runtime, backend: str, count: int) -> None:
    """The timed loop, then parsing alone over the same texts, in the same process."""
    await warm_up(rt)
    counted = Counted()
    counted.watch(rt.store.engine)
    said = messages(count)
    latencies: list[float] = []
    profile = os.environ.get("BENCH_PROFILE")
    profiler = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for message in said:
        t0 = time.perf_counter()
        await rt.assistant.handle(message)
        latencies.append(time.perf_counter() - t0)
    if profiler:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{backend}")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    counted.unwatch(rt.store.engine)
    print(latency_line(f"Assistant.handle on {backend}", latencies, wall))
    parse = time.process_time()
    for message in said:
        rt.assistant.understander.parse(message.text)
    parse = time.process_time() - parse
    print(
        f"CPU per message: {cpu / count * 1e3:.2f} ms in all, "
        f"{parse / count * 1e3:.2f} ms of it parsing (same messages, parse alone); "
        f"per message: {counted.commits / count:.2f} commits, "
        f"{counted.rollbacks / count:.2f} read-only transactions, "
        f"{counted.statements / count:.1f} statements"
    )


async def on_sqlite(settings: Settings, tmp: Path, count: int) -> None:
    db = tmp / "bench.db"
    started = time.perf_counter()
    async with runtime(settings, f"sqlite:///{db}") as rt:
        took = time.perf_counter() - started
        print(f"start-up (migrate, load or train the model): {took:.2f} s")
        await measure(rt, "SQLite", count)
    async with runtime(settings, f"sqlite:///{tmp / 'at-once.db'}") as fresh:
        await warm_up(fresh)
        await at_once(fresh, "SQLite", count)
    await readiness_during_a_write(settings, db, rt)


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A new schema in the PostgreSQL database at `url`, dropped at the end."""
    base = make_url(url).set(drivername="postgresql+psycopg")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        query = dict(base.query) | {"options": f"-csearch_path={schema}"}
        yield base.set(query=query).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def at_once(rt: Runtime, backend: str, count: int, lanes: int = LANES) -> None:
    """The same mix from `lanes` conversations at once (each its own channel), as a server
    gets them from many people: while one message waits for the database another one's
    Python runs, so this is the throughput a replica sustains; the sequential loop above is
    the latency of one conversation. Every lane's messages stay in order."""
    per_lane = count // lanes
    latencies: list[float] = []

    async def lane(n: int) -> None:
        for message in messages(per_lane, channel=f"lane-{n}"):
            t0 = time.perf_counter()
            await rt.assistant.handle(message)
            latencies.append(time.perf_counter() - t0)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(lane(n) for n in range(lanes)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    label = f"Assistant.handle on {backend}, {lanes} conversations at once"
    print(f"{latency_line(label, latencies, wall)}; CPU {cpu / len(latencies) * 1e3:.2f} ms/msg")


async def on_postgres(settings: Settings, url: str, count: int) -> None:
    """Each loop on a fresh schema: the second does not start from the first one's rows
    (this machine's PostgreSQL runs without autovacuum, so they would stay dead)."""
    with fresh_schema(url) as schema_url:
        async with runtime(settings, schema_url) as rt:
            await measure(rt, "PostgreSQL", count)
    with fresh_schema(url) as schema_url:
        async with runtime(settings, schema_url) as rt:
            await warm_up(rt)
            await at_once(rt, "PostgreSQL", count)


async def run(count: int = COUNT, sqlite: bool = True, postgres: str | None = None) -> None:
    print(f"cores available: {len(os.sched_getaffinity(0))}")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        settings = load_settings().model_copy(update={"data_dir": tmp})
        if sqlite:
            await on_sqlite(settings, tmp, count)
        if postgres:
            await on_postgres(settings, postgres, count)
    print(f"peak resident memory: {resident_mb():.0f} MB")


async def readiness_during_a_write(settings: object, db: Path, rt: object) -> None:
    """GET /readyz through the ASGI app, again and again, while another connection holds
    SQLite's write lock (BEGIN IMMEDIATE and an uncommitted write) for 2 seconds."""
    import httpx

    from chatbot.server import create_app

    app = create_app(settings, f"sqlite:///{db}", rt.assistant.understander)  # type: ignore[arg-type, attr-defined]
    holding, released = threading.Event(), threading.Event()

    def hold() -> None:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE audit_head SET seq = seq WHERE id = 1")
        holding.set()
        time.sleep(2.0)
        other.execute("ROLLBACK")
        other.close()
        released.set()

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            writer = threading.Thread(target=hold)
            writer.start()
            await asyncio.to_thread(holding.wait)
            samples, statuses = [], set()
            while not released.is_set():
                t0 = time.perf_counter()
                statuses.add((await client.get("/readyz")).status_code)
                samples.append(time.perf_counter() - t0)
            writer.join()
    print(
        f"/readyz while another connection holds the write lock 2 s: {len(samples)} requests, "
        f"p50 {percentile(samples, 0.5) * 1e3:.2f} ms, p99 {percentile(samples, 0.99) * 1e3:.2f}"
        f" ms, max {max(samples) * 1e3:.1f} ms, statuses {sorted(statuses)} (target p99 <= 20 ms)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline")
    parser.add_argument("--postgres", metavar="URL", help="only PostgreSQL, at this URL")
    parser.add_argument("--sqlite", action="store_true", help="only SQLite")
    args = parser.parse_args(argv or [])
    env = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("CHATOPS_TEST_DATABASE_URL")
    postgres = args.postgres or (None if args.sqlite else env)
    asyncio.run(run(sqlite=not args.postgres, postgres=postgres))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
