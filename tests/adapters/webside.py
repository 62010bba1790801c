"""The web chat from the outside: the real server on a loopback port (uvicorn in a thread),
for browsers and for clients that read its live stream (server-sent events)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """The app on http://127.0.0.1:PORT until the block ends."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def chromium_or_skip() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs /usr/bin/chromium (make test installs it as root)")
        pytest.skip(
            "Debian's chromium is not at /usr/bin/chromium: `make test` installs it when run "
            "as root; without root the browser tests skip"
        )


Event = tuple[str, dict[str, Any]]  # (the event's name, the entry it carries)


class Listener(threading.Thread):
    """Reads one person's stream (`/events`) in the background until `done(events)` says so
    (or 30 s passed): the events it got, and `status`, the stream's answer."""

    def __init__(
        self,
        base: str,
        query: dict[str, str],
        done: Callable[[list[Event]], bool],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.base, self.query, self.done, self.headers = base, query, done, headers
        self.events: list[Event] = []
        self.status = 0
        self.connected = threading.Event()

    def run(self) -> None:
        name = ""
        with (
            httpx.Client(base_url=self.base, timeout=30) as http,
            http.stream("GET", "/events", params=self.query, headers=self.headers) as answer,
        ):
            self.status = answer.status_code
            self.connected.set()
            assert answer.headers["content-type"].startswith("text/event-stream")
            for line in answer.iter_lines():
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    self.events.append((name, json.loads(line.split(":", 1)[1])))
                    if self.done(self.events):
                        return

    def wait(self) -> list[Event]:
        self.join(30)
        assert not self.is_alive(), f"the stream did not bring what was awaited: {self.events}"
        return self.events


def read_events(
    base: str,
    query: dict[str, str],
    done: Callable[[list[Event]], bool],
    headers: dict[str, str] | None = None,
) -> list[Event]:
    """Listen to a stream until `done(events)`; the events."""
    listener = Listener(base, query, done, headers)
    listener.start()
    return listener.wait()


def eventually(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "it never happened"
        time.sleep(0.05)
