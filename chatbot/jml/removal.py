"""Taking one grant away, whichever way it was given, through the back end that gave it.

A grant made by access.request lives as the skill's `grant:RESOURCE:USER` row and is removed
by the skill's own `revoke` (the revoker's and offboarding's path); a bundle item lives in
`jml_grants` and is removed from its group on the item's back end. Each removal is audited as
`access.revoked` (or `access.revoke_failed` with the back end's words), the events the
compliance report counts as logical-access removals. A remote failure is an answer, not an
exception: the row stays, so nothing claims a removal that did not happen.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlmodel import col, select

from chatbot import texts
from chatbot.governance import audit
from chatbot.jml import grants
from chatbot.jml.grants import GrantState
from chatbot.jml.provision import Backends
from chatbot.store.engine import Store
from chatbot.store.tables import JmlGrant
from chatbot.types import Principal
from skills.api import SkillContext, SkillError
from skills.builtin.selfservice import AccessRequest
from skills.kv import StoreKeyValue
from skills.registry import SkillRegistry

SYSTEM = Principal(name="reviews", email="", display_name="access reviews")
REQUEST, BUNDLE = "request", "bundle"


@dataclass(frozen=True, slots=True)
class Held:
    """One grant someone holds through the assistant, for a review or a removal."""

    person: str
    resource: str
    source: str  # REQUEST (ref: the skill's key) or BUNDLE (ref: the jml_grants id)
    ref: str


class Removal:
    def __init__(
        self, store: Store, registry: SkillRegistry, backends: Backends, http: httpx.AsyncClient
    ) -> None:
        self.store, self.registry, self.backends, self.http = store, registry, backends, http

    def _access(self) -> AccessRequest | None:
        skill = self.registry.get("access.request")
        inner = getattr(skill, "inner", skill)
        return inner if isinstance(inner, AccessRequest) else None

    async def held(self, resource: str | None = None) -> list[Held]:
        """Every grant the assistant knows of (of one resource, or all), oldest first."""
        found: list[Held] = []
        skill = self._access()
        if skill is not None:
            kv = StoreKeyValue(self.store, skill.spec.namespace)
            prefix = f"grant:{resource}:" if resource else "grant:"
            for key, grant in (await kv.items(prefix)).items():
                found.append(Held(str(grant["user"]), str(grant["resource"]), REQUEST, key))
        async with self.store.transaction() as tx:
            query = select(JmlGrant).where(JmlGrant.state == GrantState.GRANTED)
            if resource:
                query = query.where(JmlGrant.resource == resource)
            for row in (await tx.exec(query.order_by(col(JmlGrant.id)))).all():
                found.append(Held(row.person, row.resource, BUNDLE, str(row.id)))
        return found

    async def remove(self, held: Held, by: str, why: str) -> tuple[bool, str]:
        """(removed, what the back end said or why not), audited either way."""
        if held.source == REQUEST:
            ok, said = await self._request(held)
        else:
            ok, said = await self._bundle(int(held.ref))
        async with self.store.transaction() as tx:
            await audit.append(
                tx,
                audit.AuditRecord(
                    actor=by,
                    event="access.revoked" if ok else "access.revoke_failed",
                    platform="jml",
                    channel="-",
                    outcome="ok" if ok else "failed",
                    detail={
                        "user": held.person,
                        "resource": held.resource,
                        "source": held.source,
                        "reason": why,
                        "text": said,
                    },
                ),
            )
        return ok, said

    async def _request(self, held: Held) -> tuple[bool, str]:
        skill = self._access()
        if skill is None:
            return False, "access.request is not installed, so its back end is unknown"
        kv = StoreKeyValue(self.store, skill.spec.namespace)
        if await kv.get(held.ref) is None:
            return True, "already removed"
        ctx = SkillContext(SYSTEM, {"resource": held.resource, "user": held.person}, kv, self.http)
        try:
            said = await skill.revoke(ctx, held.person, held.resource)
        except (SkillError, httpx.HTTPError) as exc:
            return False, str(exc) or type(exc).__name__
        await kv.delete(held.ref)
        return True, said

    async def _bundle(self, grant_id: int) -> tuple[bool, str]:
        async with self.store.transaction() as tx:
            row = await tx.get(JmlGrant, grant_id)
        if row is None or row.state == GrantState.REMOVED:
            return True, "already removed"
        if not self.backends.removable(row):
            return False, texts.BY_HAND
        ok, said = await self.backends.remove(row.backend, row.person, row.grant, self.http)
        if ok:
            async with self.store.transaction() as tx:
                fresh = await tx.get(JmlGrant, grant_id)
                if fresh is not None:
                    grants.move(fresh, GrantState.REMOVED, said)
                    tx.add(fresh)
        return ok, said

    async def undo(self, person: str, by: str, action_id: int | None = None) -> list[JmlGrant]:
        """Remove what one onboarding request granted (the person's latest by default); the
        rows as they are afterwards (removed, or still granted with why not)."""
        async with self.store.transaction() as tx:
            rows = await grants.of(tx, person)
        if action_id is None:
            ids = [r.action_id for r in rows if r.action_id is not None]
            action_id = max(ids) if ids else None
        mine = [r for r in rows if r.action_id == action_id and action_id is not None]
        for row in mine:
            if row.state == GrantState.GRANTED:
                await self.remove(Held(person, row.resource, BUNDLE, str(row.id)), by, "undo")
            elif row.state in (GrantState.PENDING, GrantState.FAILED):
                async with self.store.transaction() as tx:
                    fresh = await tx.get(JmlGrant, row.id)
                    if fresh is not None:
                        grants.move(fresh, GrantState.REMOVED, "never granted; undone")
                        tx.add(fresh)
        async with self.store.transaction() as tx:
            return [r for r in await grants.of(tx, person) if r.action_id == action_id]
