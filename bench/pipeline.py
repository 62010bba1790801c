"""10,000 messages through Assistant.handle on SQLite: messages per second, p50/p99 latency,
CPU per message next to the CPU of parsing alone, and /readyz while a write is held.

A realistic mix: requests that ask for confirmation, confirmations that run the sandbox,
read-only questions, small talk, and missing-slot follow-ups, spread over the demo people.
Targets (issue 12): >= 500 messages/s, p99 <= 15 ms; /readyz p99 <= 20 ms while another
connection holds a write transaction for 2 s.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from bench.stats import latency_line, percentile, resident_mb
from chatbot.app import runtime
from chatbot.config import load_settings
from chatbot.types import Message

COUNT = int(os.environ.get("BENCH_MESSAGES", "10000"))
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


async def run(count: int = COUNT) -> None:
    print(f"cores available: {len(os.sched_getaffinity(0))}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings().model_copy(update={"data_dir": Path(tmp)})
        started = time.perf_counter()
        async with runtime(settings, f"sqlite:///{tmp}/bench.db") as rt:
            took = time.perf_counter() - started
            print(f"start-up (migrate, load or train the model): {took:.2f} s")
            latencies: list[float] = []
            turns = itertools.cycle(SCRIPT)
            texts = []
            wall, cpu = time.perf_counter(), time.process_time()
            for n in range(count):
                who, text = next(turns)
                message = Message("bench", who, text.format(n=n), channel="bench")
                texts.append(message.text)
                t0 = time.perf_counter()
                await rt.assistant.handle(message)
                latencies.append(time.perf_counter() - t0)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(latency_line("Assistant.handle on SQLite", latencies, wall))
            parse = time.process_time()
            for text in texts:
                rt.assistant.understander.parse(text)
            parse = time.process_time() - parse
            print(
                f"CPU per message: {cpu / count * 1e3:.2f} ms in all, "
                f"{parse / count * 1e3:.2f} ms of it parsing (same messages, parse alone)"
            )
        await readiness_during_a_write(settings, Path(tmp) / "bench.db", rt)
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


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
