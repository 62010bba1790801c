"""Audit: search the hash-chained trail by person, skill, outcome and time; each entry with its
position in the chain; the chain's verification and latest signed checkpoint; exports as
JSON lines (the lines of `chatops audit export`) and CSV.

Verifying walks the whole chain, so it runs when asked (`/audit/verify`), not on every view;
the page shows the last result this server computed. Every export is itself audited.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar
from starlette.responses import Response, StreamingResponse

from chatbot.console import texts
from chatbot.console.frame import Context, Page, Reader, Result, record
from chatbot.errors import UserError
from chatbot.governance import audit, checkpoint
from chatbot.governance.trail_cli import entry_json
from chatbot.store.tables import AuditEntry
from chatbot.times import parse_since
from chatbot.types import utcnow

PAGE_SIZE = 100
FILTERS = ("person", "skill", "outcome", "event", "since", "until")
CSV_COLUMNS = (
    "seq",
    "at",
    "actor",
    "event",
    "platform",
    "channel",
    "skill",
    "action_id",
    "outcome",
    "detail",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True, slots=True)
class Checked:
    """The last verification this server ran: when, and what it found."""

    at: datetime
    ok: bool
    checked: int
    text: str


def _time(ctx: Context, name: str) -> datetime | None:
    said = ctx.query.get(name, "").strip()
    if not said:
        return None
    try:
        return parse_since(said)
    except UserError as exc:
        raise UserError(f"{'From' if name == 'since' else 'Until'}: {exc}") from None


def _query(ctx: Context) -> SelectOfScalar[AuditEntry]:
    query = select(AuditEntry)
    person, skill = ctx.query.get("person", "").strip(), ctx.query.get("skill", "").strip()
    outcome, event = ctx.query.get("outcome", "").strip(), ctx.query.get("event", "").strip()
    if person:
        found = ctx.runtime.assistant.directory.find_any(person)
        query = query.where(col(AuditEntry.actor) == (found.name if found else person))
    if skill:
        query = query.where(col(AuditEntry.skill) == skill)
    if outcome:
        query = query.where(col(AuditEntry.outcome) == outcome)
    if event:
        query = query.where(col(AuditEntry.event).startswith(event))
    since, until = _time(ctx, "since"), _time(ctx, "until")
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.at) < until)
    return query


def _filters(ctx: Context) -> dict[str, str]:
    return {name: ctx.query.get(name, "") for name in FILTERS}


def _latest_checkpoint(ctx: Context) -> checkpoint.Checkpoint | None:
    settings = ctx.runtime.settings
    config = settings.audit_checkpoints
    if not config.enabled or "file" not in config.sinks:
        return None
    try:
        found = checkpoint.read_log(checkpoint.log_path(config, settings.data_dir))
    except (OSError, ValueError):
        return None
    return found[-1] if found else None


async def read(ctx: Context) -> Response:
    try:
        query = _query(ctx)
    except UserError as exc:
        return ctx.page("audit.html", "Audit", 400, problem=str(exc), **_empty(ctx))
    before = ctx.query.get("before", "")
    if before.isdigit():
        query = query.where(col(AuditEntry.seq) < int(before))
    async with ctx.runtime.store.read() as tx:
        rows = list(
            (await tx.exec(query.order_by(col(AuditEntry.seq).desc()).limit(PAGE_SIZE))).all()
        )
        head = (
            await tx.exec(select(AuditEntry.seq).order_by(col(AuditEntry.seq).desc()).limit(1))
        ).first()
    older = str(rows[-1].seq) if len(rows) == PAGE_SIZE else ""
    return ctx.page(
        "audit.html",
        "Audit",
        problem="",
        rows=[(e, _detail(e)) for e in rows],
        filters=_filters(ctx),
        older=older,
        head=head or 0,
        checked=ctx.console.checked,
        latest=_latest_checkpoint(ctx),
    )


def _empty(ctx: Context) -> dict[str, object]:
    return {
        "rows": [],
        "filters": _filters(ctx),
        "older": "",
        "head": 0,
        "checked": ctx.console.checked,
        "latest": _latest_checkpoint(ctx),
    }


def _detail(entry: AuditEntry) -> str:
    try:
        detail = json.loads(entry.detail)
    except ValueError:
        return ""
    if not isinstance(detail, dict):
        return ""
    return "; ".join(f"{k}: {v}" for k, v in detail.items() if isinstance(v, str | int | float))[
        :300
    ]


async def verify(ctx: Context) -> Response:
    """Walk the whole chain in one snapshot (blocks no writer) and remember the result."""
    async with ctx.runtime.store.snapshot() as tx:
        found = await audit.verify(tx)
    if found.ok:
        text = texts.CHAIN_INTACT.format(count=found.checked)
    else:
        where = f" at entry {found.bad_seq}" if found.bad_seq else ""
        text = texts.CHAIN_BROKEN.format(where=where, problem=found.problem)
    ctx.console.checked = Checked(utcnow(), found.ok, found.checked, text)
    await record(ctx.runtime, ctx.viewer.name, "verify", Result(found.ok, text), "/audit")
    return await read(ctx)


async def _lines(
    ctx: Context, query: SelectOfScalar[AuditEntry], as_csv: bool
) -> AsyncIterator[str]:
    if as_csv:
        yield ",".join(CSV_COLUMNS) + "\r\n"
    last = 0
    while True:
        async with ctx.runtime.store.read() as tx:
            page = query.where(col(AuditEntry.seq) > last).order_by(col(AuditEntry.seq)).limit(2000)
            rows = list((await tx.exec(page)).all())
        if not rows:
            return
        for entry in rows:
            line = entry_json(entry)
            if as_csv:
                out = io.StringIO()
                line["detail"] = json.dumps(line["detail"], ensure_ascii=False)
                csv.writer(out).writerow(
                    [line[c] if line[c] is not None else "" for c in CSV_COLUMNS]
                )
                yield out.getvalue()
            else:
                yield json.dumps(line, ensure_ascii=False) + "\n"
        last = rows[-1].seq


def _export(as_csv: bool) -> Reader:
    async def endpoint(ctx: Context) -> Response:
        try:
            query = _query(ctx)
        except UserError as exc:
            return ctx.page("audit.html", "Audit", 400, problem=str(exc), **_empty(ctx))
        kind = "csv" if as_csv else "jsonl"
        shown = {k: v for k, v in _filters(ctx).items() if v}
        said = texts.EXPORTED.format(kind=kind, filters=f" ({shown})" if shown else "")
        await record(ctx.runtime, ctx.viewer.name, "export", Result(True, said), "/audit")
        media = "text/csv; charset=utf-8" if as_csv else "application/x-ndjson"
        name = f"audit-{utcnow():%Y%m%d-%H%M%S}.{kind}"
        return StreamingResponse(
            _lines(ctx, query, as_csv),
            media_type=media,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    return endpoint


pages = (
    Page("/audit", "Audit", read),
    Page("/audit/verify", "Audit", verify, nav=False),
    Page("/audit/export.jsonl", "Audit export", _export(False), nav=False),
    Page("/audit/export.csv", "Audit export", _export(True), nav=False),
)
