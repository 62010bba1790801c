"""Revoking temporary access when its time is up: a persisted due-time table, swept by a job.

access.request writes `grant:{resource}:{user}` rows (with a `due` time) to its key-value
namespace in the database. The periodic job `access.revoke_due` (chatbot/jobs, every
`skills.revoke_seconds`) sweeps them; a row is claimed with a compare-and-swap that pushes its
due time out by a lease, so exactly one process revokes it even when two sweeps overlap, and a
crash mid-revoke only delays it by the lease. The due rows live in our own tables because they
are written in the same transaction as the grant.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, update
from sqlmodel import col

from chatbot.governance import audit
from chatbot.store.engine import Store
from chatbot.store.tables import KVItem
from chatbot.types import Principal, utcnow
from skills.api import SkillContext, SkillError
from skills.builtin.selfservice import AccessRequest
from skills.kv import StoreKeyValue
from skills.registry import SkillRegistry

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
SYSTEM = Principal(name="scheduler", email="", display_name="access revoker")


class Revoker:
    def __init__(self, store: Store, registry: SkillRegistry, http: httpx.AsyncClient) -> None:
        self.store, self.registry, self.http = store, registry, http

    def _skill(self) -> AccessRequest | None:
        skill = self.registry.get("access.request")
        inner = getattr(skill, "inner", skill)
        return inner if isinstance(inner, AccessRequest) else None

    async def _claim(self, namespace: str, key: str, old: dict[str, Any], now: datetime) -> bool:
        leased = {**old, "due": (now + LEASE).isoformat()}
        async with self.store.transaction() as tx:
            moved = await tx.exec(  # type: ignore[call-overload]
                update(KVItem)
                .where(
                    col(KVItem.namespace) == namespace,
                    col(KVItem.key) == key,
                    col(KVItem.value) == json.dumps(old, sort_keys=True),
                )
                .values(value=json.dumps(leased, sort_keys=True), updated_at=now)
            )
            return moved.rowcount == 1

    async def sweep(self, now: datetime | None = None) -> int:
        """Revoke every grant that is due; the number revoked."""
        skill = self._skill()
        if skill is None:
            return 0
        now = now or utcnow()
        kv = StoreKeyValue(self.store, skill.spec.namespace)
        done = 0
        for key, grant in (await kv.items("grant:")).items():
            if datetime.fromisoformat(grant["due"]) > now:
                continue
            if not await self._claim(skill.spec.namespace, key, grant, now):
                continue  # another replica has it
            ctx = SkillContext(SYSTEM, {"resource": grant["resource"]}, kv, self.http)
            try:
                text = await skill.revoke(ctx, grant["user"], grant["resource"])
                outcome = "ok"
            except SkillError as exc:
                text, outcome = str(exc), "failed"  # the lease expires and it is tried again
            async with self.store.transaction() as tx:
                if outcome == "ok":
                    await tx.exec(  # type: ignore[call-overload]
                        delete(KVItem).where(
                            col(KVItem.namespace) == skill.spec.namespace, col(KVItem.key) == key
                        )
                    )
                    done += 1
                await audit.append(
                    tx,
                    audit.AuditRecord(
                        actor=SYSTEM.name,
                        event="access.revoked" if outcome == "ok" else "access.revoke_failed",
                        platform="scheduler",
                        channel="revoker",
                        skill="access.request",
                        action_id=grant.get("action_id"),
                        outcome=outcome,
                        detail={"user": grant["user"], "resource": grant["resource"], "text": text},
                    ),
                )
        return done
