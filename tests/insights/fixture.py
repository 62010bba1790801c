"""A week of records with known KPIs, written straight into the tables (the figures are
what is tested here; how the pipeline writes those rows is tested elsewhere).

Monday 2026-11-23 .. Sunday 2026-11-29, by day:
  Mon  two incidents: acknowledged after 60 s and 180 s (MTTA 120 s), resolved 600 s and
       1800 s after impact (MTTR 1200 s); the assistant acted on the first (automation 0.5)
  Tue  four offers of help, one solved by an article (deflection 0.25); three unmatched
       printer requests and two about a monitor
  Wed  one incident, never acknowledged, resolved after 3600 s; carol acted on it
  Thu  two deploys: checkout/prod followed 20 min later by an incident (failed), billing/prod
       not (change failure rate 0.5); the incident is acknowledged after 300 s
  Fri  two access requests: first decisions after 600 s and 1200 s (latency 900 s); one
       granted, one rejected; one ticket status look-up; one deploy refused by policy;
       three thumbs up and one down on answers (satisfaction 0.75)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chatbot.incidents.tables import Incident, IncidentEvent
from chatbot.store.engine import Store
from chatbot.store.tables import Action, ApprovalVote, AuditEntry, AuditHead, FeedbackVote

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
UNMATCHED = {
    "my printer is jammed again": 2,
    "the printer on floor 3 is jammed": 1,
    "second monitor not detected": 1,
    "my second monitor is not detected": 1,
}


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def _incident(n: int, created: datetime, ack: int | None, fix: int | None, **kw: str) -> Incident:
    started = created - timedelta(seconds=60)
    return Incident(
        id=n,
        group_key=f"g{n}",
        source="alertmanager",
        title="HighErrorRate",
        service=kw.get("service", "search"),
        env=kw.get("env", "prod"),
        state="resolved" if fix is not None else "open",
        started_at=started,
        created_at=created,
        acknowledged_at=None if ack is None else created + timedelta(seconds=ack),
        resolved_at=None if fix is None else started + timedelta(seconds=fix),
        updated_at=created,
    )


def _action(n: int, skill: str, state: str, when: datetime, **slots: str) -> Action:
    return Action(
        id=n,
        requester="bob",
        skill=skill,
        state=state,
        platform="web",
        channel="web",
        slots=json.dumps(slots),
        created_at=when,
        updated_at=when,
    )


class _Audit:
    def __init__(self) -> None:
        self.seq = 0
        self.rows: list[AuditEntry] = []

    def add(self, when: datetime, event: str, outcome: str, **kw: object) -> None:
        self.seq += 1
        self.rows.append(
            AuditEntry(
                seq=self.seq,
                at=when,
                actor=str(kw.get("actor", "alice")),
                platform="web",
                channel="web",
                event=event,
                skill=kw.get("skill"),  # type: ignore[arg-type]
                action_id=kw.get("action_id"),  # type: ignore[arg-type]
                outcome=outcome,
                detail=json.dumps(kw.get("detail", {})),
                prev_hash="",
                hash="",
            )
        )


def _audit() -> list[AuditEntry]:
    log = _Audit()
    for i in range(3):
        log.add(at(1, 9, i), "support.offered", "articles")
    log.add(at(1, 9, 5), "support.offered", "none")
    log.add(at(1, 9, 6), "support.deflected", "deflected")
    minute = 0
    for text, times in UNMATCHED.items():
        for _ in range(times):
            minute += 1
            log.add(at(1, 10, minute), "message.received", "ok", detail={"text": text})
            log.add(at(1, 10, minute), "understood", "none", detail={"skill": None})
    log.add(at(1, 11), "message.received", "ok", detail={"text": "thanks!"})
    log.add(at(1, 11), "understood", "none", detail={"skill": None})
    log.add(at(4, 9), "executed", "ok", skill="ticket.status")
    log.add(at(4, 9, 1), "decided", "deny", skill="deploy")
    return log.rows


async def seed(store: Store) -> None:
    entries = _audit()
    async with store.transaction() as tx:
        head = await tx.get(AuditHead, 1) or AuditHead(id=1)
        head.seq, head.hash = entries[-1].seq, entries[-1].hash  # later appends follow on
        tx.add(head)
        tx.add_all(
            [
                _incident(1, at(0, 10), 60, 600),
                _incident(2, at(0, 14), 180, 1800),
                _incident(3, at(2, 10), None, 3600),
                _incident(4, at(3, 12, 20), 300, None, service="checkout"),
                IncidentEvent(
                    incident_id=1, at=at(0, 10, 5), kind="action", actor="assistant", idem_key="e1"
                ),
                IncidentEvent(
                    incident_id=3, at=at(2, 10, 5), kind="action", actor="carol", idem_key="e3"
                ),
                IncidentEvent(
                    incident_id=3, at=at(2, 10, 6), kind="note", actor="carol", idem_key="e4"
                ),
                _action(1, "deploy", "succeeded", at(3, 12), service="checkout", env="prod"),
                _action(2, "deploy", "succeeded", at(3, 15), service="billing", env="prod"),
                _action(3, "access.request", "succeeded", at(4, 9), resource="grafana"),
                _action(4, "access.request", "rejected", at(4, 10), resource="prod-db"),
                ApprovalVote(action_id=3, approver="carol", decision="approve", at=at(4, 9, 10)),
                ApprovalVote(action_id=3, approver="dave", decision="approve", at=at(4, 9, 30)),
                ApprovalVote(action_id=4, approver="dave", decision="reject", at=at(4, 10, 20)),
                *entries,
                *(
                    FeedbackVote(person=p, reply_id="r1", verdict=v, at=at(4, 11))
                    for p, v in (("alice", "up"), ("bob", "up"), ("carol", "up"), ("erin", "down"))
                ),
            ]
        )
