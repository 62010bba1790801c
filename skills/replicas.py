"""What each running server loaded from the skill registry, kept in the shared database.

Every replica writes one row when it loads a registry version (what it runs, what it skipped
and why, what needs a restart) and touches it while it keeps polling, so an admin reading
`skills list` or `GET /api/skills` on any machine sees every replica's state, and where they
disagree (one still on an older version, one skipping a skill for want of a secret).
A replica that stopped looking for longer than `STALE_SECONDS` is left out of listings.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select

from chatbot.store.engine import Store
from chatbot.store.tables import SkillReplica
from chatbot.types import utcnow
from skills.admin import Listed

STALE_SECONDS = 60.0
TOUCH_SECONDS = 10.0  # how often a replica with nothing new to load says it is still there


def replica_id() -> str:
    """host:pid, the same name runners carry in actions (governance/lifecycle.py)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Loaded:
    """One replica's view of the registry, as it last wrote it."""

    replica: str
    registry_version: int
    loaded: dict[str, int]
    skipped: dict[str, str]
    restart_needed: list[str]
    loaded_at: datetime
    seen_at: datetime

    def state_of(self, name: str, version: int | None, enabled: bool) -> str:
        """This replica's state of one skill: active, disabled, skipped: why, or behind."""
        if name in self.skipped:
            return f"skipped: {self.skipped[name]}"
        running = self.loaded.get(name)
        if running is None:
            return "disabled" if not enabled else "not loaded yet"
        if not enabled:
            return "behind: still active"
        if version is not None and running != version:
            return f"behind: runs version {running}"
        return "active"

    def as_json(self, head: int) -> dict[str, object]:
        return {
            "replica": self.replica,
            "registry_version": self.registry_version,
            "current": self.registry_version == head,
            "skipped": dict(self.skipped),
            "restart_needed": list(self.restart_needed),
            "loaded_at": self.loaded_at.isoformat(),
            "seen_at": self.seen_at.isoformat(),
        }


async def record(
    store: Store,
    replica: str,
    version: int,
    loaded: dict[str, int],
    skipped: dict[str, str],
    restart_needed: list[str],
) -> None:
    now = utcnow()
    async with store.transaction() as tx:
        row = await tx.get(SkillReplica, replica)
        if row is None:
            row = SkillReplica(replica=replica, loaded_at=now, seen_at=now)
        row.registry_version, row.loaded_at, row.seen_at = version, now, now
        row.loaded = json.dumps(loaded, sort_keys=True)
        row.skipped = json.dumps(skipped, sort_keys=True)
        row.restart_needed = json.dumps(restart_needed)
        tx.add(row)


async def touch(store: Store, replica: str) -> None:
    async with store.transaction() as tx:
        row = await tx.get(SkillReplica, replica)
        if row is not None:
            row.seen_at = utcnow()
            tx.add(row)


async def forget(store: Store, replica: str) -> None:
    """A replica stopping cleanly leaves the listing at once."""
    async with store.transaction() as tx:
        await tx.exec(delete(SkillReplica).where(col(SkillReplica.replica) == replica))  # type: ignore[call-overload]


async def live(store: Store, stale_seconds: float = STALE_SECONDS) -> list[Loaded]:
    """Replicas that looked at the registry within `stale_seconds`, by name."""
    since = utcnow() - timedelta(seconds=stale_seconds)
    async with store.transaction() as tx:
        rows = (
            await tx.exec(
                select(SkillReplica)
                .where(col(SkillReplica.seen_at) >= since)
                .order_by(col(SkillReplica.replica))
            )
        ).all()
    return [
        Loaded(
            r.replica,
            r.registry_version,
            json.loads(r.loaded),
            json.loads(r.skipped),
            json.loads(r.restart_needed),
            r.loaded_at,
            r.seen_at,
        )
        for r in rows
    ]


def annotate(rows: Sequence[Listed], found: Sequence[Loaded]) -> list[Listed]:
    """Each listed skill with every live replica's state of it."""
    return [
        replace(
            row,
            replicas=tuple(
                (r.replica, r.state_of(row.name, row.version, row.enabled)) for r in found
            ),
        )
        for row in rows
    ]


def summary(found: Sequence[Loaded], head: int, now: datetime | None = None) -> list[str]:
    """Lines for `skills list`: each replica, its registry version, and what it skips."""
    now = now or utcnow()
    lines = [f"replicas ({len(found)}; registry version {head}):"] if found else []
    for r in found:
        ago = max(0, round((now - r.seen_at).total_seconds()))
        state = "current" if r.registry_version == head else "behind"
        line = f"  {r.replica}  version {r.registry_version} ({state}), seen {ago} s ago"
        if r.skipped:
            line += "; skipped: " + ", ".join(sorted(r.skipped))
        if r.restart_needed:
            line += "; restart needed: " + "; ".join(r.restart_needed)
        lines.append(line)
    return lines
