"""Each person's web conversation, kept in the database (table `web_entries`).

Append-only: a row either adds an entry ("new") or replaces what an earlier entry of the same
person shows ("update": a card after a decision, a question once answered). The row id is the
cursor a screen keeps: reloading reads the latest version of the last entries, a live stream
sends every row after the cursor it was given. Texts are redacted before they are kept (and
the column redacts again), so what comes back on reload is what was shown live.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from chatbot.governance.redaction import redact
from chatbot.store.engine import Store
from chatbot.store.tables import WebEntry
from chatbot.types import Button, ButtonStyle, ReplyKind, utcnow

RECENT = 200  # entries a reload shows
BATCH = 500  # rows a stream sends at once


class Speaker(StrEnum):
    PERSON = "person"
    ASSISTANT = "assistant"


class Change(StrEnum):
    NEW = "new"
    UPDATE = "update"


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing on a person's screen: what they said, or what the assistant told them."""

    ref: str
    speaker: Speaker
    kind: str
    text: str
    buttons: tuple[Button, ...] = ()
    action_id: int | None = None
    skill: str | None = None
    card: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)

    @classmethod
    def said(cls, text: str) -> Entry:
        return cls(new_ref(), Speaker.PERSON, ReplyKind.INFO, redact(text))

    def with_text(self, text: str) -> Entry:
        return replace(self, text=redact(text))


@dataclass(frozen=True, slots=True)
class Step:
    """One row read back: whose it is, where it sits, and what it adds or replaces."""

    cursor: int
    person: str
    change: Change
    entry: Entry


def new_ref() -> str:
    """An entry's public id: random, so nobody can name another person's entries."""
    return uuid.uuid4().hex


def _row(person: str, change: Change, entry: Entry) -> WebEntry:
    buttons = [{"label": b.label, "value": b.value, "style": str(b.style)} for b in entry.buttons]
    return WebEntry(
        person=person,
        ref=entry.ref,
        change=change,
        speaker=entry.speaker,
        kind=str(entry.kind),
        text=redact(entry.text),
        buttons=json.dumps(buttons),
        action_id=entry.action_id,
        skill=entry.skill,
        card=json.dumps(entry.card, sort_keys=True),
        at=entry.at,
    )


def _step(row: WebEntry) -> Step:
    buttons = tuple(
        Button(b["label"], b["value"], ButtonStyle(b["style"])) for b in json.loads(row.buttons)
    )
    entry = Entry(
        ref=row.ref,
        speaker=Speaker(row.speaker),
        kind=row.kind,
        text=row.text,
        buttons=buttons,
        action_id=row.action_id,
        skill=row.skill,
        card=json.loads(row.card),
        at=row.at,
    )
    return Step(row.id or 0, row.person, Change(row.change), entry)


async def append(store: Store, rows: Sequence[tuple[str, Change, Entry]]) -> list[Step]:
    """Keep (person, change, entry) rows in one transaction; the steps with their cursors."""
    if not rows:
        return []
    kept = [_row(person, change, entry) for person, change, entry in rows]
    async with store.transaction() as tx:
        tx.add_all(kept)
        await tx.flush()
    return [_step(row) for row in kept]


async def recent(store: Store, person: str, limit: int = RECENT) -> tuple[list[Entry], int]:
    """The person's last entries, each as it now stands, oldest first; and the cursor."""
    newest = (
        select(WebEntry)
        .where(WebEntry.person == person, WebEntry.change == Change.NEW)
        .order_by(col(WebEntry.id).desc())
        .limit(limit)
    )
    async with store.read() as tx:
        rows = list(reversed((await tx.exec(newest)).all()))
        cursor = (
            await tx.exec(select(func.max(WebEntry.id)).where(WebEntry.person == person))
        ).one()
        later: list[WebEntry] = []
        if rows:
            updates = (
                select(WebEntry)
                .where(
                    WebEntry.person == person,
                    WebEntry.change == Change.UPDATE,
                    col(WebEntry.id) > rows[0].id,
                )
                .order_by(col(WebEntry.id))
            )
            later = list((await tx.exec(updates)).all())
    entries = {row.ref: _step(row).entry for row in rows}
    for row in later:
        if row.ref in entries:
            entries[row.ref] = _step(row).entry
    return list(entries.values()), int(cursor or 0)


async def since(store: Store, person: str, after: int, limit: int = BATCH) -> list[Step]:
    """Every row of this person's conversation after the cursor, in order."""
    query = (
        select(WebEntry)
        .where(WebEntry.person == person, col(WebEntry.id) > after)
        .order_by(col(WebEntry.id))
        .limit(limit)
    )
    async with store.read() as tx:
        return [_step(row) for row in (await tx.exec(query)).all()]


async def about(store: Store, action_ids: Iterable[int]) -> list[Step]:
    """Every entry (anyone's) about these actions, each as it now stands."""
    wanted = sorted(set(action_ids))
    if not wanted:
        return []
    query = select(WebEntry).where(col(WebEntry.action_id).in_(wanted)).order_by(col(WebEntry.id))
    async with store.read() as tx:
        rows = (await tx.exec(query)).all()
    latest = {(row.person, row.ref): _step(row) for row in rows}
    return list(latest.values())


async def find(store: Store, person: str, ref: str) -> Entry | None:
    """One of this person's entries as it now stands; None when it is not theirs."""
    query = (
        select(WebEntry)
        .where(WebEntry.person == person, WebEntry.ref == ref)
        .order_by(col(WebEntry.id).desc())
        .limit(1)
    )
    async with store.read() as tx:
        row = (await tx.exec(query)).first()
    return _step(row).entry if row else None


async def with_button(store: Store, person: str, value: str, look_back: int = 50) -> Entry | None:
    """The newest of this person's recent entries that offered a button with this value."""
    entries, _ = await recent(store, person, look_back)
    for entry in reversed(entries):
        if any(b.value == value for b in entry.buttons):
            return entry
    return None


async def carded(store: Store, person: str, action_ids: Iterable[int]) -> set[int]:
    """Which of these actions already have an approval card in this person's conversation."""
    wanted = sorted(set(action_ids))
    if not wanted:
        return set()
    query = select(WebEntry.action_id).where(
        WebEntry.person == person,
        WebEntry.kind == ReplyKind.APPROVAL,
        col(WebEntry.action_id).in_(wanted),
    )
    async with store.read() as tx:
        return {a for a in (await tx.exec(query)).all() if a is not None}
