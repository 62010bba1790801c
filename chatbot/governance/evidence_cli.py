"""`chatops audit report --framework soc2|iso27001 --since DATE [--until DATE] [--format
md|csv|json]`: the evidence an auditor asks for, read in one snapshot of the store.

The chain's verify status and the latest signed checkpoint come first, because every figure
below them is only as good as the trail they were read from. Exit 0 when the report was
written (a broken chain is reported in it, and also makes the exit 1, so a scheduled export
notices); 2 for a bad date or framework; 3 when the database cannot be reached.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # keep CLI start-up fast: the store and SQL are imported by the handler
    from chatbot.config import Settings
    from chatbot.governance.evidence import Evidence

FRAMEWORKS = ("soc2", "iso27001")
FORMATS = ("md", "csv", "json")
TITLES = {"soc2": "SOC 2 (Trust Services Criteria)", "iso27001": "ISO/IEC 27001:2022 Annex A"}


def register(audit_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = audit_sub.add_parser("report", help="compliance evidence for SOC 2 or ISO 27001")
    cmd.add_argument("--framework", required=True, choices=FRAMEWORKS)
    cmd.add_argument("--since", required=True, help="ISO date, 'yesterday' or an age like 30d")
    cmd.add_argument("--until", help="ISO date (default: now)")
    cmd.add_argument("--format", default="md", choices=FORMATS)
    cmd.set_defaults(handler=cmd_report)


async def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from chatbot.errors import StorageUnavailable, UserError
    from chatbot.governance import audit, evidence
    from chatbot.governance.calendar import ChangeCalendar
    from chatbot.store.engine import Store
    from chatbot.times import parse_since
    from chatbot.types import utcnow

    since = parse_since(args.since)
    until = parse_since(args.until) if args.until else utcnow()
    if until <= since:
        raise UserError("--until must be after --since; give an earlier --since")
    framework = evidence.Framework(args.framework)
    calendar = ChangeCalendar(settings.windows, settings.freezes)
    store = Store(settings.database)
    try:
        await store.migrate()
        async with store.snapshot() as tx:
            checked = await audit.verify(tx)
            changes, selfish, votes = await evidence.changes(tx, calendar, since, until)
            access = await evidence.access_events(tx, since, until)
    except DBAPIError as exc:
        said = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
        raise StorageUnavailable(f"the database cannot be read now: {said}") from None
    finally:
        await store.close()
    chain = (
        f"intact: {checked.checked} entries verified"
        if checked.ok
        else f"BROKEN at entry {checked.bad_seq}: {checked.problem}"
    )
    found = evidence.Evidence(
        framework,
        since.isoformat(),
        until.isoformat(),
        chain,
        _latest_checkpoint(settings),
        tuple(changes),
        tuple(access),
        tuple(selfish),
        votes,
    )
    rows = evidence.controls(framework, found, chain_ok=checked.ok)
    found = evidence.Evidence(**{**_fields(found), "controls": rows})
    render = {"md": markdown, "csv": as_csv, "json": as_json}[args.format]
    print(render(found), end="")
    return 0 if checked.ok else 1


def _fields(found: Evidence) -> dict[str, Any]:
    return {name: getattr(found, name) for name in found.__dataclass_fields__}


def _latest_checkpoint(settings: Settings) -> str:
    from chatbot.governance import checkpoint

    config = settings.audit_checkpoints
    if not config.enabled or "file" not in config.sinks:
        return "none (signed checkpoints are off or not written to a file)"
    path = checkpoint.log_path(config, settings.data_dir)
    try:
        found = checkpoint.read_log(path) if path.exists() else []
    except ValueError as exc:
        return f"unreadable: {exc}"
    if not found:
        return "none written yet"
    last = found[-1]
    return f"#{last.number}: entry {last.seq} at {last.at} (key {last.key_id})"


def as_json(found: Evidence) -> str:
    return json.dumps(found.as_dict(), indent=2) + "\n"


def as_csv(found: Evidence) -> str:
    """One row per record; `section` says which table it belongs to."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "id", "what", "who", "approvers", "at", "status", "notes"])
    writer.writerow(["header", "", "audit chain", "", "", "", found.chain, found.checkpoint])
    for row in found.controls:
        writer.writerow(
            ["control", row["control"], row["title"], "", "", "", row["status"], row["source"]]
        )
    for c in found.changes:
        writer.writerow(
            [
                "change",
                c.id,
                f"{c.skill} {c.target}",
                c.requester,
                ";".join(c.approvers),
                c.ran or c.requested,
                c.outcome,
                "; ".join((f"calendar {c.calendar}", *c.exceptions)),
            ]
        )
    for a in found.access:
        writer.writerow(["access", a.kind, a.resource, a.person, a.by, a.at, a.outcome, a.detail])
    for line in found.self_approvals:
        writer.writerow(["self-approval", "", line, "", "", "", "violation", ""])
    return out.getvalue()


def markdown(found: Evidence) -> str:
    lines = [
        f"# Compliance evidence: {TITLES[found.framework.value]}",
        "",
        f"Period: {found.since} to {found.until}",
        "",
        f"- Audit chain: {found.chain}",
        f"- Latest signed checkpoint: {found.checkpoint}",
        "",
        "## Controls",
        "",
        "| Control | Title | Status | Source |",
        "|---|---|---|---|",
        *(
            f"| {r['control']} | {r['title']} | {r['status']} | {r['source']} |"
            for r in found.controls
        ),
        "",
        f"## Change management ({len(found.changes)} production change(s))",
        "",
        "| # | Change | Requester | Approver(s) | Requested | Ran | Calendar | Outcome |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in found.changes:
        lines.append(
            f"| {c.id} | {c.skill} {c.target} | {c.requester} | {', '.join(c.approvers) or '-'} "
            f"| {c.requested} | {c.ran or '-'} | {c.calendar} | {c.outcome} |"
        )
    exceptions = [f"- #{c.id}: {'; '.join(c.exceptions)}" for c in found.changes if c.exceptions]
    lines += ["", "### Exceptions", "", *(exceptions or ["- none"]), ""]
    lines += [
        f"## Logical access ({len(found.access)} event(s))",
        "",
        "| Kind | Person | Resource | At | By | Outcome | Detail |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {a.kind} | {a.person} | {a.resource} | {a.at} | {a.by} | {a.outcome} | {a.detail} |"
            for a in found.access
        ),
        "",
        "## Segregation of duties",
        "",
        f"{found.votes} approval vote(s) in the period; a requester's own vote never counts.",
        "",
        *(f"- VIOLATION {s}" for s in found.self_approvals),
        *([] if found.self_approvals else ["- No request was approved by its requester."]),
        "",
    ]
    return "\n".join(lines)
