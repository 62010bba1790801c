"""An incident's thread: replies become timeline notes, and "ack it", "resolve it" or "roll
it back" typed there act on that incident.

The thread is known by where the incident's card was posted (`incident_posts`): a Slack
message ts in its channel, a Teams activity id in its conversation. Only a short, whole
command acts ("resolve it", not "should we resolve it?"), and it acts through the same desk
as the card's buttons (RBAC, the start gate for remediations, audit). Anything else said in the
thread is a note: attributed to the directory person, redacted of secrets, audited. Outside an
incident's thread "resolve it" names nothing, so the person is asked which incident.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from enum import StrEnum

from sqlmodel import col, select

from chatbot import texts
from chatbot.governance import audit
from chatbot.governance.redaction import redact
from chatbot.incidents.book import EventKind, IncidentBook, incident_ref
from chatbot.incidents.tables import IncidentPost
from chatbot.store.engine import Store, upsert_insert
from chatbot.types import Message, Principal, utcnow

MAX_NOTE = 2000


class ThreadCommand(StrEnum):
    ACK = "acknowledge"
    RESOLVE = "resolve"
    ROLLBACK = "roll back"


# What each command asks for when no thread names the incident: the request is then made
# like any other, so the missing incident or service is asked about, never guessed.
SKILL_OF = {
    ThreadCommand.ACK: "incident.ack",
    ThreadCommand.RESOLVE: "incident.resolve",
    ThreadCommand.ROLLBACK: "deploy.rollback",
}

_IT = r"(?:\s+(?:it|this|this\s+one|that|the\s+incident))?"
_POLITE = r"(?:\s+(?:now|please))?"
_COMMANDS = (
    (ThreadCommand.ACK, rf"(?:ack|acknowledge|i'?m\s+on\s+it|taking\s+it){_IT}"),
    (ThreadCommand.RESOLVE, rf"(?:resolve{_IT}|mark{_IT}\s+(?:as\s+)?resolved)"),
    (
        ThreadCommand.ROLLBACK,
        r"(?:roll\s*(?:it|this|that)?\s*back|rollback|revert\s+it)"
        r"(?:\s+the\s+(?:last\s+)?deploy)?",
    ),
)
_READ = [
    (command, re.compile(rf"^\s*(?:please\s+)?{body}{_POLITE}\s*[.!]*\s*$", re.I))
    for command, body in _COMMANDS
]


def command(text: str) -> ThreadCommand | None:
    """The thread command `text` is, whole; None for anything else (a question, a sentence
    that merely mentions rolling back, a negation)."""
    plain = " ".join(text.replace("’", "'").split())
    for found, pattern in _READ:
        if pattern.match(plain):
            return found
    return None


async def remember(
    store: Store, incident_id: int, platform: str, posts: Iterable[tuple[str, str]]
) -> None:
    """Keep where the incident's card went ((conversation, message id) per post)."""
    rows = [
        {
            "incident_id": incident_id,
            "platform": platform,
            "conversation": conversation,
            "message_id": message_id,
            "created_at": utcnow(),
        }
        for conversation, message_id in posts
    ]
    if not rows:
        return
    async with store.transaction() as tx:
        for row in rows:
            await tx.execute(
                upsert_insert(store.dialect)(IncidentPost).values(**row).on_conflict_do_nothing()
            )


async def incident_of(store: Store, message: Message) -> int | None:
    """The incident whose card the message's thread hangs off, or None. A Teams channel
    thread's conversation id is the channel's with `;messageid=...` appended."""
    if not message.thread or message.press is not None:
        return None
    async with store.transaction() as tx:
        rows = (
            await tx.exec(
                select(IncidentPost.incident_id, IncidentPost.conversation).where(
                    col(IncidentPost.platform) == message.platform,
                    col(IncidentPost.message_id) == message.thread,
                )
            )
        ).all()
    for incident_id, conversation in rows:
        if message.channel == conversation or message.channel.startswith(conversation + ";"):
            return incident_id
    return None


async def note(book: IncidentBook, incident_id: int, who: Principal, message: Message) -> str:
    """A reply in the thread, on the timeline under the person's directory name, with its
    audit entry in the same transaction; secrets are redacted before anything is stored."""
    shown = redact(texts.printable(message.text).strip())[:MAX_NOTE]
    key = f"note:{message.platform}:{message.event_id or uuid.uuid4().hex}"
    ref = incident_ref(incident_id)
    async with book.store.transaction() as tx:
        await book.record(tx, incident_id, EventKind.NOTE, who.name, shown, key)
        await audit.append(
            tx,
            audit.AuditRecord(
                actor=who.name,
                event="incident.note",
                platform=message.platform,
                channel=message.channel,
                outcome="noted",
                detail={"incident": ref, "text": shown[:500], "event_id": message.event_id},
            ),
        )
    return texts.thread_noted(ref)
