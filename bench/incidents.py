"""Alert intake and KPI speed: `python -m bench incidents` or
`python -m bench.incidents [--deliveries 4000] [--concurrency 16]`.

Intake: the real server (`chatops serve` in a process of its own: uvicorn, SQLite) receiving
Alertmanager deliveries on loopback over `--concurrency` keep-alive connections, as an
Alertmanager HA pair sending many groups does. Each group is delivered five times (one new
incident, four repeats: Alertmanager re-sends every group_interval), in a shuffled order, so
repeats of one group also arrive at the same moment. Beside it, in the same run and driven the
same way: the floor (`GET /healthz` of the same server) and the client's own ceiling (the
same client against a server that only answers "ok"), with the CPU each side spent per
request. Afterwards: how long the server took to process every accepted delivery, and a check
that the database holds one incident per group and every delivery counted.
Targets: >= 500 deliveries/s, p99 <= 50 ms.

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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bench.ack import free_port
from bench.http_load import Call, Phase, drive, machine, trivial_server
from bench.rows import incident_rows

TOKEN = "bench-alert-token"
ROUNDS = 5
REPEATS = 5  # deliveries of each group: the first opens its incident, the rest repeat it
PG = os.environ.get("CHATOPS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
HEADERS = (("Authorization", f"Bearer {TOKEN}"), ("Content-Type", "application/json"))


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


def _drained(db: Path, limit: float = 600) -> float:
    """Seconds until no recorded delivery waits to be processed."""
    began = time.perf_counter()
    pending = "SELECT count(*) FROM alert_deliveries"
    while _count(db, pending) and time.perf_counter() - began < limit:
        time.sleep(0.05)
    return time.perf_counter() - began


def intake(count: int, concurrency: int) -> None:
    print(f"   {machine()}; {concurrency} connections", flush=True)
    port, ceiling_port = free_port(), free_port()
    now = datetime.now(UTC)
    half = count // 2 - count // 2 % REPEATS
    rounds = [deliveries("a", half, now), deliveries("b", half, now)]
    health = [Call("GET", "/healthz")] * half
    with tempfile.TemporaryDirectory() as data:
        server, ceiling = _start(port, data), trivial_server(ceiling_port)
        try:

            async def run() -> tuple[Phase, Phase, Phase, float]:
                url = f"http://127.0.0.1:{port}"
                await drive(url, health[:200], concurrency, server.pid)  # warm
                await drive(url, deliveries("w", 100, now), concurrency, server.pid)
                await asyncio.to_thread(_drained, Path(data) / "chatops.db")
                floor = took = Phase((), 0.0, 0.0, 0.0, ())
                for sent in rounds:  # interleaved: both see the same machine load
                    floor += await drive(url, health, concurrency, server.pid)
                    took += await drive(url, sent, concurrency, server.pid)
                drain = await asyncio.to_thread(_drained, Path(data) / "chatops.db")
                top = await drive(
                    f"http://127.0.0.1:{ceiling_port}", health, concurrency, ceiling.pid
                )
                return took, floor, top, drain

            took, floor, top, drain = asyncio.run(run())
            db = Path(data) / "chatops.db"
            made = _count(db, "SELECT count(*) FROM incidents")
            counted = _count(db, "SELECT sum(deliveries) FROM alerts")
        finally:
            ceiling.terminate()
            server.terminate()
            server.wait(timeout=30)
            ceiling.wait(timeout=10)
    refused = sum(1 for s in took.statuses if s >= 300)
    print("   " + took.line("alert intake (target >= 500/s, p99 <= 50 ms)"))
    print("   " + floor.line("floor: GET /healthz, same server, same client"))
    print("   " + top.line("client ceiling: same client, a server that only answers"))
    groups = 2 * half // REPEATS + 100 // REPEATS
    print(
        f"   processed: every delivery {drain:.2f} s after the last answer; "
        f"{made:,} incidents for {groups:,} groups, {counted:,} of {2 * half + 100:,} "
        f"deliveries counted; {refused} not accepted"
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
    parser.add_argument("--deliveries", type=int, default=4000)
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
