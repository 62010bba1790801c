"""Retry and Undo of an onboarding that stopped at a failed step, as buttons on its card.

When a step fails, `cards.offer` sends the card (which step failed, what was granted, what is
left) to the person who asked for the onboarding, with Retry and Undo (the `ButtonValue` wire
type, carrying the request's id). A click comes back through `Assistant.handle` to `Redo`:
only the requester, or someone whose role may ask for onboarding (HR, IT), may press them.

Retry starts the same request again through the one start gate (`Finisher.begin`, from
`failed` only: RBAC, policy, windows and freezes are checked again), and the skill runs the
steps not granted yet; a second click finds it no longer failed and says so. Undo removes
exactly what this request granted, each item through its back end (`Removal.undo`); a second
click finds nothing left and says so. Every click is audited, refused ones too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatbot import texts
from chatbot.governance import actions, audit
from chatbot.governance.actions import State
from chatbot.governance.checks import Refusal
from chatbot.governance.finish import record
from chatbot.governance.rbac import channel_kind
from chatbot.jml import grants
from chatbot.jml.grants import GrantState
from chatbot.jml.removal import Removal
from chatbot.jml.skill import ONBOARD
from chatbot.store.tables import Action
from chatbot.types import ButtonVerb, Message, Principal, Reply, ReplyKind

if TYPE_CHECKING:
    from chatbot.assistant import Assistant

LEFT = (GrantState.PENDING, GrantState.FAILED)
UNDOABLE = (GrantState.GRANTED, GrantState.PENDING, GrantState.FAILED)
BUSY = frozenset({State.RUNNING, State.QUEUED})


class Redo:
    def __init__(self, assistant: Assistant, removal: Removal) -> None:
        self.assistant, self.removal = assistant, removal

    async def press(
        self, principal: Principal, message: Message, verb: ButtonVerb, action_id: int
    ) -> list[Reply]:
        action = await self.assistant.approvals.load(action_id)
        if action is None or action.skill != ONBOARD.name:
            return [Reply(texts.STALE_BUTTON, ReplyKind.ERROR)]
        slots = actions.slots_of(action)
        person = slots.get("person", "")
        retry = verb is ButtonVerb.ONBOARD_RETRY
        event = "onboard.retried" if retry else "onboard.undone"
        if not self._may(principal, message, action, slots):
            await self._audit(principal, message, action, event, "refused", {"person": person})
            return [Reply(texts.onboard_redo_not_yours(action.requester), ReplyKind.ERROR)]
        if retry:
            return await self._retry(principal, message, action, person)
        return await self._undo(principal, message, action, person)

    def _may(
        self, principal: Principal, message: Message, action: Action, slots: dict[str, str]
    ) -> bool:
        """The requester, or anyone whose role may ask for this onboarding (HR, IT)."""
        if principal.name == action.requester:
            return True
        where = channel_kind(message.platform, message.channel)
        return self.assistant.authorizer.rbac.check(principal, ONBOARD, slots, where).allowed

    async def _left(self, person: str, action_id: int, states: tuple[GrantState, ...]) -> list[str]:
        async with self.assistant.store.transaction() as tx:
            rows = await grants.of(tx, person, states)
        return [r.resource for r in rows if r.action_id == action_id]

    async def _retry(
        self, principal: Principal, message: Message, action: Action, person: str
    ) -> list[Reply]:
        action_id = action.id or 0
        if action.state in BUSY:
            return [Reply(texts.onboard_retry_running(person))]
        left = await self._left(person, action_id, LEFT)
        if not left or action.state != State.FAILED:
            await self._audit(principal, message, action, "onboard.retried", "nothing", {})
            return [Reply(texts.onboard_nothing_to_retry(person, str(action.state)))]
        fin = self.assistant.approvals.finish
        step = record(principal.name, message, "onboard.retried", action, "ok", left=left)
        async with self.assistant.store.transaction() as tx:
            began = await fin.begin(tx, action_id, {State.FAILED}, principal.name, message, step)
        if began is None:  # a retry already started it (a second click, or another person)
            return [Reply(texts.onboard_retry_running(person))]
        if isinstance(began, Refusal):
            return [fin.refused(action_id, began)]
        return await fin.proceed(principal.name, message, began)

    async def _undo(
        self, principal: Principal, message: Message, action: Action, person: str
    ) -> list[Reply]:
        action_id = action.id or 0
        current = await self.assistant.approvals.load(action_id)
        if current is not None and current.state in BUSY:
            return [Reply(texts.onboard_retry_running(person), ReplyKind.ERROR)]
        if not await self._left(person, action_id, UNDOABLE):
            await self._audit(principal, message, action, "onboard.undone", "nothing", {})
            return [Reply(texts.onboard_already_undone(person))]
        rows = await self.removal.undo(person, principal.name, action_id)
        removed = [r.resource for r in rows if r.state == GrantState.REMOVED]
        kept = [(r.resource, r.detail) for r in rows if r.state != GrantState.REMOVED]
        detail: dict[str, object] = {
            "person": person,
            "removed": removed,
            "not_removed": [k for k, _ in kept],
        }
        outcome = "ok" if not kept else "partial"
        await self._audit(principal, message, action, "onboard.undone", outcome, detail)
        kind = ReplyKind.RESULT if not kept else ReplyKind.ERROR
        return [Reply(texts.onboard_undone(person, removed, kept), kind, action_id=action_id)]

    async def _audit(
        self,
        principal: Principal,
        message: Message,
        action: Action,
        event: str,
        outcome: str,
        detail: dict[str, object],
    ) -> None:
        async with self.assistant.store.transaction() as tx:
            entry = record(principal.name, message, event, action, outcome, **detail)
            await audit.append(tx, entry)
