"""`chatops audit verify` and `chatops audit checkpoint`: the chain, then its signed anchors.

verify walks the chain in one snapshot, then compares it with the latest signed checkpoints
(`checkpoint.check`). Exit 0 only when both hold; 1 when something was tampered with or is
missing (a dropped table included: one line, never a traceback); 3 when the database cannot
be reached. It opens the store alone, not the whole runtime: nothing is trained or written.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatbot.errors import StorageUnavailable

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that fast
    from chatbot.config import Settings
    from chatbot.governance import checkpoint

TABLES = ("audit_entries", "audit_head")


def register(audit_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `audit checkpoint` (and the `--checkpoints` option of verify is added by cli)."""
    cmd = audit_sub.add_parser("checkpoint", help="sign the audit head now and write it out")
    cmd.set_defaults(handler=cmd_checkpoint)


def missing_table(exc: Exception) -> str | None:
    """The audit table a database error says is missing, if that is what it says."""
    said = str(getattr(exc, "orig", None) or exc).lower()
    if "no such table" in said or "does not exist" in said or "undefined" in said:
        return next((t for t in TABLES if t in said), "audit_entries")
    return None


async def cmd_checkpoint(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from chatbot.governance import checkpoint
    from chatbot.store.engine import Store

    store = Store(settings.database)
    try:
        await store.migrate()
        signer = checkpoint.Checkpointer(settings.audit_checkpoints, settings.data_dir, store)
        try:
            written = await signer.write()
        except DBAPIError as exc:
            table = missing_table(exc)
            if table is None:
                raise StorageUnavailable(_unreadable(exc)) from None
            print(f"chatops: the audit table {table} is missing", file=sys.stderr)
            return 1
    finally:
        await store.close()
    sinks = ", ".join(settings.audit_checkpoints.sinks)
    print(
        f"audit checkpoint signed: entry {written.seq} at {written.at} (key {written.key_id}; "
        f"written to {sinks})"
    )
    return 0


async def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from chatbot.governance import audit, checkpoint
    from chatbot.store.engine import Store

    config = settings.audit_checkpoints
    log_file = Path(args.checkpoints) if getattr(args, "checkpoints", None) else None
    if log_file is None and config.enabled and "file" in config.sinks:
        log_file = checkpoint.log_path(config, settings.data_dir)
    store = Store(settings.database)
    try:
        await store.migrate()
        async with store.snapshot() as tx:
            try:
                result = await audit.verify(tx, processes=args.processes)
                if not result.ok:
                    where = f" at entry {result.bad_seq}" if result.bad_seq else ""
                    print(f"audit chain broken{where}: {result.problem}", file=sys.stderr)
                    return 1
                if log_file is None:
                    print(
                        f"audit chain intact: {result.checked} entries verified "
                        "(no checkpoint file to compare with)"
                    )
                    return 0
                found = await _against_checkpoints(tx, settings, log_file)
            except (DBAPIError, sqlite3.Error) as exc:
                table = missing_table(exc)
                if table is None:
                    raise StorageUnavailable(_unreadable(exc)) from None
                print(f"audit chain broken: the table {table} is missing", file=sys.stderr)
                return 1
    finally:
        await store.close()
    if not found.ok:
        print(f"audit chain broken: {found.problem}", file=sys.stderr)
        return 1
    print(
        f"audit chain intact: {result.checked} entries verified against "
        f"{found.checked} signed checkpoint(s)"
    )
    return 0


async def _against_checkpoints(tx: Any, settings: Settings, log_file: Path) -> checkpoint.Finding:
    from sqlmodel import col, select

    from chatbot.governance import checkpoint
    from chatbot.store.tables import AuditEntry, AuditHead
    from chatbot.types import utcnow

    config = settings.audit_checkpoints
    head = (await tx.exec(select(AuditHead).where(AuditHead.id == 1))).one()
    try:
        found = checkpoint.read_log(log_file) if log_file.exists() else []
    except ValueError as exc:
        return checkpoint.Finding(False, f"{exc}: the checkpoint log was altered")
    key_file = checkpoint.key_path(config, settings.data_dir)
    try:
        public = checkpoint.load_key(key_file, create=False).public_key()
    except FileNotFoundError:
        if not found and head.seq == 0:
            return checkpoint.Finding(True)
        return checkpoint.Finding(False, f"the checkpoint key {key_file} is missing")
    except ValueError as exc:
        return checkpoint.Finding(False, str(exc))

    async def look_up(seqs: Sequence[int]) -> dict[int, tuple[str, datetime]]:
        rows: dict[int, tuple[str, datetime]] = {}
        for start in range(0, len(seqs), 500):
            part = list(seqs[start : start + 500])
            query = select(AuditEntry.seq, AuditEntry.hash, AuditEntry.at).where(
                col(AuditEntry.seq).in_(part)
            )
            for seq, digest, at in (await tx.exec(query)).all():
                rows[seq] = (digest, at)
        return rows

    interval = timedelta(minutes=config.every_minutes)
    return await checkpoint.check(
        found, public, head.seq, look_up, interval, str(log_file), utcnow()
    )


def _unreadable(exc: Exception) -> str:
    said = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["unknown error"])[0]
    return f"the database cannot be read now: {said}"
