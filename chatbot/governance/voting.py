"""Deciding on approval requests: the approver's inbox, votes, and their outcome.

Votes on one action are serialised by locking its row, so N-of-M counts distinct approvers
exactly even when fifty of them click at once, and only the vote that completes the count
moves the action to `running`. The requester can never vote on their own request.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot import texts
from chatbot.governance import actions, cards
from chatbot.governance.actions import State
from chatbot.governance.checks import Refusal
from chatbot.governance.finish import Finisher, record
from chatbot.store.tables import Action
from chatbot.types import Message, Principal, Reply, ReplyKind

OWN_REQUEST = "You cannot approve or reject your own request."


class Voting:
    """The approver's side; it moves actions only through the Finisher it is given."""

    def __init__(self, finish: Finisher) -> None:
        self.finish = finish

    def card(
        self,
        action: Action,
        to: str | None = None,
        votes: tuple[str, ...] = (),
        reader: str | None = None,
    ) -> Reply:
        """The card as `reader` (or `to`) reads it, on their own clock."""
        said = self.finish.for_whom(action, cards.card(action, votes, self.finish.what(action)))
        text = said(reader or to)
        return Reply(text, ReplyKind.APPROVAL, cards.buttons(action.id or 0), action.id, to=to)

    async def inbox(self, principal: Principal) -> list[Reply]:
        """Approval cards for every request this person may still decide."""
        async with self.finish.store.transaction() as tx:
            waiting = await actions.waiting_for_approval(tx)
            shown = []
            for action in waiting:
                if principal.name not in self.finish.approvers(action) or self.finish.is_expired(
                    action
                ):
                    continue
                votes = tuple(await actions.approvals(tx, action.id or 0))
                if principal.name not in votes:
                    shown.append(self.card(action, votes=votes, reader=principal.name))
        return shown

    async def decide(
        self, principal: Principal, message: Message, action_id: int, approve: bool
    ) -> list[Reply]:
        action = await self.finish.load(action_id)
        if action is None or action.state != State.AWAITING_APPROVAL:
            state = action.state.replace("_", " ") if action else "gone"
            return [Reply(texts.ALREADY.format(state=state))]
        if action.requester == principal.name:
            return [Reply(OWN_REQUEST, ReplyKind.ERROR)]
        if principal.name not in self.finish.approvers(action):
            role = action.approvers_role or "admin"
            return [Reply(texts.only_approvers(role), ReplyKind.ERROR)]
        if self.finish.is_expired(action):
            return await self.finish.expire_on_access(principal, message, action)
        try:
            async with self.finish.store.transaction() as tx:
                verdict = await self._vote(tx, principal, message, action_id, approve)
        except IntegrityError:
            verdict = None
        if verdict is None:
            return [Reply("You already voted on this request; nothing more was done.")]
        moved, votes = verdict
        if moved is None:
            return [Reply(texts.ALREADY.format(state="decided"))]
        if moved.state == State.REJECTED:
            return self._rejected(principal, moved)
        if moved.state == State.DENIED:
            return self._too_late(principal, moved)
        if moved.state == State.AWAITING_APPROVAL:
            left = moved.approvals_needed - len(votes)
            text = cards.card(moved, votes, self.finish.what(moved))
            return [
                Reply(f"Approved by you; {left} more approval(s) needed.", action_id=action_id),
                *self.finish.route(moved, text, updates=True),
                Reply(
                    f"{principal.name} approved request #{action_id}; {left} more needed.",
                    action_id=action_id,
                    to=moved.requester,
                ),
            ]
        done = await self.finish.proceed(moved.requester, message, moved)
        by, what = ", ".join(votes), self.finish.what(moved)
        text = cards.decided(moved, "approved", by, self.finish.clock(), what)
        return [
            Reply(f"You approved request #{action_id}.", action_id=action_id),
            *done,
            *self.finish.route(moved, text, with_buttons=False, updates=True),
            *(Reply(r.text, r.kind, action_id=r.action_id, to=moved.requester) for r in done),
        ]

    async def _vote(
        self,
        tx: AsyncSession,
        principal: Principal,
        message: Message,
        action_id: int,
        approve: bool,
    ) -> tuple[Action | None, list[str]] | None:
        """One vote, counted under the action's row lock; None when this person already voted.

        Returns the action as moved (rejected, running) or as it stands (still waiting).
        """
        action = await actions.lock(tx, action_id)
        if action is None or action.state != State.AWAITING_APPROVAL:
            return None, []
        choice = "approve" if approve else "reject"
        if not await actions.vote(tx, action_id, principal.name, choice):
            return None
        # Approvals from people deactivated since they voted no longer count.
        votes = [
            v for v in await actions.approvals(tx, action_id) if self.finish.directory.active(v)
        ]
        if not approve:
            event = record(principal.name, message, "action.rejected", action, State.REJECTED)
            moved = await actions.transition(
                tx, action_id, {State.AWAITING_APPROVAL}, State.REJECTED, event
            )
            return moved, votes
        if len(votes) < action.approvals_needed:
            event = record(
                principal.name,
                message,
                "action.approved",
                action,
                State.AWAITING_APPROVAL,
                approvers=votes,
            )
            await self.finish.audit(tx, event)
            return action, votes
        event = record(
            principal.name, message, "action.approved", action, State.APPROVED, approvers=votes
        )
        approved = await actions.transition(
            tx, action_id, {State.AWAITING_APPROVAL}, State.APPROVED, event
        )
        if approved is None:
            return None, votes
        # The start gate: the window, the requester as they are now, these approvals...
        began = await self.finish.begin(
            tx, action_id, {State.APPROVED}, approved.requester, message
        )
        if isinstance(began, Refusal) or began is None:
            return await actions.get(tx, action_id), votes
        return began, votes

    def _rejected(self, principal: Principal, action: Action) -> list[Reply]:
        told = f"{principal.name} rejected request #{action.id}; nothing was done."
        what = self.finish.what(action)
        text = cards.decided(action, "rejected", principal.name, self.finish.clock(), what)
        return [
            Reply(f"You rejected request #{action.id}.", action_id=action.id),
            *self.finish.route(action, text, with_buttons=False, updates=True),
            Reply(told, ReplyKind.RESULT, action_id=action.id, to=action.requester),
        ]

    def _too_late(self, principal: Principal, action: Action) -> list[Reply]:
        told = (
            f"Request #{action.id} was approved, but it may not run now: {action.result}. "
            "Nothing was done; ask again when it may run."
        )
        at, what = self.finish.clock(), self.finish.what(action)
        text = cards.decided(action, "approved too late", principal.name, at, what)
        return [
            Reply(told, ReplyKind.ERROR, action_id=action.id),
            *self.finish.route(action, text, with_buttons=False, updates=True),
            Reply(told, ReplyKind.RESULT, action_id=action.id, to=action.requester),
        ]
