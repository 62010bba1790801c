"""10,000 messages through Assistant.handle on SQLite: messages per second, p50/p99 latency.

A realistic mix: requests that ask for confirmation, confirmations that run the sandbox,
read-only questions, small talk, and missing-slot follow-ups, spread over the demo people.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from pathlib import Path

from bench.stats import latency_line, resident_mb
from chatbot.app import runtime
from chatbot.config import load_settings
from chatbot.types import Message

COUNT = 10_000
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
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings().model_copy(update={"data_dir": Path(tmp)})
        started = time.perf_counter()
        async with runtime(settings, f"sqlite:///{tmp}/bench.db") as rt:
            took = time.perf_counter() - started
            print(f"start-up (migrate, load or train the model): {took:.2f} s")
            latencies: list[float] = []
            turns = itertools.cycle(SCRIPT)
            wall = time.perf_counter()
            for n in range(count):
                who, text = next(turns)
                message = Message("bench", who, text.format(n=n), channel="bench")
                t0 = time.perf_counter()
                await rt.assistant.handle(message)
                latencies.append(time.perf_counter() - t0)
            wall = time.perf_counter() - wall
            print(latency_line("Assistant.handle on SQLite", latencies, wall))
    print(f"peak resident memory: {resident_mb():.0f} MB")


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
