"""Two `chatops serve` replicas and `chatops worker`s on PostgreSQL, as real subprocesses on
free loopback ports, plus a fake remote system that counts what it is asked to do.

Shared by the topology test (tests/jobs) and the load benchmark (bench/load.py). The action
is a manifest skill, `cache.flush`, whose one HTTP request goes to the fake remote with
`Idempotency-Key: chatops-{action_id}`: the remote's count per key is what "started once"
means to the system on the other side.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

SKILL = """
name = "cache.flush"
description = "Purge the CDN cache of a service in an environment."
examples = [
  "flush the cache of checkout in prod", "purge the cdn cache for web on staging",
  "clear the cache of search in dev", "cache flush for billing in production",
  "please purge the checkout cache on stg", "invalidate the cdn for web in prod",
  "empty the cache of api-gateway on staging", "purge the cache of payments-api in dev",
]
keywords = ["cache", "purge", "flush", "cdn", "invalidate"]
risk = "low"
requires = "confirm"
reply = "Purged the cache of {service} in {env}."

[[slots]]
name = "service"
type = "service"

[[slots]]
name = "env"
type = "env"

[action]
method = "POST"
url = "http://127.0.0.1:PORT/purge/{service}/{env}"
headers = { Idempotency-Key = "chatops-{action_id}" }
expect = [200]
"""

CONFIG = """
[jobs]
engine = "procrastinate"
sweep_seconds = 1
concurrency = 8

[skills]
allowed_hosts = ["127.0.0.1"]
reload_seconds = 1

[limits]
run_lease_seconds = 3
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Remote:
    """The fake CDN: answers each purge after `delay` seconds (`hold` services: never, until
    released), counting requests per idempotency key."""

    delay: float = 0.05
    hold: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @contextlib.contextmanager
    def serving(self) -> Iterator[int]:
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with remote.lock:
                    remote.calls[self.headers.get("Idempotency-Key", "")] += 1
                if self.path.split("/")[2] in remote.hold:
                    remote.held.set()
                    remote.release.wait(120)
                else:
                    time.sleep(remote.delay)
                body = json.dumps({"ok": True}).encode()
                with contextlib.suppress(OSError):  # the caller may have been killed
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield int(server.server_address[1])
        finally:
            remote.release.set()
            server.shutdown()
            server.server_close()


@dataclass
class Topology:
    """The processes of one deployment; every one is killed on exit."""

    workdir: Path
    database_url: str
    remote_port: int
    extra_config: str = ""
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")},
            "CHATOPS_CONFIG": str(self.workdir / "chatops.toml"),
            "CHATOPS_DATABASE_URL": self.database_url,
            "CHATOPS_DATA_DIR": str(self.workdir / "data"),
            "PYTHONUNBUFFERED": "1",
        }

    def chatops(self, *args: str) -> None:
        """Run one `chatops` command to completion; raise with its stderr if it fails."""
        done = subprocess.run(
            [sys.executable, "-m", "chatbot.cli", *args],
            env=self.env(),
            capture_output=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"chatops {' '.join(args)}: {done.stderr.decode()[-2000:]}")

    def prepare(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "chatops.toml").write_text(CONFIG + self.extra_config)
        skill = self.workdir / "cache-flush.toml"
        skill.write_text(SKILL.replace("PORT", str(self.remote_port)))
        self.chatops("migrate")
        self.chatops("skills", "add", str(skill), "--as", "dave")

    def start(self, name: str, *args: str) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "chatbot.cli", *args],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def serve(self, name: str) -> str:
        port = free_port()
        self.ports[name] = port
        self.start(name, "serve", "--host", "127.0.0.1", "--port", str(port))
        return f"http://127.0.0.1:{port}"

    def wait_ready(self, base: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    log = (self.workdir / f"{name}.log").read_text(errors="replace")
                    raise RuntimeError(f"{name} exited {proc.returncode}: {log[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{base} not ready after {timeout} s")

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for name in list(self.procs):
            proc = self.procs.pop(name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def request(client: httpx.Client, base: str, who: str, text: str = "", press: str = "") -> dict:
    body = {"as": who, **({"press": press} if press else {"text": text})}
    answer = client.post(f"{base}/api/chat", json=body, timeout=30)
    answer.raise_for_status()
    return dict(answer.json())


def confirm_button(replies: list[dict]) -> str:
    for reply in replies:
        for button in reply["buttons"]:
            if button["value"].startswith("confirm:"):
                return str(button["value"])
    raise AssertionError(f"no Confirm button in {replies}")
