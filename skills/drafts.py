"""Manifests sent in chat, kept verbatim until their admin presses Add (or not).

An action's slots are stored redacted (a secret typed into a slot must never be kept), and
a manifest must not be changed by that: its text waits here, named by its sha256, and the
action carries only the name. Adding it later reads it back and checks it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import timedelta

from sqlmodel import col, delete

from chatbot.config import Settings
from chatbot.store.engine import Store
from chatbot.store.tables import SkillDraft
from chatbot.types import utcnow


async def save(store: Store, name: str, file: str, source: str, who: str) -> str:
    digest = hashlib.sha256(source.encode()).hexdigest()
    async with store.transaction() as tx:
        if await tx.get(SkillDraft, digest) is None:
            tx.add(
                SkillDraft(
                    sha256=digest,
                    name=name,
                    file=file,
                    source=source,
                    created_by=who,
                    created_at=utcnow(),
                )
            )
    return digest


async def load(store: Store, digest: str) -> SkillDraft | None:
    async with store.transaction() as tx:
        return await tx.get(SkillDraft, digest)


def kept_for(settings: Settings) -> timedelta:
    """How long a draft may wait: a day, or longer when a question, a confirmation or an
    approval that still names it may wait longer (its Add must still find the text)."""
    longest = max(
        settings.limits.question_ttl_seconds,
        settings.limits.confirmation_ttl_seconds,
        settings.approvals.ttl_seconds,
    )
    return max(timedelta(hours=24), timedelta(seconds=longest))


async def expire(store: Store, older_than: timedelta) -> int:
    """Remove drafts nobody added in time (a manifest's text must not be kept for ever);
    how many went. Safe to run on two replicas at once: a delete by age."""
    cutoff = utcnow() - older_than
    async with store.transaction() as tx:
        gone = await tx.exec(delete(SkillDraft).where(col(SkillDraft.created_at) < cutoff))
    return int(gone.rowcount or 0)


def values_text(values: Mapping[str, str]) -> str:
    """Example slot values as one readable slot: "service=checkout; env=prod"."""
    return "; ".join(f"{k}={v}" for k, v in values.items())


def values_of(text: str) -> Iterator[tuple[str, str]]:
    for part in text.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key:
            yield key, value
