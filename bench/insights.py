"""KPI series and unserved-request groups over 100,000 rows: `python -m bench insights
[--rows 100000]`, on SQLite and on PostgreSQL (CHATOPS_BENCH_DATABASE_URL, default the local
test database, in a schema of its own; skipped when it is not there).

A year of records: `rows` incidents (a fifth with an action on their timeline), `rows / 10`
deploys and rollbacks, `rows / 20` approved requests, `rows` audit entries (messages no skill
fitted, 2,000 distinct texts, and offers of help), `rows / 10` thumbs up or down. Measured:
the KPI page's reads (`trends` over 365 days by week and 90 days by day) and the unserved
page's (`unmatched_groups` over 365 days). The floor, in the same run on the same database,
is one pass over the times of every row those reads look at (the sum of each row's seconds
since 1970: incidents, actions, audit entries): what any figure over all of them costs.
Target: each read <= 1 s at 100,000 rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from bench.rows import incident_rows

PG = os.environ.get("CHATOPS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
WORDS = ("printer", "monitor", "laptop", "outlook", "wifi", "badge", "headset", "teams", "dock")
TROUBLE = ("jammed", "not detected", "keeps crashing", "very slow", "will not start", "broken")


def _rows(count: int, now: datetime) -> dict[str, list[dict[str, Any]]]:
    start = now - timedelta(days=364)
    step = timedelta(days=364) / count
    incidents = incident_rows(count, start, step)
    events, actions, votes, audit, thumbs = [], [], [], [], []
    for i in range(count):
        at = start + step * i
        if i % 5 == 0:
            events.append(
                {
                    "incident_id": i + 1,
                    "at": at,
                    "kind": "action",
                    "actor": "assistant" if i % 10 else "carol",
                    "text": "",
                    "idem_key": f"e{i}",
                }
            )
        text_ = f"my {WORDS[i % len(WORDS)]} {TROUBLE[i % len(TROUBLE)]} {i % 37}"
        audit.append(_audit(2 * i + 1, at, "message.received", "ok", {"text": text_}))
        audit.append(_audit(2 * i + 2, at, "understood", "none", {"skill": None}))
    for i in range(count // 10):
        at = start + step * 10 * i
        skill = "deploy.rollback" if i % 7 == 0 else "deploy"
        slots = {"service": f"svc{i % 50}", "env": "prod"}
        actions.append(_action(i + 1, skill, at, slots))
    for i in range(count // 20):
        at = start + step * 20 * i
        n = count // 10 + i + 1
        actions.append(_action(n, "access.request", at, {"resource": "grafana"}))
        votes.append(
            {
                "action_id": n,
                "approver": "carol",
                "decision": "approve",
                "at": at + timedelta(seconds=60 + i % 900),
            }
        )
    for i in range(count // 10):
        thumbs.append(
            {
                "person": f"p{i % 500}",
                "reply_id": f"r{i}",
                "skill": None,
                "verdict": "up" if i % 4 else "down",
                "at": start + step * 10 * i,
            }
        )
    return {
        "incidents": incidents,
        "incident_events": events,
        "actions": actions,
        "approval_votes": votes,
        "audit_entries": audit[:count],
        "feedback_votes": thumbs,
    }


def _audit(
    seq: int, at: datetime, event: str, outcome: str, detail: dict[str, Any]
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": at,
        "actor": f"p{seq // 2 % 500}",
        "platform": "web",
        "channel": "web",
        "event": event,
        "skill": None,
        "action_id": None,
        "outcome": outcome,
        "detail": json.dumps(detail),
        "prev_hash": "",
        "hash": "",
    }


def _action(n: int, skill: str, at: datetime, slots: dict[str, str]) -> dict[str, Any]:
    return {
        "id": n,
        "requester": "bob",
        "skill": skill,
        "state": "succeeded",
        "platform": "web",
        "channel": "web",
        "slots": json.dumps(slots),
        "created_at": at,
        "updated_at": at,
        "risk": "medium",
        "rule": "",
        "approvals_needed": 0,
        "result": "",
    }


def fill(url: Any, count: int, now: datetime) -> None:
    from sqlmodel import SQLModel

    from chatbot.incidents import tables as incident_tables

    assert incident_tables.Incident.__tablename__ == "incidents"  # registered with the rest

    tables = SQLModel.metadata.tables
    engine = create_engine(url)
    with engine.begin() as conn:
        for name, rows in _rows(count, now).items():
            for first in range(0, len(rows), 5000):
                conn.execute(insert(tables[name]), rows[first : first + 5000])
    engine.dispose()


async def _timed(label: str, read: Callable[[], Awaitable[object]]) -> None:
    await read()  # warm: the first query pays for connecting and for the planner's caches
    began = time.perf_counter()
    await read()
    print(f"   {label}: {time.perf_counter() - began:.3f} s", flush=True)


async def measure(url: str, where: str, count: int) -> None:
    from chatbot.incidents.kpi import epoch_seconds
    from chatbot.incidents.tables import Incident
    from chatbot.insights.period import Period, Step
    from chatbot.insights.trends import trends
    from chatbot.insights.unmatched import unmatched_groups
    from chatbot.store.engine import Store
    from chatbot.store.tables import Action, AuditEntry

    store = Store(url)
    try:
        year, quarter = Period.last(365, step=Step.WEEK), Period.last(90, step=Step.DAY)

        async def floor() -> None:
            async with store.read() as tx:
                dialect = tx.sync_session.get_bind().dialect.name
                for column in (Incident.created_at, Action.updated_at, AuditEntry.at):
                    await tx.execute(select(func.sum(epoch_seconds(column, dialect))))

        print(f"   {where}, {count:,} incidents and {count:,} audit entries:")
        await _timed("floor: one pass over the times of the rows read", floor)
        await _timed("KPI series, 365 days by week", lambda: trends(store, year))
        await _timed("KPI series, 90 days by day", lambda: trends(store, quarter))
        await _timed(
            "unserved requests grouped, 365 days",
            lambda: unmatched_groups(store, year.since, year.until),
        )
    finally:
        await store.close()


def on_sqlite(count: int, now: datetime) -> None:
    from chatbot.store.engine import Store

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        asyncio.run(Store(url).migrate())
        fill(make_url(url), count, now)
        asyncio.run(measure(url, "SQLite", count))


def on_postgres(count: int, now: datetime) -> None:
    from chatbot.store.engine import Store

    base = make_url(PG).set(drivername="postgresql+psycopg")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # no PostgreSQL here: say so and go on
        print(f"   PostgreSQL: skipped, unavailable ({exc.__class__.__name__})")
        return
    url = base.set(query={"options": f"-csearch_path={schema}"})
    try:
        plain = url.render_as_string(hide_password=False)
        asyncio.run(Store(plain).migrate())
        fill(url, count, now)
        with create_engine(url).begin() as conn:
            conn.execute(text("ANALYZE"))
        asyncio.run(measure(plain, "PostgreSQL", count))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.insights")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv or [])
    now = datetime.now(UTC)
    on_sqlite(args.rows, now)
    on_postgres(args.rows, now)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
