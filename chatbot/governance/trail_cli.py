"""`chatops audit list | verify | checkpoint | evidence | export`: the audit trail from a
terminal. list and export read the store alone (no language model, no skills); verify and
checkpoint live in `audit_cli`, evidence in `evidence_cli`; this module builds the group."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from chatbot.governance import audit_cli, evidence_cli
from chatbot.store.opening import open_store

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings
    from chatbot.store.tables import AuditEntry


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `audit` group to the `chatops` subcommands."""
    group = sub.add_parser("audit", help="read, check and export the audit trail")
    audit_sub = group.add_subparsers(dest="audit_command", required=True)
    listing = audit_sub.add_parser("list", help="the latest entries")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    verify = audit_sub.add_parser(
        "verify", help="check the hash chain; exit 1 if it was tampered with"
    )
    verify.add_argument(
        "--processes",
        type=_positive,
        help="processes that walk a long SQLite chain (default: one per core)",
    )
    verify.set_defaults(handler=audit_cli.cmd_verify)
    verify.add_argument(
        "--checkpoints", help="signed checkpoint log to compare with (default: the file sink)"
    )
    audit_cli.register(audit_sub)
    evidence_cli.register(audit_sub)
    export = audit_sub.add_parser("export", help="every entry as JSON lines")
    export.add_argument(
        "--since", help="entries at or after: ISO date or time, 'yesterday', '2h', '7d'"
    )
    export.set_defaults(handler=cmd_export)


def entry_json(entry: AuditEntry) -> dict[str, object]:
    """One entry as a line of `audit list --json` and `audit export` (and the console's
    JSON lines export): these keys are a contract."""
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "event": entry.event,
        "platform": entry.platform,
        "channel": entry.channel,
        "skill": entry.skill,
        "action_id": entry.action_id,
        "outcome": entry.outcome,
        "detail": json.loads(entry.detail),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from sqlmodel import col, select

    from chatbot import channel_names
    from chatbot.store.tables import AuditEntry

    async with open_store(settings) as store:
        async with store.read() as tx:
            query = select(AuditEntry).order_by(col(AuditEntry.seq).desc())
            rows = list(reversed((await tx.exec(query.limit(max(args.limit, 1)))).all()))
        shown = await channel_names.names(store)  # people read #ops, not C0123
    for e in rows:
        if args.json:
            print(json.dumps(entry_json(e), ensure_ascii=False))
        else:
            where = f"{e.platform}:{shown.get(e.channel, e.channel)}"
            what = f"{e.event} {e.skill or ''}".strip()
            action = f" #{e.action_id}" if e.action_id else ""
            print(
                f"{e.seq:>6} {e.at:%Y-%m-%d %H:%M:%S} {e.actor:<8} {where:<16} {what}{action} "
                f"-> {e.outcome}"
            )
    return 0


async def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.governance import audit
    from chatbot.times import parse_since

    since = parse_since(args.since) if args.since else None

    async with open_store(settings) as store, store.snapshot() as tx:
        async for entry in audit.entries(tx):
            if since is None or entry.at >= since:
                print(json.dumps(entry_json(entry), ensure_ascii=False))
    return 0
