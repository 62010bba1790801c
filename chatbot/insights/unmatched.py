"""Requests nobody could serve, and the same request said many ways put together.

Where they are recorded: every message is audited as `message.received` (with its text,
redacted) immediately followed by `understood` for the same person; `understood` with outcome
`none` means no skill fitted. Among those, the ones about IT (`intents.topics.about_it`, the
same test that makes the assistant offer articles, a ticket and a person: chatbot/support.py)
are the requests the catalog could grow by. Small talk, thanks and answers are left out.

The database counts the distinct texts (most frequent first, at most `limit`); grouping is
leader clustering over those texts with rapidfuzz: each text, most frequent first, joins the
group whose first text is most similar (token sort ratio over stemmed content words, at least
`threshold`), or starts one. The first text is the most common phrasing, so it names the group.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process
from spacy.lang.en.stop_words import STOP_WORDS
from sqlalchemy import and_, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased
from sqlmodel import col

from chatbot.store.engine import Store
from chatbot.store.tables import AuditEntry
from intents.topics import about_it

WORD_RE = re.compile(r"[a-z0-9][a-z0-9'-]*")
SUFFIXES = ("ing", "ed", "es", "s")
THRESHOLD = 60
EXAMPLES = 20


@dataclass(frozen=True, slots=True)
class Asked:
    """One text as people typed it (lower case, spaces squeezed), and how often."""

    text: str
    count: int
    last: datetime | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """Requests that say the same thing: `examples` most frequent first, `count` all of them."""

    title: str
    count: int
    examples: tuple[Asked, ...]

    def texts(self, limit: int = EXAMPLES) -> list[str]:
        return [a.text for a in self.examples[:limit]]

    def as_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "count": self.count,
            "examples": [{"text": a.text, "count": a.count} for a in self.examples],
        }


def _stem(word: str) -> str:
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def key(text: str) -> str:
    """What is compared: the content words, crudely stemmed ("printers jammed" ~ "printer
    jam"), so the filler around a request does not decide its group."""
    words = [_stem(w) for w in WORD_RE.findall(text.lower()) if w not in STOP_WORDS]
    return " ".join(words) or text.lower()


def group(asked: Sequence[Asked], threshold: int = THRESHOLD) -> list[Group]:
    """The groups, largest first (ties alphabetically, so the same records give the same page)."""
    ordered = sorted(asked, key=lambda a: (-a.count, a.text))
    leaders: list[str] = []
    members: list[list[Asked]] = []
    for one in ordered:
        k = key(one.text)
        best = process.extractOne(k, leaders, scorer=fuzz.token_sort_ratio, score_cutoff=threshold)
        if best is None:
            leaders.append(k)
            members.append([one])
        else:
            members[best[2]].append(one)
    found = [Group(m[0].text, sum(a.count for a in m), tuple(m)) for m in members]
    return sorted(found, key=lambda g: (-g.count, g.title))


def squeeze(text: str) -> str:
    return " ".join(text.lower().split())[:200]


async def unmatched(
    store: Store,
    since: datetime,
    until: datetime,
    limit: int = 1000,
    it_only: bool = True,
) -> list[Asked]:
    """The distinct texts no skill fitted in [since, until), most frequent first."""
    said = aliased(AuditEntry)
    async with store.read() as tx:
        dialect = tx.sync_session.get_bind().dialect.name
        if dialect == "postgresql":
            text = cast(col(said.detail), JSONB)["text"].astext
        else:
            text = func.json_extract(col(said.detail), "$.text")
        spoken = func.lower(text)
        rows = (
            await tx.execute(
                select(spoken, func.count(), func.max(col(AuditEntry.at)))
                .select_from(AuditEntry)
                .join(
                    said,
                    and_(
                        col(said.seq) == col(AuditEntry.seq) - 1,
                        col(said.actor) == col(AuditEntry.actor),
                    ),
                )
                .where(
                    col(AuditEntry.event) == "understood",
                    col(AuditEntry.outcome) == "none",
                    col(said.event) == "message.received",
                    col(AuditEntry.at) >= since,
                    col(AuditEntry.at) < until,
                )
                .group_by(spoken)
                .order_by(func.count().desc())
                .limit(limit)
            )
        ).all()
    merged: dict[str, Asked] = {}
    for raw, n, last in rows:
        text = squeeze(str(raw or ""))
        if not text or (it_only and not about_it(text)):
            continue
        before = merged.get(text)
        if before is not None:
            n += before.count
            last = max(last, before.last) if before.last else last
        merged[text] = Asked(text, int(n), last)
    return sorted(merged.values(), key=lambda a: (-a.count, a.text))


async def unmatched_groups(
    store: Store, since: datetime, until: datetime, top: int = 20
) -> list[Group]:
    """The `top` largest groups of IT requests no skill fitted."""
    return group(await unmatched(store, since, until))[:top]
