"""Prometheus metrics for one process, on its own registry (no module-level state).

The Assistant owns one `Metrics`; the runtime hands it to the executor and the store, and
`/metrics` renders it. Approvals pending and their age are read from the database when
scraped; job counts are a gauge the job engine sets (`set_jobs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from chatbot.types import Reply, utcnow

if TYPE_CHECKING:
    from chatbot.store.engine import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_CONFIDENCE = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
JOB_STATES = ("queued", "running", "failed")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "chatops_messages",
            "Messages handled, by channel (platform) and outcome.",
            ["channel", "outcome"],
            registry=r,
        )
        self.replies = Counter(
            "chatops_replies",
            "Replies sent through the web adapter, by kind.",
            ["kind"],
            registry=r,
        )
        self.confidence = Histogram(
            "chatops_understanding_confidence",
            "Confidence of the understood skill for each typed message.",
            buckets=_CONFIDENCE,
            registry=r,
        )
        self.message_seconds = Histogram(
            "chatops_message_seconds",
            "Time to handle one message.",
            buckets=_LATENCY,
            registry=r,
        )
        self.skill_runs = Counter(
            "chatops_skill_runs",
            "Skill runs by skill and outcome (succeeded or failed).",
            ["skill", "outcome"],
            registry=r,
        )
        self.skill_seconds = Histogram(
            "chatops_skill_run_seconds",
            "Skill run latency, by skill.",
            ["skill"],
            buckets=_LATENCY,
            registry=r,
        )
        self.approvals_pending = Gauge(
            "chatops_approvals_pending", "Requests waiting for approval.", registry=r
        )
        self.approvals_oldest = Gauge(
            "chatops_approvals_oldest_age_seconds",
            "Age of the oldest request waiting for approval (0 when none).",
            registry=r,
        )
        self.jobs = Gauge(
            "chatops_jobs", "Jobs by state, as the job engine reports them.", ["state"], registry=r
        )
        for state in JOB_STATES:
            self.jobs.labels(state).set(0)
        self.transaction_seconds = Histogram(
            "chatops_db_transaction_seconds",
            "Database transaction latency, from first statement to commit, by kind.",
            ["kind"],
            buckets=_LATENCY,
            registry=r,
        )

    def message(self, channel: str, outcome: str, seconds: float) -> None:
        self.messages.labels(channel, outcome).inc()
        self.message_seconds.observe(seconds)

    def understood(self, confidence: float) -> None:
        self.confidence.observe(confidence)

    def skill_run(self, skill: str, ok: bool, seconds: float) -> None:
        self.skill_runs.labels(skill, "succeeded" if ok else "failed").inc()
        self.skill_seconds.labels(skill).observe(seconds)

    def transaction(self, kind: str, seconds: float) -> None:
        """The store's observer (`Store.observe(metrics.transaction)`)."""
        self.transaction_seconds.labels(kind).observe(seconds)

    def set_jobs(self, state: str, count: int) -> None:
        """For the job engine: how many jobs are queued, running or failed."""
        if state not in JOB_STATES:
            raise ValueError(f"job state {state!r} is not one of {', '.join(JOB_STATES)}")
        self.jobs.labels(state).set(count)

    def set_approvals(self, created: Sequence[datetime], now: datetime) -> None:
        """Pending approvals from their creation times (read at scrape time)."""
        self.approvals_pending.set(len(created))
        oldest = min(created, default=None)
        self.approvals_oldest.set((now - oldest).total_seconds() if oldest else 0.0)

    def count(self, replies: Sequence[Reply]) -> None:
        """Replies the web adapter sent, by kind (messages are counted by the Assistant)."""
        for reply in replies:
            self.replies.labels(str(reply.kind)).inc()

    def render(self) -> str:
        return generate_latest(self.registry).decode("utf-8")


async def observe_approvals(store: Store, metrics: Metrics) -> None:
    """Refresh the approvals gauges from the database (one read; never waits for a writer)."""
    from sqlmodel import col, select

    from chatbot.store.tables import Action

    query = select(Action.created_at).where(col(Action.state) == "awaiting_approval")
    async with store.read() as tx:
        created = list((await tx.exec(query)).all())
    metrics.set_approvals(created, utcnow())
