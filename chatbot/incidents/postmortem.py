"""A Markdown postmortem written from the record, for people to finish.

It states what the data shows (impact window, timeline, suspected changes, actions and who
took them) and leaves the parts only people can write as clearly marked blanks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chatbot.incidents.book import incident_ref
from chatbot.incidents.changes import SuspectedChange
from chatbot.incidents.tables import Alert, Incident, IncidentEvent


def _at(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or hours else []
    return " ".join(parts + ([f"{secs} s"] if secs or not parts else []))


def render(
    incident: Incident,
    alerts: Sequence[Alert],
    events: Sequence[IncidentEvent],
    changes: Sequence[SuspectedChange],
) -> str:
    assert incident.id is not None
    ref = incident_ref(incident.id)
    end = incident.resolved_at
    lasted = duration((end - incident.started_at).total_seconds()) if end else "still open"
    where = " / ".join(part for part in (incident.service, incident.env) if part) or "-"
    lines = [
        f"# Postmortem: {ref} {incident.title}",
        "",
        "## Summary",
        "",
        f"- Service: {where}",
        f"- State: {incident.state}"
        + (" (some alerts were left out by the sender)" if incident.partial else ""),
        f"- Impact: {_at(incident.started_at)} to {_at(end)} ({lasted})",
        f"- Acknowledged: {_at(incident.acknowledged_at)}"
        + (f" by {incident.acknowledged_by}" if incident.acknowledged_by else ""),
        f"- Alerts: {len(alerts)} ({sum(a.deliveries for a in alerts)} deliveries)",
        "",
        "_What happened, in two sentences: (to fill in)_",
        "",
        "## Timeline",
        "",
        "| time (UTC) | what | who |",
        "|---|---|---|",
    ]
    lines += [f"| {_at(e.at)} | {_cell(e.text)} | {_cell(e.actor)} |" for e in events]
    lines += ["", "## Suspected changes", ""]
    if changes:
        lines += [
            f"- {c.skill} {c.service} {c.version} {c.env} by {c.by}, "
            f"{c.minutes_before:.0f} min before impact ({c.relation})".replace("  ", " ")
            for c in changes
        ]
        lines += ["", "These are changes close in time and relation, not a proven cause."]
    else:
        lines += ["None recorded in the hour before impact."]
    actions = [e for e in events if e.kind == "action"]
    lines += ["", "## Actions taken", ""]
    lines += [f"- {_at(e.at)}: {e.text} ({e.actor})" for e in actions] or ["None recorded."]
    lines += [
        "",
        "## Action items",
        "",
        "- [ ] (to fill in: owner, what, by when)",
        "",
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
