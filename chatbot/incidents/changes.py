"""Suspected changes: what changed on the service (or what it depends on) just before impact.

Said as "suspected change", never "root cause": closeness in time and relation is evidence,
not proof. Changes are the actions the assistant ran (deploys, rollbacks, restarts), so the
list is only as complete as the share of changes made through it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.store.tables import Action

CHANGE_SKILLS = ("deploy", "deploy.rollback", "service.restart")
# A change counts once it started: one that failed half-way changed things too.
_CHANGED_STATES = ("running", "succeeded", "failed", "interrupted")


@dataclass(frozen=True, slots=True)
class SuspectedChange:
    action_id: int
    skill: str
    service: str
    env: str
    version: str
    by: str
    at: datetime
    minutes_before: float
    relation: str  # "same service" or "dependency"

    def as_json(self) -> dict[str, object]:
        return {
            "action_id": self.action_id,
            "skill": self.skill,
            "service": self.service,
            "env": self.env,
            "version": self.version,
            "by": self.by,
            "at": self.at.isoformat(),
            "minutes_before_impact": round(self.minutes_before, 1),
            "relation": self.relation,
        }


def rank(
    changes: Sequence[SuspectedChange],
) -> list[SuspectedChange]:
    """Same service before dependencies, then the closest in time first."""
    return sorted(changes, key=lambda c: (c.relation != "same service", c.minutes_before))


async def suspected_changes(
    tx: AsyncSession,
    service: str,
    env: str,
    impact: datetime,
    lookback_minutes: int,
    dependencies: Mapping[str, Sequence[str]],
) -> list[SuspectedChange]:
    if not service:
        return []
    related = {service: "same service"}
    for other in dependencies.get(service, ()):
        related.setdefault(other, "dependency")
    since = impact - timedelta(minutes=lookback_minutes)
    rows = await tx.exec(
        select(Action).where(
            col(Action.skill).in_(CHANGE_SKILLS),
            col(Action.state).in_(_CHANGED_STATES),
            col(Action.updated_at) >= since,
            col(Action.updated_at) <= impact,
        )
    )
    found = []
    for action in rows.all():
        slots = _slots(action.slots)
        relation = related.get(slots.get("service", ""))
        if relation is None or (env and slots.get("env") and slots["env"] != env):
            continue
        assert action.id is not None
        found.append(
            SuspectedChange(
                action_id=action.id,
                skill=action.skill,
                service=slots.get("service", ""),
                env=slots.get("env", ""),
                version=slots.get("version", ""),
                by=action.requester,
                at=action.updated_at,
                minutes_before=(impact - action.updated_at).total_seconds() / 60,
                relation=relation,
            )
        )
    return rank(found)


def _slots(text: str) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
