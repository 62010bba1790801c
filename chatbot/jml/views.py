"""Review campaigns as people and auditors read them: a listing, and one campaign with every
item, its decision, who made it and when, and what the removal did (md, csv or JSON): for a
revoke, the access.revoke request it made and that request's state as it is now (done,
waiting for approval, refused and why), so a revoke approved later reads as done."""

from __future__ import annotations

import csv
import io
import json

from sqlmodel import col, select

from chatbot.errors import NotFound
from chatbot.jml.revoke import outcome_of
from chatbot.store.engine import Store
from chatbot.store.tables import Action, ReviewCampaign, ReviewItem

COLUMNS = (
    "item",
    "person",
    "resource",
    "source",
    "decision",
    "decided_by",
    "decided_at",
    "outcome",
    "revoke_request",
)


def _at(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ""


async def campaigns(store: Store) -> list[dict[str, object]]:
    async with store.snapshot() as tx:
        found = (
            await tx.exec(select(ReviewCampaign).order_by(col(ReviewCampaign.id).desc()))
        ).all()
        items = (await tx.exec(select(ReviewItem))).all()
    rows: list[dict[str, object]] = []
    for c in found:
        mine = [i for i in items if i.campaign_id == c.id]
        rows.append(
            {
                "id": c.id,
                "kind": c.kind,
                "resource": c.resource,
                "state": c.state,
                "started_by": c.started_by,
                "started_at": _at(c.started_at),
                "items": len(mine),
                "decided": sum(1 for i in mine if i.decision != "pending"),
                "revoked": sum(1 for i in mine if i.decision == "revoke"),
            }
        )
    return rows


async def campaign(store: Store, campaign_id: int) -> dict[str, object]:
    async with store.snapshot() as tx:
        found = await tx.get(ReviewCampaign, campaign_id)
        if found is None:
            raise NotFound(f"there is no review campaign #{campaign_id}; see chatops reviews list")
        query = select(ReviewItem).where(ReviewItem.campaign_id == campaign_id)
        items = (await tx.exec(query.order_by(col(ReviewItem.id)))).all()
        ids = [i.revoke_action_id for i in items if i.revoke_action_id is not None]
        found_actions = (await tx.exec(select(Action).where(col(Action.id).in_(ids)))).all()
    requests = {a.id: a for a in found_actions}

    def outcome(item: ReviewItem) -> str:
        request = requests.get(item.revoke_action_id)
        return outcome_of(request) if request is not None else item.outcome

    return {
        "id": found.id,
        "kind": found.kind,
        "resource": found.resource,
        "state": found.state,
        "started_by": found.started_by,
        "started_at": _at(found.started_at),
        "closed_at": _at(found.closed_at),
        "reviewers": json.loads(found.reviewers),
        "items": [
            {
                "item": i.id,
                "person": i.person,
                "resource": i.resource,
                "source": i.source,
                "decision": i.decision,
                "decided_by": i.decided_by,
                "decided_at": _at(i.decided_at),
                "reminded_at": _at(i.reminded_at),
                "escalated_to": i.escalated_to,
                "outcome": outcome(i),
                "revoke_request": i.revoke_action_id or "",
            }
            for i in items
        ],
    }


def markdown(shown: dict[str, object]) -> str:
    reviewers = ", ".join(str(r) for r in shown["reviewers"])  # type: ignore[attr-defined]
    lines = [
        f"# Access review #{shown['id']}: {shown['resource']} ({shown['state']})",
        f"Started {shown['started_at']} by {shown['started_by']}; reviewers: {reviewers}.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for item in shown["items"]:  # type: ignore[attr-defined]
        lines.append("| " + " | ".join(str(item[c]) for c in COLUMNS) + " |")
    return "\n".join(lines)


def csv_text(shown: dict[str, object]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("campaign", *COLUMNS))
    for item in shown["items"]:  # type: ignore[attr-defined]
        writer.writerow((shown["id"], *(item[c] for c in COLUMNS)))
    return out.getvalue()
