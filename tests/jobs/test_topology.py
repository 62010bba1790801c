"""Two `chatops serve` replicas and workers on PostgreSQL, as real processes: a replica
killed with SIGKILL mid-run loses nothing and starts nothing twice; a worker killed while it
runs an action leaves that action `interrupted`, and nobody runs it again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from bench.topology import Remote, Topology, confirm_button, request

FINAL = {"succeeded", "failed", "interrupted", "cancelled", "expired"}


@pytest.fixture
def pg_url(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        pytest.skip("several replicas and a worker need PostgreSQL (jobs.engine = procrastinate)")
    return database_url


@pytest.fixture
def db(pg_url: str) -> Iterator[Engine]:
    engine = create_engine(pg_url)
    yield engine
    engine.dispose()


def states(db: Engine, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT id, state, runner FROM actions WHERE id = ANY(:ids)"), {"ids": ids}
        )
        return {r.id: (r.state, r.runner) for r in rows}


def started_events(db: Engine, ids: list[int]) -> dict[int, int]:
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action_id, count(*) AS n FROM audit_entries "
                "WHERE event = 'action.started' AND action_id = ANY(:ids) GROUP BY action_id"
            ),
            {"ids": ids},
        )
        return {r.action_id: r.n for r in rows}


def wait_for(db: Engine, ids: list[int], wanted: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(s in wanted for s, _ in states(db, ids).values()) and len(states(db, ids)) == len(
            ids
        ):
            return
        time.sleep(0.2)
    raise AssertionError(f"not all {wanted} after {timeout} s: {states(db, ids)}")


def ask(client: httpx.Client, say_on: str, confirm_on: str, text_: str) -> int:
    """Ask on one replica, press Confirm on the other (a click may land anywhere)."""
    asked = request(client, say_on, "dave", text_)["replies"]
    value = confirm_button(asked)
    answer = request(client, confirm_on, "dave", press=value)["replies"]
    assert "on its way" in answer[0]["text"], answer
    return int(value.split(":")[1])


def test_replica_killed_mid_run_and_worker_killed_mid_action(
    pg_url: str, db: Engine, tmp_path: Path
) -> None:
    remote = Remote(delay=0.3, hold={"search"})
    with remote.serving() as port:
        topo = Topology(tmp_path / "deploy", pg_url, port)
        topo.prepare()
        try:
            a, b = topo.serve("web-a"), topo.serve("web-b")
            topo.start("worker-1", "worker")
            topo.wait_ready(a)
            topo.wait_ready(b)
            ids: list[int] = []
            with httpx.Client() as client:
                for i in range(6):
                    ids.append(ask(client, a if i % 2 else b, b if i % 2 else a, _flush(i)))
                running = [s for s, _ in states(db, ids).values()]
                topo.kill("web-a")  # mid-run: the worker is still working through them
                assert {"queued", "running"} & set(running), running
                for i in range(6, 12):
                    ids.append(ask(client, b, b, _flush(i)))

                wait_for(db, ids, {"succeeded"}, timeout=90)
                assert {remote.calls[f"chatops-{i}"] for i in ids} == {1}
                assert set(started_events(db, ids).values()) == {1}
                notes = client.post(f"{b}/api/inbox", json={"as": "dave"}).json()
                told = " ".join(n["text"] for n in notes["notifications"])
                assert all(f"Request #{i} " in told for i in ids), told

                # A worker dies while the remote holds its action: interrupted, never re-run.
                topo.start("worker-2", "worker")
                held = ask(client, b, b, "flush the cache of search in dev")
                assert remote.held.wait(60), "the held action never reached the remote"
                state, runner = states(db, [held])[held]
                assert state == "running" and runner is not None
                victim = next(n for n, p in topo.procs.items() if runner.endswith(f":{p.pid}"))
                topo.kill(victim)
                wait_for(db, [held], {"interrupted"}, timeout=30)
                remote.release.set()
                after = ask(client, b, b, _flush(12))
                wait_for(db, [after], {"succeeded"}, timeout=60)
                time.sleep(2)  # a sweep or two later: still nobody re-ran it
                assert states(db, [held])[held][0] == "interrupted"
                assert remote.calls[f"chatops-{held}"] == 1
                assert started_events(db, [held, after]) == {held: 1, after: 1}
        finally:
            topo.stop_all()


def _flush(i: int) -> str:
    services = ("web", "checkout", "billing", "api-gateway", "payments-api")
    return f"flush the cache of {services[i % len(services)]} in dev"
