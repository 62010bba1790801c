"""Alert intake and KPI speed: `python -m bench incidents` or
`python -m bench.incidents [--deliveries 8000] [--concurrency 16] [--intake-only]`.

Intake: the real server (`chatops serve` in a process of its own: uvicorn, SQLite) receiving
Alertmanager deliveries on loopback. Each group is delivered five times (one new incident, four
repeats: Alertmanager re-sends every group_interval), in a shuffled order, so repeats of one
group also arrive at the same moment. Two ways, interleaved, each beside the floor (`GET
/healthz` of the same server, driven the same way in the same run):
- at full speed: `--concurrency` keep-alive connections, each sending when answered (how much
  the server takes; latency there is mostly the queue the client itself makes);
- offered at 500/s whatever the answers (how senders behave): the latency at the target rate,
  counted from when each delivery was due.
Also the client's own ceiling (the same client against a server that only answers "ok"), and
for every phase the CPU each side spent per request. Afterwards: how long the server took to
process every accepted delivery, and a check that the database holds one incident per group
and every delivery counted. Targets: >= 500 deliveries/s, p99 <= 50 ms.

KPIs: `kpi.report` over 100,000 incidents (with their deploys) on PostgreSQL
(CHATOPS_BENCH_DATABASE_URL, default the local test database, in a schema of its own).
Target: <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bench.ack import free_port
from bench.http_load import Call, Phase, drive, machine, offer, server_cpu, trivial_server
from bench.rows import incident_rows

TOKEN = "bench-alert-token"
ROUNDS = 5
REPEATS = 5  # deliveries of each group: the first opens its incident, the rest repeat it
PG = os.environ.get("CHATOPS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
HEADERS = (("Authorization", f"Bearer {TOKEN}"), ("Content-Type", "application/json"))
RATE = 500.0  # deliveries per second offered in the open-loop phase: the target
NOTHING = Phase((), 0.0, 0.0, 0.0, ())


def delivery(group: str, at: datetime) -> bytes:
    start = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    labels = {"alertname": f"Alert{group}", "service": "checkout", "env": "prod"}
    body = {
        "version": "4",
        "groupKey": f"g{group}",
        "status": "firing",
        "receiver": "bench",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {},
                "startsAt": start,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": "",
            }
        ],
    }
    return json.dumps(body).encode()


def deliveries(prefix: str, count: int, at: datetime) -> list[Call]:
    """`count` deliveries of `count / REPEATS` groups, each group `REPEATS` times, shuffled
    (the same order every run)."""
    groups = [f"{prefix}{i // REPEATS}" for i in range(count)]
    random.Random(14).shuffle(groups)
    return [Call("POST", "/hooks/alertmanager", delivery(g, at), HEADERS) for g in groups]


def _start(port: int, data: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    env |= {
        "CHATOPS_DATA_DIR": data,
        "CHATOPS_ALERTS__ALERTMANAGER_TOKEN": TOKEN,
        "CHATOPS_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "chatbot.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240  # a cold start trains the model
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the intake server did not become ready in 4 minutes")


def _count(db: Path, query: str) -> int:
    """One number from the server's database (read-only; a missing table counts 0)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        try:
            return int(conn.execute(query).fetchone()[0] or 0)
        except sqlite3.OperationalError:
            return 0


@dataclass(frozen=True, slots=True)
class Backlog:
    """The deliveries still waiting when the answers were all given, and their processing."""

    waiting: int
    seconds: float
    server_cpu: float

    def line(self) -> str:
        each = self.server_cpu / self.waiting * 1000 if self.waiting else 0.0
        return (
            f"{self.waiting:,} deliveries waited to be processed after the last answer: "
            f"done {self.seconds:.2f} s later, server CPU {each:.2f} ms each"
        )


def _drained(db: Path, pid: int, limit: float = 600) -> Backlog:
    """Wait until no accepted delivery waits to be processed."""
    pending = "SELECT count(*) FROM alert_deliveries"
    began, cpu = time.perf_counter(), server_cpu(pid)
    waiting = _count(db, pending)
    while _count(db, pending) and time.perf_counter() - began < limit:
        time.sleep(0.02)
    return Backlog(waiting, time.perf_counter() - began, server_cpu(pid) - cpu)


@dataclass(frozen=True, slots=True)
class Measured:
    """One run's phases: at full speed (closed loop) and at the target rate (open loop)."""

    most: Phase
    most_floor: Phase
    at_rate: Phase
    at_rate_floor: Phase
    ceiling: Phase
    drain: Backlog


def intake(count: int, concurrency: int) -> None:
    print(f"   {machine()}", flush=True)
    port, ceiling_port = free_port(), free_port()
    now = datetime.now(UTC)
    half = count // 4 - count // 4 % REPEATS
    sent = [deliveries(prefix, half, now) for prefix in "abcd"]
    health = [Call("GET", "/healthz")] * half
    with tempfile.TemporaryDirectory() as data:
        db = Path(data) / "chatops.db"
        server, ceiling = _start(port, data), trivial_server(ceiling_port)
        try:

            async def run() -> Measured:
                url = f"http://127.0.0.1:{port}"
                await drive(url, health[:200], concurrency, server.pid)  # warm
                await drive(url, deliveries("w", 100, now), concurrency, server.pid)
                await asyncio.to_thread(_drained, db, server.pid)
                most = most_floor = at_rate = at_rate_floor = NOTHING
                backlog = []
                for first, second in (sent[:2], sent[2:]):  # interleaved: the same load
                    most_floor += await drive(url, health, concurrency, server.pid)
                    most += await drive(url, first, concurrency, server.pid)
                    backlog.append(await asyncio.to_thread(_drained, db, server.pid))
                    at_rate_floor += await offer(url, health, RATE, server.pid)
                    at_rate += await offer(url, second, RATE, server.pid)
                    backlog.append(await asyncio.to_thread(_drained, db, server.pid))
                drain = Backlog(
                    sum(b.waiting for b in backlog),
                    sum(b.seconds for b in backlog),
                    sum(b.server_cpu for b in backlog),
                )
                top = f"http://127.0.0.1:{ceiling_port}"
                ceiling_ = await drive(top, health, concurrency, ceiling.pid)
                return Measured(most, most_floor, at_rate, at_rate_floor, ceiling_, drain)

            got = asyncio.run(run())
            made = _count(db, "SELECT count(*) FROM incidents")
            counted = _count(db, "SELECT sum(deliveries) FROM alerts")
        finally:
            ceiling.terminate()
            server.terminate()
            server.wait(timeout=30)
            ceiling.wait(timeout=10)
    refused = sum(1 for s in got.most.statuses + got.at_rate.statuses if s >= 300)
    print(f"   at full speed, {concurrency} keep-alive connections each sending when answered:")
    print("     " + got.most.line("alert intake"))
    print("     " + got.most_floor.line("floor: GET /healthz, same server, same client"))
    print("     " + got.ceiling.line("client ceiling: a server that only answers"))
    print(f"   offered at {RATE:.0f}/s, latency from when each request was due:")
    print("     " + got.at_rate.line("alert intake (target >= 500/s, p99 <= 50 ms)"))
    print("     " + got.at_rate_floor.line("floor: GET /healthz, same server, same client"))
    groups = 4 * half // REPEATS + 100 // REPEATS
    print(f"   after each phase, {got.drain.line()}")
    print(
        f"   in the database: {made:,} incidents for {groups:,} groups, {counted:,} of "
        f"{4 * half + 100:,} deliveries counted; {refused} not accepted"
    )


def kpis(count: int) -> None:
    from chatbot.incidents import kpi
    from chatbot.incidents.tables import Incident
    from chatbot.store.engine import Store
    from chatbot.store.tables import Action

    base = make_url(PG).set(drivername="postgresql+psycopg")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # no PostgreSQL here: say so and go on
        print(
            f"   KPIs over {count:,} incidents: skipped, "
            f"PostgreSQL unavailable ({exc.__class__.__name__})"
        )
        return
    url = base.set(query={"options": f"-csearch_path={schema}"})
    try:
        store = Store(url.render_as_string(hide_password=False))
        asyncio.run(store.migrate())
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        fill = create_engine(url)
        with fill.begin() as conn:
            rows = incident_rows(count, t0, timedelta(minutes=5))
            conn.execute(insert(Incident.__table__), rows)  # type: ignore[attr-defined]
            deploys = [
                {
                    "requester": "bob",
                    "skill": "deploy",
                    "state": "succeeded",
                    "platform": "web",
                    "channel": "web",
                    "slots": json.dumps({"service": f"svc{i % 50}", "env": "prod"}),
                    "created_at": t0 + timedelta(minutes=50 * i),
                    "updated_at": t0 + timedelta(minutes=50 * i),
                    "risk": "medium",
                    "rule": "",
                    "approvals_needed": 0,
                    "result": "",
                }
                for i in range(count // 10)
            ]
            conn.execute(insert(Action.__table__), deploys)  # type: ignore[attr-defined]
        fill.dispose()

        async def measure() -> tuple[list[float], list[float]]:
            took, floor = [], []
            scan = text("SELECT count(*), max(started_at), max(resolved_at) FROM incidents")
            await kpi.report(store, t0)  # warm: plans, caches, pages
            for _ in range(ROUNDS):  # interleaved, so both see the same machine load
                began = time.perf_counter()
                await kpi.report(store, t0)
                took.append(time.perf_counter() - began)
                began = time.perf_counter()
                async with store.transaction() as tx:
                    (await tx.execute(scan)).one()
                floor.append(time.perf_counter() - began)
            await store.close()
            return took, floor

        took, floor = asyncio.run(measure())
        print(
            f"   KPIs over {count:,} incidents and {count // 10:,} deploys on PostgreSQL: "
            f"median {statistics.median(took):.2f} s, best {min(took):.2f} s of {ROUNDS} "
            "(target <= 1 s)"
        )
        print(
            f"   floor: one pass over the same incidents (count, max): "
            f"median {statistics.median(floor):.2f} s, best {min(floor):.2f} s"
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.incidents")
    parser.add_argument("--deliveries", type=int, default=8000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--intake-only", action="store_true")
    args = parser.parse_args(argv or [])
    intake(args.deliveries, args.concurrency)
    if args.intake_only:
        return
    kpis(args.incidents)


if __name__ == "__main__":
    main(sys.argv[1:])
