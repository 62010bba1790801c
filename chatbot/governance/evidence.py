"""Compliance evidence from what the assistant recorded: the facts an auditor samples.

Change management comes from the actions table (every production change, its requester, the
approvers who voted, when it ran, whether the change calendar had it open, its outcome);
logical access from access.request actions and the audit trail's removals and offboarding
reports; segregation of duties from the votes (a requester never counts as their own
approver, and the report shows it). The figures are read in one snapshot, so they agree with
the chain verification printed above them. Control ids are mapped in `CONTROLS`; a control
with no source here is listed as not evidenced rather than left out.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.governance import actions
from chatbot.governance.calendar import ChangeCalendar
from chatbot.store.tables import Action, ApprovalVote, AuditEntry

# States that were never more than asked for: not a change.
NOT_CHANGES = ("awaiting_confirmation", "cancelled", "expired")
RAN = ("succeeded", "failed", "interrupted", "running")


class Framework(StrEnum):
    SOC2 = "soc2"
    ISO27001 = "iso27001"


class Section(StrEnum):
    CHANGES = "change management"
    ACCESS = "logical access"
    DUTIES = "segregation of duties"
    CHAIN = "audit trail integrity"
    REVIEWS = "access reviews"


# (control id, title, the section that evidences it, or None when nothing here does).
CONTROLS: dict[Framework, tuple[tuple[str, str, Section | None], ...]] = {
    Framework.SOC2: (
        ("CC6.1", "Logical access security", Section.ACCESS),
        ("CC6.2", "Registration and authorization of users", Section.ACCESS),
        ("CC6.3", "Role-based access, least privilege, segregation of duties", Section.DUTIES),
        ("CC6.2/CC6.3", "Removal of access (offboarding)", Section.ACCESS),
        ("CC6.4", "Physical access", None),
        ("CC6.6", "Boundary protection", None),
        ("CC6.7", "Transmission of data", None),
        ("CC6.8", "Malicious software", None),
        ("CC7.1", "Configuration and vulnerability monitoring", None),
        ("CC7.2", "Monitoring of system components (tamper-evident audit trail)", Section.CHAIN),
        ("CC7.3", "Evaluation of security events", None),
        ("CC7.4", "Incident response", None),
        ("CC8.1", "Change management", Section.CHANGES),
        ("CC6.1 (review)", "Periodic access reviews", Section.REVIEWS),
    ),
    Framework.ISO27001: (
        ("A.5.3", "Segregation of duties", Section.DUTIES),
        ("A.5.15", "Access control", Section.ACCESS),
        ("A.5.16", "Identity management (leavers)", Section.ACCESS),
        ("A.5.17", "Authentication information", None),
        ("A.5.18", "Access rights (provisioning, removal)", Section.ACCESS),
        ("A.5.18 (review)", "Access rights review", Section.REVIEWS),
        ("A.8.15", "Logging (tamper-evident audit trail)", Section.CHAIN),
        ("A.8.32", "Change management", Section.CHANGES),
    ),
}


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    skill: str
    target: str
    requester: str
    approvers: tuple[str, ...]
    requested: str
    ran: str
    calendar: str
    outcome: str
    exceptions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccessEvent:
    kind: str  # grant, removal, removal failed, offboarding, review keep, review revoke
    person: str
    resource: str
    at: str
    by: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    framework: Framework
    since: str
    until: str
    chain: str
    checkpoint: str
    changes: tuple[Change, ...] = ()
    access: tuple[AccessEvent, ...] = ()
    self_approvals: tuple[str, ...] = ()
    votes: int = 0
    controls: tuple[dict[str, str], ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _shown(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC" if at else ""


def _is_production(action: Action) -> bool:
    slots = actions.slots_of(action)
    return slots.get("env") == "prod"


async def _votes(tx: AsyncSession, ids: list[int]) -> dict[int, list[ApprovalVote]]:
    found: dict[int, list[ApprovalVote]] = {}
    for start in range(0, len(ids), 500):
        query = select(ApprovalVote).where(
            col(ApprovalVote.action_id).in_(ids[start : start + 500])
        )
        for vote in (await tx.exec(query)).all():
            found.setdefault(vote.action_id, []).append(vote)
    return found


async def changes(
    tx: AsyncSession, calendar: ChangeCalendar, since: datetime, until: datetime
) -> tuple[list[Change], list[str], int]:
    """Production changes in the period; self-approvals seen (any action) and votes counted."""
    query = (
        select(Action)
        .where(col(Action.created_at) >= since, col(Action.created_at) < until)
        .order_by(col(Action.id))
    )
    rows = [a for a in (await tx.exec(query)).all() if a.state not in NOT_CHANGES]
    votes = await _votes(tx, [a.id or 0 for a in rows])
    selfish = [
        f"request #{a.id}: {v.approver} voted on their own request"
        for a in rows
        for v in votes.get(a.id or 0, [])
        if v.approver == a.requester
    ]
    out: list[Change] = []
    for action in (a for a in rows if _is_production(a)):
        slots = actions.slots_of(action)
        approved = tuple(
            v.approver for v in votes.get(action.id or 0, []) if v.decision == "approve"
        )
        ran = action.updated_at if action.state in RAN else None
        closed = calendar.check(action.skill, slots, ran or action.created_at)
        exceptions = []
        if action.state in RAN and not approved:
            exceptions.append("ran without an approver")
        if action.requester in approved:
            exceptions.append("approved by its requester")
        if closed is not None and action.state in RAN:
            exceptions.append(f"ran while closed: {closed.rule}")
        if action.state in ("failed", "interrupted"):
            exceptions.append(f"outcome {action.state}")
        out.append(
            Change(
                id=action.id or 0,
                skill=action.skill,
                target=" ".join(f"{k}={v}" for k, v in sorted(slots.items())),
                requester=action.requester,
                approvers=approved,
                requested=_shown(action.created_at),
                ran=_shown(ran),
                calendar="open" if closed is None else f"closed ({closed.rule})",
                outcome=action.state,
                exceptions=tuple(exceptions),
            )
        )
    return out, selfish, sum(len(v) for v in votes.values())


async def access_events(tx: AsyncSession, since: datetime, until: datetime) -> list[AccessEvent]:
    """Grants (access.request that ran), removals (access.revoke, the expiry revoker,
    offboarding) and offboarding reports, in time order."""
    found: list[AccessEvent] = []
    kinds = {"access.request": "grant", "access.revoke": "removal"}
    query = select(Action).where(
        col(Action.skill).in_(list(kinds)),
        Action.state == "succeeded",
        col(Action.updated_at) >= since,
        col(Action.updated_at) < until,
    )
    for action in (await tx.exec(query)).all():
        slots = actions.slots_of(action)
        person = slots.get("user") or action.requester
        found.append(
            AccessEvent(
                kinds[action.skill],
                person,
                slots.get("resource", ""),
                _shown(action.updated_at),
                action.requester,
                "ok",
                f"request #{action.id}",
            )
        )
    events = ("access.revoked", "access.revoke_failed", "person.offboarded", "review.decided")
    audited = select(AuditEntry).where(
        col(AuditEntry.event).in_(events), col(AuditEntry.at) >= since, col(AuditEntry.at) < until
    )
    for entry in (await tx.exec(audited.order_by(col(AuditEntry.seq)))).all():
        detail = json.loads(entry.detail)
        at = _shown(entry.at)
        if entry.event == "person.offboarded":
            items = detail.get("items", [])
            left = [i for i in items if not i.get("done")]
            took = detail.get("seconds")
            said = f"{len(items) - len(left)} step(s) done, {len(left)} not, in {took} s"
            found.append(
                AccessEvent(
                    "offboarding",
                    detail.get("person", ""),
                    "-",
                    at,
                    entry.actor,
                    entry.outcome,
                    said,
                )
            )
            for item in (i for i in items if i.get("step") == "grant"):
                kind = "removal" if item.get("done") else "removal failed"
                found.append(
                    AccessEvent(
                        kind,
                        detail.get("person", ""),
                        item.get("target", ""),
                        at,
                        "offboarding",
                        "ok" if item.get("done") else "failed",
                        item.get("detail", ""),
                    )
                )
            continue
        if entry.event == "review.decided":  # an access review's keep or revoke, and by whom
            found.append(
                AccessEvent(
                    f"review {detail.get('decision', '')}",
                    detail.get("user", ""),
                    detail.get("resource", ""),
                    at,
                    entry.actor,
                    entry.outcome,
                    f"review #{detail.get('campaign', '')}",
                )
            )
            continue
        kind = "removal" if entry.event == "access.revoked" else "removal failed"
        found.append(
            AccessEvent(
                kind,
                detail.get("user", ""),
                detail.get("resource", ""),
                at,
                entry.actor,
                entry.outcome,
                detail.get("reason", "expired"),
            )
        )
    return sorted(found, key=lambda e: e.at)


def controls(
    framework: Framework, evidence: Evidence, chain_ok: bool
) -> tuple[dict[str, str], ...]:
    """Each control with its status: evidenced, no records in the period, or not evidenced
    (and every control is "not evidenced" when the chain the figures come from is broken)."""
    counts = {
        Section.CHANGES: len(evidence.changes),
        Section.ACCESS: len(evidence.access),
        Section.DUTIES: evidence.votes,
        Section.CHAIN: 1,
        Section.REVIEWS: sum(1 for e in evidence.access if e.kind.startswith("review")),
    }
    rows = []
    for control, title, section in CONTROLS[framework]:
        if section is None:
            status, source = "not evidenced", "no source in the assistant"
        elif not chain_ok:
            status, source = "not evidenced", "the audit chain is broken"
        elif counts.get(section, 0):
            status, source = "evidenced", section.value
        else:
            status, source = "no records in the period", section.value
        rows.append({"control": control, "title": title, "status": status, "source": source})
    return tuple(rows)
