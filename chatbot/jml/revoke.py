"""A reviewer's "revoke" as an access.revoke request of their own, and access.revoke that
also takes back what an access bundle gave.

`Revoking.ask` makes the request the way every request is made: RBAC for the reviewer
(owners revoke other people's access only where a grant of theirs says so; deny by default),
the policy (an approval where it asks for one, with the approval cards of every request),
freezes and windows, rate limits, then the one start gate (`Approvals.confirm`, which runs
`Finisher.begin`): the click on Revoke is the reviewer's confirmation. What became of it is
a `Revoked` the review item keeps (the request's id, so the export reads its state).

`BundleRevoke` wraps the access.revoke skill: besides the access.request grant it removes
the person's bundle items for that resource through the back end each item names, so a
review of a resource granted by onboarding revokes through the same request.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from chatbot import records, texts
from chatbot.governance import actions, audit
from chatbot.governance.actions import State
from chatbot.governance.rbac import channel_kind
from chatbot.jml import grants
from chatbot.jml.grants import GrantState
from chatbot.jml.provision import Backends
from chatbot.store.engine import Store
from chatbot.store.tables import Action, JmlGrant
from chatbot.types import Message, Outcome, Principal, Reply, Verdict
from skills.api import Skill, SkillContext
from skills.registry import Unconnected

if TYPE_CHECKING:
    from chatbot.assistant import Assistant

REVOKE = "access.revoke"


class RevokeState(StrEnum):
    """Where a review's revoke stands, read from its request."""

    DONE = "done"
    WAITING = "waiting for approval"
    STARTED = "started"  # queued for a worker
    REFUSED = "refused"
    REJECTED = "rejected"  # the approver said no
    EXPIRED = "expired"  # nobody decided in time
    FAILED = "failed"


# The request's state, as the review item says it.
BY_STATE = {
    State.SUCCEEDED: RevokeState.DONE,
    State.AWAITING_APPROVAL: RevokeState.WAITING,
    State.APPROVED: RevokeState.STARTED,
    State.QUEUED: RevokeState.STARTED,
    State.RUNNING: RevokeState.STARTED,
    State.DENIED: RevokeState.REFUSED,
    State.REJECTED: RevokeState.REJECTED,
    State.EXPIRED: RevokeState.EXPIRED,
    State.CANCELLED: RevokeState.REJECTED,
}


@dataclass(frozen=True, slots=True)
class Revoked:
    """What a revoke decision did: its state, the request (None when refused before one was
    made), the words for the item's outcome, and the replies (results, approval cards)."""

    state: RevokeState
    action_id: int | None
    said: str
    replies: tuple[Reply, ...] = ()


def state_of(action: Action) -> RevokeState:
    return BY_STATE.get(State(action.state), RevokeState.FAILED)


def outcome_of(action: Action) -> str:
    """The review item's outcome as the request stands now (for the export)."""
    return texts.review_revoke_outcome(state_of(action), action.id or 0, action.result or "")


class Revoking:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    async def ask(
        self, reviewer: Principal, message: Message, person: str, resource: str, item: int
    ) -> Revoked:
        """Ask, as the reviewer, for the person's access to the resource to be removed."""
        a = self.assistant
        spec = a.registry.spec(REVOKE)
        if spec is None or not a.registry.connected(REVOKE):
            return Revoked(RevokeState.REFUSED, None, texts.REVIEW_NO_REVOKE)
        slots = {"resource": resource, "user": person}
        where = channel_kind(message.platform, message.channel)
        decision = a.authorizer.decide(reviewer, spec, slots, False, where)
        async with a.store.transaction() as tx:
            decision = await a.authorizer.count(tx, reviewer, spec, slots, decision)
            detail = {**records.decided_detail(decision, slots), "review_item": item}
            decided = records.record(reviewer, message, "decided", decision.verdict, REVOKE, detail)
            await audit.append(tx, decided)
            if decision.verdict is Verdict.DENY:
                said = texts.review_revoke_outcome(RevokeState.REFUSED, 0, decision.reason)
                return Revoked(RevokeState.REFUSED, None, said)
            ttl = a.approvals.approval_expiry()
            action = await actions.create(tx, reviewer, message, REVOKE, slots, decision, ttl)
        action_id = action.id or 0
        replies = await a.approvals.confirm(reviewer, message, action_id)
        now = await a.approvals.load(action_id)
        if now is None:  # not possible: actions are never deleted
            return Revoked(RevokeState.FAILED, action_id, texts.REVIEW_NO_REVOKE)
        return Revoked(state_of(now), action_id, outcome_of(now), tuple(replies))


class BundleRevoke:
    """access.revoke, also removing the person's bundle items of that resource."""

    def __init__(self, inner: Skill, store: Store, backends: Backends) -> None:
        self.inner, self.spec = inner, inner.spec
        self.store, self.backends = store, backends

    async def _items(self, ctx: SkillContext) -> list[JmlGrant]:
        held = (GrantState.GRANTED, GrantState.PROPOSED)
        async with self.store.transaction() as tx:
            rows = await grants.of(tx, ctx.target, held)
        return [r for r in rows if r.resource == ctx.slots.get("resource")]

    async def _granted(self, ctx: SkillContext) -> bool:
        key = f"grant:{ctx.slots.get('resource')}:{ctx.target}"
        return await ctx.kv.get(key) is not None

    async def preview(self, ctx: SkillContext) -> Outcome:
        rows = await self._items(ctx)
        if not rows:
            return await self.inner.preview(ctx)
        return Outcome(True, texts.bundle_revoke_would(ctx.target, ctx.slots["resource"]))

    async def run(self, ctx: SkillContext) -> Outcome:
        rows = await self._items(ctx)
        if not rows:
            return await self.inner.run(ctx)
        said: list[str] = []
        for row in rows:
            if not self.backends.removable(row):
                return Outcome(False, texts.bundle_revoke_failed(row.resource, texts.BY_HAND))
            ok, words = await self.backends.remove(row.backend, row.person, row.grant, ctx.http)
            if not ok:
                return Outcome(False, texts.bundle_revoke_failed(row.resource, words))
            async with self.store.transaction() as tx:
                fresh = await tx.get(JmlGrant, row.id)
                if fresh is not None:
                    grants.move(fresh, GrantState.REMOVED, words)
                    tx.add(fresh)
            said.append(words)
        if await self._granted(ctx):  # an access request of the same resource, too
            more = await self.inner.run(ctx)
            if not more.ok:
                return more
            said.append(more.summary)
        return Outcome(True, texts.bundle_revoked(ctx.target, ctx.slots["resource"], said))


def with_bundles(skills: list[Skill], store: Store, backends: Backends) -> list[Skill]:
    """The skill list with access.revoke wrapped (when it is connected)."""
    return [
        BundleRevoke(s, store, backends)
        if s.spec.name == REVOKE and not isinstance(s, Unconnected)
        else s
        for s in skills
    ]
