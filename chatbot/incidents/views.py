"""How incidents and KPIs read on a terminal and as JSON."""

from __future__ import annotations

from dataclasses import dataclass

from chatbot.incidents.book import IncidentBook, incident_ref
from chatbot.incidents.changes import SuspectedChange, suspected_changes
from chatbot.incidents.kpi import KpiReport
from chatbot.incidents.postmortem import duration
from chatbot.incidents.tables import Alert, Incident, IncidentEvent
from chatbot.times import UNKNOWN, Zone, say


def incident_json(incident: Incident) -> dict[str, object]:
    assert incident.id is not None
    stamp = {
        name: value.isoformat() if (value := getattr(incident, name)) else None
        for name in (
            "started_at",
            "created_at",
            "acknowledged_at",
            "mitigated_at",
            "resolved_at",
            "closed_at",
        )
    }
    return {
        "id": incident_ref(incident.id),
        "title": incident.title,
        "service": incident.service,
        "env": incident.env,
        "severity": incident.severity,
        "state": incident.state,
        "partial": incident.partial,
        "acknowledged_by": incident.acknowledged_by,
        **stamp,
    }


def incident_line(incident: Incident, zone: Zone | None = None) -> str:
    """One line per incident; the start on the reader's clock (`zone`; a terminal, with no
    reader, says UTC)."""
    assert incident.id is not None
    where = " ".join(part for part in (incident.service, incident.env) if part)
    since = say(incident.started_at, zone or UNKNOWN)
    ref = incident_ref(incident.id)
    return f"{ref}  {incident.state:<12}  {incident.title}  {where}  since {since}"


@dataclass(frozen=True, slots=True)
class Detail:
    incident: Incident
    alerts: list[Alert]
    events: list[IncidentEvent]
    changes: list[SuspectedChange]

    def as_json(self) -> dict[str, object]:
        return {
            **incident_json(self.incident),
            "alerts": [
                {
                    "fingerprint": a.fingerprint,
                    "name": a.name,
                    "status": a.status,
                    "starts_at": a.starts_at.isoformat(),
                    "ends_at": a.ends_at.isoformat() if a.ends_at else None,
                    "deliveries": a.deliveries,
                }
                for a in self.alerts
            ],
            "timeline": [
                {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "text": e.text}
                for e in self.events
            ],
            "suspected_changes": [c.as_json() for c in self.changes],
        }

    def text(self) -> str:
        lines = [incident_line(self.incident), "", "Timeline:"]
        lines += [f"  {e.at:%H:%M:%S}  {e.text} ({e.actor})" for e in self.events]
        lines += ["", "Suspected changes (not a proven cause):"]
        lines += [
            f"  {c.skill} {c.service} {c.version} {c.env} by {c.by}, "
            f"{c.minutes_before:.0f} min before impact ({c.relation})"
            for c in self.changes
        ] or ["  none in the hour before impact"]
        return "\n".join(lines)


async def describe(book: IncidentBook, incident_id: int) -> Detail:
    incident = await book.get(incident_id)
    async with book.store.transaction() as tx:
        changes = await suspected_changes(
            tx,
            incident.service,
            incident.env,
            incident.started_at,
            book.settings.change_lookback_minutes,
            book.settings.dependencies,
        )
    return Detail(
        incident, await book.alerts(incident_id), await book.timeline(incident_id), changes
    )


def kpi_text(result: KpiReport) -> str:
    f = result.figures
    lines = [f"Since {result.since:%Y-%m-%d %H:%M UTC}:"]
    for key, label in (
        ("mtta_seconds", "Time to acknowledge"),
        ("mttr_seconds", "Time to resolve"),
        ("failed_deployment_recovery_seconds", "Failed deploy recovery"),
        ("approval_latency_seconds", "Approval latency"),
    ):
        spread = f.get(key)
        if isinstance(spread, dict) and spread.get("mean") is not None:
            lines.append(
                f"  {label}: mean {duration(spread['mean'])}, median "
                f"{duration(spread['median'])}, p90 {duration(spread['p90'])}"
            )
        else:
            lines.append(f"  {label}: no data")
    for key, label in (
        ("change_failure_rate", "Change failure rate"),
        ("automation_rate", "Automation rate"),
        ("auto_remediation_rate", "Auto-remediation rate"),
        ("noise_reduction", "Noise reduction"),
        ("deflection_rate", "Deflection"),
    ):
        value = f.get(key)
        shown = f"{value:.1%}" if isinstance(value, float) else "no data"
        lines.append(f"  {label}: {shown}")
    lines.append(f"  Incidents: {f.get('incidents')}, deploys: {f.get('deploys')}")
    unserved = f.get("unserved_requests") or []
    if isinstance(unserved, list) and unserved:
        lines.append("  Asked most, served never:")
        lines += [f"    {u['count']}x {u['text']}" for u in unserved]
    return "\n".join(lines)
