"""The web chat's own cost, next to its floor measured in the same run, on SQLite:

- floor: the same messages through `Assistant.handle` alone (no web bookkeeping);
- `POST /api/chat` through the ASGI app: the message and every reply kept in each reader's
  conversation, cards refreshed, screens woken;
- `GET /api/history`: a reload of a 200-entry conversation, in words for the reader;
- live: from carol's "Send for approval" answered to the card event on dave's open stream.

`python -m bench web`; BENCH_WEB_MESSAGES sets how many messages (default 1000).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench.stats import latency_line
from chatbot.adapters.web import live
from chatbot.adapters.web.delivery import WebChat
from chatbot.config import load_settings
from chatbot.server import create_app
from chatbot.types import Message

COUNT = int(os.environ.get("BENCH_WEB_MESSAGES", "1000"))
SCRIPT = (
    ("alice", "reset my vpn"),
    ("alice", "yes"),
    ("bob", "deploy web 5.2.{n} to dev"),
    ("bob", "go ahead"),
    ("dave", "help"),
    ("alice", "who am i"),
)


async def _timed(count: int, call: object) -> tuple[list[float], float]:
    took: list[float] = []
    wall = time.perf_counter()
    turns = itertools.cycle(SCRIPT)
    for n in range(count):
        who, text = next(turns)
        started = time.perf_counter()
        await call(who, text.format(n=n))  # type: ignore[operator]
        took.append(time.perf_counter() - started)
    return took, time.perf_counter() - wall


async def run(count: int = COUNT) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings().model_copy(
            update={"data_dir": Path(tmp), "server": load_settings().server}
        )
        app = create_app(settings, f"sqlite:///{tmp}/bench.db")
        async with app.router.lifespan_context(app):
            rt = app.state.runtime
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:

                async def handle(who: str, text: str) -> None:
                    await rt.assistant.handle(Message("bench", who, text, channel="bench"))

                async def chat(who: str, text: str) -> None:
                    answer = await http.post("/api/chat", json={"as": who, "text": text})
                    assert answer.status_code == 200, answer.text

                took, wall = await _timed(count, handle)
                print(latency_line("floor: Assistant.handle alone", took, wall))
                took, wall = await _timed(count, chat)
                print(latency_line("POST /api/chat, kept per reader", took, wall))
                reads = []
                wall = time.perf_counter()
                for _ in range(200):
                    started = time.perf_counter()
                    answer = await http.get("/api/history", params={"as": "alice"})
                    reads.append(time.perf_counter() - started)
                shown = len(answer.json()["entries"])
                print(
                    latency_line(
                        f"GET /api/history ({shown} entries)", reads, time.perf_counter() - wall
                    )
                )
                await _live(http, app.state.web_chat)


async def _live(http: httpx.AsyncClient, web: WebChat) -> None:
    """Card pushes to an open stream (in process: what a browser's EventSource waits on)."""
    pushes = []
    for n in range(50):
        stream = live.stream(web, "dave", (await web.changes("dave", 0))[1], tick=60)
        await anext(stream)  # connected
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0)
        asked = await http.post(
            "/api/chat", json={"as": "carol", "text": f"deploy web 9.{n}.0 to prod"}
        )
        send = asked.json()["entries"][-1]["buttons"][0]["value"]
        started = time.perf_counter()
        await http.post("/api/chat", json={"as": "carol", "press": send})
        await waiting
        pushes.append(time.perf_counter() - started)
        await stream.aclose()
    print(latency_line("live: send for approval -> card on dave's stream", pushes, sum(pushes)))


def main() -> None:
    asyncio.run(run())
