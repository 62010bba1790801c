"""What a leaver holds through the assistant, taken away at once, and the report of it.

Offboarding must not wait for anyone: every grant access.request recorded for the person is
removed through the same identity back end that made it (the revoker's path, so a connector
failure is a reported reason, not a crash), their sessions are ended and, where the back end
offers `disable` (skills.ports.AccountLifecycle), the account is disabled. Each step is one
`Item` of the report, done or not with the reason; nothing here raises for a remote failure,
because a half-finished offboarding that says what is left is worth more than none.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum

import httpx

from chatbot import texts
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

log = logging.getLogger(__name__)
SYSTEM = Principal(name="directory", email="", display_name="offboarding")


class Step(StrEnum):
    GRANT = "grant"
    SESSIONS = "sessions"
    DISABLE = "disable"
    REQUEST = "request"
    APPROVAL = "approval"


@dataclass(frozen=True, slots=True)
class Item:
    """One thing offboarding did or could not do; `detail` is the back end's words or why not."""

    step: Step
    target: str
    done: bool
    detail: str


@dataclass(frozen=True, slots=True)
class OffboardReport:
    person: str
    started: datetime
    finished: datetime
    items: tuple[Item, ...] = field(default=())
    # The request a second person must approve before anything is taken away (executives,
    # `[jml.offboarding]`); None when offboarding ran at once.
    waiting: int | None = None

    @property
    def removed(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.done)

    @property
    def not_removed(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if not i.done)

    @property
    def complete(self) -> bool:
        return not self.not_removed

    def as_detail(self) -> dict[str, object]:
        """The audit entry's detail: plain JSON, every item with its outcome."""
        return {
            "person": self.person,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "seconds": round((self.finished - self.started).total_seconds(), 3),
            "complete": self.complete,
            "waiting_for_approval": self.waiting,
            "items": [{**asdict(i), "step": i.step.value} for i in self.items],
        }


class Leaver:
    """Removes what the identity back end holds for a person (grants, sessions, account)."""

    def __init__(
        self,
        store: Store,
        registry: SkillRegistry,
        http: httpx.AsyncClient,
        bundles: Backends | None = None,
    ) -> None:
        self.store, self.registry, self.http = store, registry, http
        self.bundles = bundles  # the access bundles' back ends (chatbot/jml)

    def _skill(self) -> AccessRequest | None:
        skill = self.registry.get("access.request")
        inner = getattr(skill, "inner", skill)
        return inner if isinstance(inner, AccessRequest) else None

    async def remove(self, person: Principal) -> list[Item]:
        skill = self._skill()
        if skill is None:
            why = "access.request is not installed, so no identity back end is known"
            return [Item(Step.GRANT, "-", False, why), *await self._bundle_items(person.name)]
        kv = StoreKeyValue(self.store, skill.spec.namespace)
        logins = {x.lower() for x in (person.name, person.email) if x}
        items: list[Item] = []
        for key, grant in sorted((await kv.items("grant:")).items()):
            user = str(grant.get("user", ""))
            if user.lower() not in logins:
                continue
            items.append(await self._revoke(skill, kv, key, user, str(grant["resource"])))
        items += await self._bundle_items(person.name)
        ctx = SkillContext(SYSTEM, {"user": person.name}, kv, self.http)
        items.append(await self._call(skill, ctx, Step.SESSIONS, person.name, "end_sessions"))
        items.append(await self._call(skill, ctx, Step.DISABLE, person.name, "disable"))
        return items

    async def _bundle_items(self, name: str) -> list[Item]:
        """Bundle items (joiners and movers) go through the back end each item names; one
        removed by hand ("ticket") is reported as left, with what to do."""
        if self.bundles is None:
            return []
        async with self.store.transaction() as tx:
            rows = await grants.of(tx, name, (GrantState.GRANTED, GrantState.PROPOSED))
        items: list[Item] = []
        for row in rows:
            if not self.bundles.removable(row):
                items.append(Item(Step.GRANT, row.resource, False, texts.BY_HAND))
                continue
            ok, said = await self.bundles.remove(row.backend, name, row.grant, self.http)
            if ok:
                async with self.store.transaction() as tx:
                    fresh = await tx.get(JmlGrant, row.id)
                    if fresh is not None:
                        grants.move(fresh, GrantState.REMOVED, said)
                        tx.add(fresh)
            items.append(Item(Step.GRANT, row.resource, ok, said))
        return items

    async def _revoke(
        self, skill: AccessRequest, kv: StoreKeyValue, key: str, user: str, resource: str
    ) -> Item:
        ctx = SkillContext(SYSTEM, {"resource": resource, "user": user}, kv, self.http)
        try:
            said = await skill.revoke(ctx, user, resource)
        except (SkillError, httpx.HTTPError) as exc:  # a connector's or the network's
            return Item(Step.GRANT, resource, False, str(exc))
        await kv.delete(key)  # the expiry revoker has nothing left to do for it
        return Item(Step.GRANT, resource, True, said)

    async def _call(
        self, skill: AccessRequest, ctx: SkillContext, step: Step, login: str, verb: str
    ) -> Item:
        backend = skill.identity(ctx)
        call = getattr(backend, verb, None)
        if call is None:
            said = verb.replace("_", " ")
            why = f"the identity back end ({type(backend).__name__}) cannot {said}"
            return Item(step, login, False, why)
        try:
            return Item(step, login, True, str(await call(login)))
        except (SkillError, httpx.HTTPError) as exc:  # a connector's or the network's
            return Item(step, login, False, str(exc))
