"""How fast a registry change reaches another replica, and what it costs the messages
being handled meanwhile (issue 17: "p99 from `skills add` to the first successful chat use
on the other replica").

A real deployment on PostgreSQL: two `chatops serve` replicas and one `chatops worker`, as
subprocesses on loopback. Each round an admin adds a new version of a manifest skill on
replica A (`POST /api/skills`; its request carries `X-Round: N`), and the other replica, B,
is asked to use it until the fake remote receives a request of round N: that moment is the
first successful use. Meanwhile background clients chat with both replicas (a read-only
request, the whole pipeline); their latency during the changes is printed next to the same
clients' latency before any change (the floor, same run).

`python -m bench.skills_live [--rounds 10] [--reload-seconds 2]`; the database is
CHATOPS_TEST_DATABASE_URL or the local postgresql://postgres@127.0.0.1:5432/test, in a
fresh schema dropped afterwards. The live test (tests/skills/test_live_replicas.py) runs
`measure` with two rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from bench.load import DEFAULT_URL, fresh_schema
from bench.stats import percentile
from bench.topology import SKILL, Topology, confirm_button, request

TOKEN = "bench-admin-token-0123456789"
CONFIG = """
[jobs]
engine = "procrastinate"
sweep_seconds = 1

[skills]
reload_seconds = RELOAD

[api_tokens.ops]
person = "dave"
sha256 = "SHA"
"""


def manifest(port: int, round_: int) -> str:
    """The benchmark's skill, version `round_`: its request says which version sent it."""
    return SKILL.replace("PORT", str(port)).replace(
        'headers = { Idempotency-Key = "chatops-{action_id}" }',
        f'headers = {{ Idempotency-Key = "chatops-{{action_id}}", X-Round = "{round_}" }}',
    )


@dataclass
class Rounds:
    """The fake remote: the time each round's first request arrived."""

    first: dict[int, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @contextlib.contextmanager
    def serving(self) -> Iterator[int]:
        rounds = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with rounds.lock:
                    rounds.first.setdefault(int(self.headers.get("X-Round", "-1")), time.time())
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield int(server.server_address[1])
        finally:
            server.shutdown()
            server.server_close()


@dataclass
class Measured:
    to_use: list[float] = field(default_factory=list)  # add answered -> first use on B
    floor: list[float] = field(default_factory=list)  # message latency before any change
    during: list[float] = field(default_factory=list)  # message latency during changes
    listing: dict = field(default_factory=dict)  # GET /api/skills on A at the end
    windows: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Deployment(Topology):
    """Topology whose next process started gets `only` in its environment on top: replica A
    alone allows the remote's host, so B and the worker run the skill on the hosts the
    change carries (their settings predate it)."""

    only: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.only}


def _background(bases: tuple[str, str], stop: threading.Event, out: list) -> None:
    """A client chatting with both replicas in turn: (start time, latency) per message."""
    with httpx.Client() as client:
        i = 0
        while not stop.is_set():
            started = time.time()
            request(client, bases[i % 2], "alice", "who is on call for checkout")
            out.append((started, time.time() - started))
            i += 1


def _use(client: httpx.Client, base: str, rounds: Rounds, n: int, timeout: float) -> float:
    """Ask B to flush until the remote sees round n; the time it did."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        asked = request(client, base, "dave", "flush the cache of web in dev")["replies"]
        if any(b["value"].startswith("confirm:") for r in asked for b in r["buttons"]):
            request(client, base, "dave", press=confirm_button(asked))
            waited = time.time() + 3
            while time.time() < waited and n not in rounds.first:
                time.sleep(0.05)
        if n in rounds.first:
            return rounds.first[n]
        time.sleep(0.1)
    raise TimeoutError(f"round {n} was not used on {base} within {timeout} s")


def measure(
    database_url: str, workdir: Path, rounds: int, reload_seconds: float, clients: int = 2
) -> Measured:
    found, remote = Measured(), Rounds()
    with remote.serving() as port:
        topo = Deployment(workdir, database_url, port)
        workdir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(TOKEN.encode()).hexdigest()
        config = CONFIG.replace("RELOAD", str(reload_seconds)).replace("SHA", digest)
        (workdir / "chatops.toml").write_text(config)
        topo.chatops("migrate")
        try:
            topo.only = {"CHATOPS_SKILLS__ALLOWED_HOSTS": '["127.0.0.1"]'}
            a = topo.serve("web-a")
            topo.only = {}
            b = topo.serve("web-b")
            topo.start("worker", "worker")
            topo.wait_ready(a)
            topo.wait_ready(b)
            stop, seen = threading.Event(), []
            load = [
                threading.Thread(target=_background, args=((a, b), stop, seen), daemon=True)
                for _ in range(clients)
            ]
            for thread in load:
                thread.start()
            admin = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/toml"}
            with httpx.Client(timeout=60) as client:
                time.sleep(3)  # the floor: the same clients before any change
                for n in range(rounds):
                    begun = time.time()
                    added = client.post(f"{a}/api/skills", content=manifest(port, n), headers=admin)
                    assert added.status_code == 201, added.text
                    answered = time.time()
                    used = _use(client, b, remote, n, timeout=120)
                    found.to_use.append(used - answered)
                    found.windows.append((begun, used))
                    time.sleep(0.5)
                found.listing = client.get(f"{a}/api/skills", headers=admin).json()
            stop.set()
            for thread in load:
                thread.join(30)
        finally:
            topo.stop_all()
    first = found.windows[0][0] if found.windows else float("inf")
    for started, took in seen:
        if started < first:
            found.floor.append(took)
        elif any(lo <= started <= hi for lo, hi in found.windows):
            found.during.append(took)
    return found


def _ms(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    p50, p99 = percentile(samples, 0.5) * 1000, percentile(samples, 0.99) * 1000
    return f"{len(samples)} messages, p50 {p50:.0f} ms, p99 {p99:.0f} ms"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.skills_live")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--reload-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    url = os.environ.get("CHATOPS_TEST_DATABASE_URL") or DEFAULT_URL
    with tempfile.TemporaryDirectory(prefix="chatops-skills-") as tmp, fresh_schema(url) as db:
        got = measure(db, Path(tmp), args.rounds, args.reload_seconds)
    use = got.to_use
    print(
        f"   {os.cpu_count()} cores; 2 serve replicas + 1 worker on PostgreSQL; "
        f"skills.reload_seconds = {args.reload_seconds}; {len(use)} changes"
    )
    print(
        f"   add on A answered -> first successful use on B: p50 "
        f"{percentile(use, 0.5):.2f} s, p99 {percentile(use, 0.99):.2f} s, max {max(use):.2f} s"
    )
    print(f"   messages before any change (floor): {_ms(got.floor)}")
    print(f"   messages while a change spread:     {_ms(got.during)}")


if __name__ == "__main__":
    main()
