"""Load on a real deployment: two `chatops serve` replicas and one `chatops worker` on
PostgreSQL, as subprocesses on loopback, driven over HTTP by concurrent web-chat clients.

Each client asks for an action on one replica and confirms it on the other (a click lands
wherever the load balancer sends it); the worker runs it against a fake remote on loopback
that counts requests per idempotency key. Printed: messages/s and p50/p99 per message, how
long the queue took to drain, and whether every action started exactly once (remote count
and `action.started` audit entries both 1).

Bounded: at most `--actions` actions (2 messages each) and `--seconds` of load, loopback only.
`python -m bench.load [--actions 150] [--clients 8] [--seconds 20]`; the database is
CHATOPS_TEST_DATABASE_URL or the local postgresql://postgres@127.0.0.1:5432/test, in a fresh
schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.stats import latency_line
from bench.topology import Remote, Topology, confirm_button

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
SERVICES = ("web", "checkout", "billing", "api-gateway", "payments-api", "search")


def people(clients: int) -> str:
    """One admin per client: one person's conversation holds one pending confirmation, so
    clients sharing a person would cancel each other's requests (as a person typing two
    requests at once does)."""
    names = ["dave", *(f"load{n}" for n in range(clients))]
    return "".join(
        f'\n[people.{name}]\nemail = "{name}@example.com"\nroles = ["admin"]\n' for name in names
    )


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    base = make_url(url).set(drivername="postgresql+psycopg")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        query = dict(base.query) | {"options": f"-csearch_path={schema}"}
        yield base.set(query=query).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def drive(
    replicas: tuple[str, str], actions: int, clients: int, seconds: float
) -> tuple[list[float], list[int], float]:
    """Run the clients; return per-message latencies, the confirmed action ids, wall time."""
    latencies: list[float] = []
    ids: list[int] = []
    counter = iter(range(actions))
    deadline = time.perf_counter() + seconds

    async def post(client: httpx.AsyncClient, base: str, body: dict[str, str]) -> list[dict]:
        started = time.perf_counter()
        answer = await client.post(f"{base}/api/chat", json=body, timeout=30)
        latencies.append(time.perf_counter() - started)
        answer.raise_for_status()
        return list(answer.json()["replies"])

    async def client_loop(n: int) -> None:
        async with httpx.AsyncClient() as client:
            for i in counter:
                if time.perf_counter() > deadline:
                    return
                say_on, confirm_on = replicas[i % 2], replicas[(i + 1) % 2]
                who = f"load{n}"
                text_ = f"flush the cache of {SERVICES[i % len(SERVICES)]} in dev"
                asked = await post(client, say_on, {"as": who, "text": text_})
                value = confirm_button(asked)
                await post(client, confirm_on, {"as": who, "press": value})
                ids.append(int(value.split(":")[1]))

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(n) for n in range(clients)))
    return latencies, ids, time.perf_counter() - started


def settle(url: str, ids: list[int], timeout: float) -> tuple[float, dict[str, int], set[int]]:
    """Wait until every action is final; its time, states, and `action.started` counts."""
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT state, count(*) FROM actions WHERE id = ANY(:ids) GROUP BY 1"),
                    {"ids": ids},
                ).all()
                states = {r[0]: int(r[1]) for r in rows}
                if not ({"queued", "running"} & set(states)) or (
                    time.perf_counter() - started > timeout
                ):
                    counts = conn.execute(
                        text(
                            "SELECT count(*) FROM audit_entries WHERE event = 'action.started' "
                            "AND action_id = ANY(:ids) GROUP BY action_id"
                        ),
                        {"ids": ids},
                    ).all()
                    return time.perf_counter() - started, states, {int(c[0]) for c in counts}
            time.sleep(0.1)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--actions", type=int, default=150)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    url = os.environ.get("CHATOPS_TEST_DATABASE_URL") or DEFAULT_URL
    remote = Remote(delay=0.02)
    with (
        tempfile.TemporaryDirectory(prefix="chatops-load-") as tmp,
        fresh_schema(url) as db,
        remote.serving() as port,
    ):
        topo = Topology(Path(tmp), db, port, extra_config=people(args.clients))
        begun = time.perf_counter()
        topo.prepare()
        try:
            replicas = (topo.serve("web-a"), topo.serve("web-b"))
            topo.start("worker", "worker")
            for base in replicas:
                topo.wait_ready(base)
            ready = time.perf_counter() - begun
            latencies, ids, wall = asyncio.run(
                drive(replicas, args.actions, args.clients, args.seconds)
            )
            drained, states, started = settle(db, ids, timeout=60)
        finally:
            topo.stop_all()
    once = sum(1 for i in ids if remote.calls[f"chatops-{i}"] == 1)
    print(
        f"   {os.cpu_count()} cores; 2 serve replicas + 1 worker on PostgreSQL, ready in "
        f"{ready:.1f} s; {args.clients} clients"
    )
    print("   " + latency_line("web chat messages (ask + confirm)", latencies, wall))
    print(
        f"   actions: {len(ids)} confirmed, final states {states}, queue drained "
        f"{drained:.2f} s after the last confirm"
    )
    print(
        f"   started exactly once: {once}/{len(ids)} at the remote, "
        f"action.started counts {sorted(started) or '-'}"
    )


if __name__ == "__main__":
    main()
