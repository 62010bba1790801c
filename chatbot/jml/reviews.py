"""Access reviews: the owners of a resource confirm or revoke each grant of it, one by one.

`start` lists every grant the assistant knows of for the resource (access requests and bundle
items) as the campaign's items and asks its reviewers (the people holding the resource's
owner role) in chat, one card per grant with Keep and Revoke buttons (the one `ButtonValue`
wire type). A decision is one conditional update (a second click finds it decided), audited
as `review.decided` with who and when. A revoke becomes an access.revoke request of the
reviewer's (`Revoking`: RBAC, policy and approval, freezes and windows, the start gate), linked
to the item so the export shows what became of it; a mover's manager revokes the same way
(RBAC lets a manager revoke their reports' access where a grant says `target = "reports"`,
deny by default). Unanswered
items are reminded, then escalated to the reviewers' managers (`remind`, a job). A mover's
old access is a campaign of kind "mover" with their new manager as the reviewer (`propose`).
The campaign with every decision is the evidence (`show`, and `chatops audit report`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import col, select

from chatbot import texts
from chatbot.config import Settings
from chatbot.errors import NotFound, Refused
from chatbot.governance import audit, outbox
from chatbot.governance.rbac import Rbac
from chatbot.identity import Directory
from chatbot.jml import grants
from chatbot.jml.grants import GrantState
from chatbot.jml.removal import BUNDLE, Held, Removal
from chatbot.jml.revoke import Revoked, RevokeState, Revoking
from chatbot.store.engine import Store
from chatbot.store.tables import JmlGrant, ReviewCampaign, ReviewItem
from chatbot.types import (
    Button,
    ButtonStyle,
    ButtonValue,
    ButtonVerb,
    Message,
    Principal,
    Reply,
    ReplyKind,
    utcnow,
)


class Decision(StrEnum):
    PENDING = "pending"
    KEEP = "keep"
    REVOKE = "revoke"


class Kind(StrEnum):
    REVIEW = "review"
    MOVER = "mover"


OPEN, CLOSED = "open", "closed"


def buttons(item_id: int) -> tuple[Button, ...]:
    return (
        Button(texts.KEEP_BUTTON, str(ButtonValue(ButtonVerb.REVIEW_KEEP, str(item_id)))),
        Button(
            texts.REVOKE_BUTTON,
            str(ButtonValue(ButtonVerb.REVIEW_REVOKE, str(item_id))),
            ButtonStyle.DANGER,
        ),
    )


class Reviews:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        directory: Directory,
        rbac: Rbac,
        removal: Removal,
        revoking: Revoking,
    ) -> None:
        self.settings, self.store, self.directory, self.rbac = settings, store, directory, rbac
        self.removal, self.revoking = removal, revoking

    def owners(self, resource: str) -> list[str]:
        found = self.settings.catalog.resources.get(resource)
        role = found.owner_role if found else "admin"
        return sorted(p.name for p in self.directory.with_role(role, self.rbac))

    async def start(self, resource: str, by: str, kind: Kind = Kind.REVIEW) -> ReviewCampaign:
        """Open a campaign over every grant of the resource and ask its owners."""
        held = await self.removal.held(resource)
        if not held:
            raise Refused(texts.review_nothing(resource))
        reviewers = self.owners(resource)
        if not reviewers:
            raise Refused(texts.review_no_owner(resource))
        return await self._open(resource, by, kind, reviewers, held)

    async def propose(
        self, person: str, manager: str | None, stale: Sequence[JmlGrant], by: str
    ) -> list[int]:
        """A mover's access that only their old bundles justified goes to their manager as a
        review (nothing is removed on a guess); the rows become `proposed`."""
        if not stale or manager is None:
            return []
        held = [Held(person, r.resource, BUNDLE, str(r.id)) for r in stale]
        campaign = await self._open(person, by, Kind.MOVER, [manager], held)
        async with self.store.transaction() as tx:
            for row in stale:
                fresh = await tx.get(JmlGrant, row.id)
                if fresh is not None:
                    grants.move(fresh, GrantState.PROPOSED, f"review #{campaign.id}")
                    tx.add(fresh)
        return [campaign.id or 0]

    async def _open(
        self, subject: str, by: str, kind: Kind, reviewers: list[str], held: Sequence[Held]
    ) -> ReviewCampaign:
        now = utcnow()
        async with self.store.transaction() as tx:
            campaign = ReviewCampaign(
                kind=kind,
                resource=subject,
                started_by=by,
                reviewers=json.dumps(reviewers),
                state=OPEN,
                started_at=now,
            )
            tx.add(campaign)
            await tx.flush()
            items = [
                ReviewItem(
                    campaign_id=campaign.id or 0,
                    person=h.person,
                    resource=h.resource,
                    source=h.source,
                    ref=h.ref,
                    decision=Decision.PENDING,
                )
                for h in held
            ]
            tx.add_all(items)
            await tx.flush()
            await audit.append(
                tx,
                audit.AuditRecord(
                    actor=by,
                    event="review.started",
                    platform="jml",
                    channel="-",
                    outcome="ok",
                    detail={
                        "campaign": campaign.id,
                        "kind": kind.value,
                        "subject": subject,
                        "reviewers": reviewers,
                        "items": len(items),
                    },
                ),
            )
            for item in items:
                text = texts.review_card(kind, item.person, item.resource, campaign.id or 0)
                outbox.notify(
                    tx, reviewers, text, None, ReplyKind.APPROVAL, buttons=buttons(item.id or 0)
                )
        return campaign

    async def decide(
        self, item_id: int, keep: bool, reviewer: Principal, message: Message
    ) -> list[Reply]:
        """One reviewer's answer for one grant: what to tell them, then the replies of the
        revoke request it made (approval cards for the approvers)."""
        who = reviewer.name
        async with self.store.transaction() as tx:
            item = await tx.get(ReviewItem, item_id)
            campaign = await tx.get(ReviewCampaign, item.campaign_id) if item else None
        if item is None or campaign is None:
            raise NotFound(texts.review_no_item(item_id))
        allowed = set(json.loads(campaign.reviewers)) | set(
            filter(None, item.escalated_to.split(","))
        )
        if who not in allowed:
            raise Refused(texts.review_not_yours(item_id, sorted(allowed)))
        if who == item.person:
            raise Refused(texts.REVIEW_OWN_ACCESS)
        choice = Decision.KEEP if keep else Decision.REVOKE
        async with self.store.transaction() as tx:
            moved = await tx.exec(  # type: ignore[call-overload]
                update(ReviewItem)
                .where(col(ReviewItem.id) == item_id, col(ReviewItem.decision) == Decision.PENDING)
                .values(decision=choice, decided_by=who, decided_at=utcnow())
            )
            if moved.rowcount != 1:
                said = texts.review_already(item_id, item.decision, item.decided_by)
                return [Reply(said, ReplyKind.RESULT)]
            await self._audit_decision(tx, campaign, item, choice, who)
        revoked = Revoked(RevokeState.DONE, None, texts.REVIEW_KEPT)
        mover_item = item.source == BUNDLE and campaign.kind == Kind.MOVER
        if not keep:
            # A mover's manager revokes like any reviewer: an access.revoke request of theirs
            # (RBAC: their role must cover their reports; policy, freezes, the start gate).
            revoked = await self.revoking.ask(
                reviewer, message, item.person, item.resource, item_id
            )
            if mover_item and revoked.state is RevokeState.REFUSED:
                await self._back_to_granted(int(item.ref), revoked.said)
        elif mover_item:
            await self._back_to_granted(int(item.ref), texts.REVIEW_KEPT_BY_MANAGER)
        await self._settle(item_id, campaign.id or 0, revoked)
        text = texts.review_done(item.person, item.resource, choice, revoked.said)
        kind = ReplyKind.ERROR if revoked.state is RevokeState.REFUSED else ReplyKind.RESULT
        others = [r for r in revoked.replies if r.to is not None or r.channel is not None]
        return [Reply(text, kind), *others]

    @staticmethod
    async def _audit_decision(
        tx: object, campaign: ReviewCampaign, item: ReviewItem, choice: Decision, who: str
    ) -> None:
        await audit.append(
            tx,  # type: ignore[arg-type]
            audit.AuditRecord(
                actor=who,
                event="review.decided",
                platform="jml",
                channel="-",
                outcome=choice.value,
                detail={
                    "campaign": campaign.id,
                    "kind": campaign.kind,
                    "item": item.id,
                    "user": item.person,
                    "resource": item.resource,
                    "decision": choice.value,
                },
            ),
        )

    async def _back_to_granted(self, grant_id: int, why: str) -> None:
        """A mover's item the manager kept, or whose revoke was refused: the person still
        holds it, so it is a plain grant again (the next campaign reviews it)."""
        async with self.store.transaction() as tx:
            row = await tx.get(JmlGrant, grant_id)
            if row is not None and row.state == GrantState.PROPOSED:
                grants.move(row, GrantState.GRANTED, why)
                tx.add(row)

    async def _settle(self, item_id: int, campaign_id: int, revoked: Revoked) -> None:
        async with self.store.transaction() as tx:
            item = await tx.get(ReviewItem, item_id)
            if item is not None:
                item.outcome, item.revoke_action_id = revoked.said, revoked.action_id
                tx.add(item)
            left = await tx.exec(
                select(ReviewItem.id).where(
                    ReviewItem.campaign_id == campaign_id,
                    ReviewItem.decision == Decision.PENDING,
                    col(ReviewItem.id) != item_id,
                )
            )
            if left.first() is not None:
                return
            closed = await tx.exec(  # type: ignore[call-overload]
                update(ReviewCampaign)
                .where(col(ReviewCampaign.id) == campaign_id, col(ReviewCampaign.state) == OPEN)
                .values(state=CLOSED, closed_at=utcnow())
            )
            if closed.rowcount == 1:
                await audit.append(
                    tx,
                    audit.AuditRecord(
                        actor="reviews",
                        event="review.closed",
                        platform="jml",
                        channel="-",
                        outcome="ok",
                        detail={"campaign": campaign_id},
                    ),
                )

    async def remind(self, now: datetime | None = None) -> int:
        """Remind reviewers of items left unanswered, then escalate them to the reviewers'
        managers; the number of items nudged. Safe twice: each nudge is a conditional
        update of the item."""
        now = now or utcnow()
        jml = self.settings.jml
        remind_at = now - timedelta(hours=jml.review_remind_hours)
        escalate_at = now - timedelta(hours=jml.review_escalate_hours)
        async with self.store.transaction() as tx:
            rows = (
                await tx.exec(
                    select(ReviewItem, ReviewCampaign)
                    .join(ReviewCampaign, col(ReviewCampaign.id) == col(ReviewItem.campaign_id))
                    .where(ReviewItem.decision == Decision.PENDING, ReviewCampaign.state == OPEN)
                )
            ).all()
        nudged = 0
        for item, campaign in rows:
            reviewers = list(json.loads(campaign.reviewers))
            if campaign.started_at <= escalate_at and not item.escalated_to:
                managers = self._managers(reviewers)
                if managers and await self._nudge(item, campaign, managers, escalate=True):
                    nudged += 1
            elif (
                campaign.started_at <= remind_at
                and item.reminded_at is None
                and await self._nudge(item, campaign, reviewers, escalate=False)
            ):
                nudged += 1
        return nudged

    def _managers(self, reviewers: list[str]) -> list[str]:
        found = []
        for name in reviewers:
            who = self.directory.find(name)
            boss = self.directory.acting_manager(who) if who else None
            if boss is not None and boss.name not in reviewers:
                found.append(boss.name)
        return sorted(set(found))

    async def _nudge(
        self, item: ReviewItem, campaign: ReviewCampaign, to: list[str], escalate: bool
    ) -> bool:
        values: dict[str, object] = (
            {"escalated_to": ",".join(to)} if escalate else {"reminded_at": utcnow()}
        )
        guard = (
            col(ReviewItem.escalated_to) == ""
            if escalate
            else col(ReviewItem.reminded_at).is_(None)
        )
        async with self.store.transaction() as tx:
            moved = await tx.exec(  # type: ignore[call-overload]
                update(ReviewItem)
                .where(col(ReviewItem.id) == item.id, guard, col(ReviewItem.decision) == "pending")
                .values(**values)
            )
            if moved.rowcount != 1:
                return False
            event = "review.escalated" if escalate else "review.reminded"
            await audit.append(
                tx,
                audit.AuditRecord(
                    actor="reviews",
                    event=event,
                    platform="jml",
                    channel="-",
                    outcome="ok",
                    detail={"campaign": campaign.id, "item": item.id, "to": to},
                ),
            )
            card = texts.review_card(
                Kind(campaign.kind), item.person, item.resource, campaign.id or 0
            )
            text = texts.review_nudge(card, escalate)
            outbox.notify(tx, to, text, None, ReplyKind.APPROVAL, buttons=buttons(item.id or 0))
        return True

    async def due(self, by: str = "reviews", now: datetime | None = None) -> list[int]:
        """Start the configured periodic campaigns whose last one is older than the period."""
        now = now or utcnow()
        every = timedelta(days=self.settings.jml.review_every_days)
        started = []
        for resource in self.settings.jml.review_resources:
            async with self.store.transaction() as tx:
                last = (
                    await tx.exec(
                        select(ReviewCampaign)
                        .where(
                            ReviewCampaign.resource == resource,
                            ReviewCampaign.kind == Kind.REVIEW,
                        )
                        .order_by(col(ReviewCampaign.started_at).desc())
                    )
                ).first()
            if last is not None and last.started_at > now - every:
                continue
            try:
                started.append((await self.start(resource, by)).id or 0)
            except Refused:
                continue  # nothing to review, or nobody to ask: the next period tries again
        return started
