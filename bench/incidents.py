"""Alert intake and KPI speed: `python -m bench.incidents [--deliveries 2000]`.

Intake: the real server (`chatops serve` in a subprocess, SQLite) receiving Alertmanager
deliveries on loopback, one at a time: 1 in 5 opens a new incident, the rest are repeats
(Alertmanager re-sends every group_interval). The floor is `/healthz` on the same server in the
same run. Targets: >= 500 deliveries/s, p99 <= 50 ms.

KPIs: `kpi.report` over 100,000 incidents (with their deploys) on PostgreSQL
(CHATOPS_BENCH_DATABASE_URL, default the local test database, in a schema of its own).
Target: <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bench.ack import free_port
from bench.stats import latency_line

TOKEN = "bench-alert-token"
ROUNDS = 5
PG = os.environ.get("CHATOPS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def delivery(group: int, at: datetime) -> bytes:
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


async def _post_all(port: int, bodies: list[bytes]) -> tuple[list[float], float, list[float]]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        floor = []
        for _ in range(300):
            began = time.perf_counter()
            (await http.get("/healthz")).raise_for_status()
            floor.append(time.perf_counter() - began)
        samples, started = [], time.perf_counter()
        for body in bodies:
            began = time.perf_counter()
            (
                await http.post("/hooks/alertmanager", content=body, headers=headers)
            ).raise_for_status()
            samples.append(time.perf_counter() - began)
        return samples, time.perf_counter() - started, floor


def intake(count: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
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
        try:
            deadline = time.monotonic() + 240  # a cold start trains the model
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            now = datetime.now(UTC)
            bodies = [delivery(i // 5 if i % 5 else i, now) for i in range(count)]
            samples, wall, floor = asyncio.run(_post_all(port, bodies))
        finally:
            server.terminate()
            server.wait(timeout=20)
    print("   " + latency_line("alert intake (target >= 500/s, p99 <= 50 ms)", samples, wall))
    print("   " + latency_line("floor: GET /healthz, same server", floor, sum(floor)))


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
            rows = []
            for i in range(count):
                at = t0 + timedelta(minutes=5 * i)
                rows.append(
                    {
                        "open_key": None,
                        "group_key": f"g{i}",
                        "source": "alertmanager",
                        "title": "HighErrorRate",
                        "service": f"svc{i % 50}",
                        "env": "prod",
                        "severity": "critical",
                        "state": "resolved",
                        "partial": False,
                        "started_at": at,
                        "created_at": at + timedelta(seconds=30),
                        "acknowledged_at": at + timedelta(seconds=30 + i % 600),
                        "resolved_at": at + timedelta(seconds=600 + i % 3600),
                        "updated_at": at,
                    }
                )
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
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--incidents", type=int, default=100_000)
    args = parser.parse_args(argv or [])
    intake(args.deliveries)
    kpis(args.incidents)


if __name__ == "__main__":
    main(sys.argv[1:])
