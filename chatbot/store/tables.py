"""The tables. Every change to them comes with an Alembic migration in migrations/versions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel

from chatbot.store.redacted import RedactedJSON, RedactedText


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps go in and come out as aware UTC, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use chatbot.types.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = _when(nullable=False)
    actor: str
    platform: str
    channel: str
    event: str = Field(index=True)
    skill: str | None = None
    action_id: int | None = Field(default=None, index=True)
    outcome: str = ""
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    prev_hash: str
    hash: str


class AuditHead(SQLModel, table=True):
    """One row: the last sequence number and hash. Appends lock it, so the chain never forks."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = ""


class Action(SQLModel, table=True):
    """A requested action and where it is in its state machine."""

    __tablename__ = "actions"

    id: int | None = Field(default=None, primary_key=True)
    requester: str = Field(index=True)
    skill: str
    slots: str = Field(default="{}", sa_column=Column(RedactedJSON, nullable=False))
    state: str = Field(index=True)
    risk: str = "none"
    rule: str = ""
    approvers_role: str | None = None
    approvals_needed: int = 0
    platform: str
    channel: str
    thread: str | None = None
    result: str = Field(default="", sa_column=Column(RedactedText, nullable=False))
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)
    expires_at: datetime | None = _when(nullable=True)
    # Who runs it ("host:pid") and until when that runner is known alive; a `running` action
    # whose lease lapsed (or whose process is gone) is `interrupted`, never re-run.
    runner: str | None = None
    lease_until: datetime | None = _when(nullable=True)


class ApprovalVote(SQLModel, table=True):
    __tablename__ = "approval_votes"
    __table_args__ = (UniqueConstraint("action_id", "approver"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(index=True)
    approver: str
    decision: str
    at: datetime = _when(nullable=False)


class Conversation(SQLModel, table=True):
    """What the assistant is waiting for from one person in one place."""

    __tablename__ = "conversations"

    key: str = Field(primary_key=True)
    skill: str = ""
    slots: str = Field(default="{}", sa_column=Column(RedactedJSON, nullable=False))
    awaiting: str = ""
    action_id: int | None = None
    choices: str = Field(default="[]", sa_column=Column(RedactedJSON, nullable=False))
    expires_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class KVItem(SQLModel, table=True):
    __tablename__ = "kv_items"

    namespace: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(RedactedJSON, nullable=False))
    updated_at: datetime = _when(nullable=False)


class ProcessedEvent(SQLModel, table=True):
    """Platform event ids already handled: a redelivered event is dropped."""

    __tablename__ = "processed_events"

    platform: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True)
    at: datetime = _when(nullable=False)


class SkillVersion(SQLModel, table=True):
    """Every manifest ever added, kept so any earlier version can be restored."""

    __tablename__ = "skill_versions"

    name: str = Field(primary_key=True)
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    format: str
    source: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str
    created_by: str
    created_at: datetime = _when(nullable=False)
    # The hosts this version may call that the settings of whoever added it allowed
    # (space-separated): the change carries them, so a replica whose settings file predates
    # the change runs it anyway (migration 0006_skills).
    hosts: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class SkillState(SQLModel, table=True):
    """Per skill name: which manifest version runs (None: not a manifest, or removed) and
    whether it is enabled. Built-in and packaged skills get a row when first disabled."""

    __tablename__ = "skill_states"

    name: str = Field(primary_key=True)
    kind: str
    version: int | None = None
    enabled: bool = True
    updated_by: str
    updated_at: datetime = _when(nullable=False)


class SkillRegistryHead(SQLModel, table=True):
    """One row: bumped on every registry change; replicas poll it and reload when it moves."""

    __tablename__ = "skill_registry_head"

    id: int = Field(default=1, primary_key=True)
    version: int = 0


class SkillReplica(SQLModel, table=True):
    """Per running server: which registry version it loaded, when it last looked, what it
    runs (JSON {name: manifest version, 0 for code}) and what it skipped and why (JSON
    {name: reason}), so `skills list` shows where replicas disagree."""

    __tablename__ = "skill_replicas"

    replica: str = Field(primary_key=True)
    registry_version: int = 0
    loaded: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # {name: version}
    skipped: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    restart_needed: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    loaded_at: datetime = _when(nullable=False)
    seen_at: datetime = _when(nullable=False)


class SkillDraft(SQLModel, table=True):
    """A manifest an admin sent in chat, checked and waiting for their Add button: kept
    verbatim here (action slots are redacted, a manifest must not be), named by its sha256."""

    __tablename__ = "skill_drafts"

    sha256: str = Field(primary_key=True)
    name: str
    file: str
    source: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str
    created_at: datetime = _when(nullable=False)


class RateCount(SQLModel, table=True):
    """Requests one person made under one rate-limit rule in one fixed time bucket."""

    __tablename__ = "rate_counts"

    person: str = Field(primary_key=True)
    rule: str = Field(primary_key=True)
    bucket: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    count: int = 0


class Notification(SQLModel, table=True):
    """The outbox: things to tell people that no live conversation is waiting for (an approval
    expired, an action was interrupted by a restart). Adapters deliver and mark them."""

    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    recipient: str | None = Field(default=None, index=True)
    channel: str | None = None
    action_id: int | None = Field(default=None, index=True)
    kind: str = "info"
    text: str = Field(sa_column=Column(RedactedText, nullable=False))
    created_at: datetime = _when(nullable=False)
    delivered_at: datetime | None = _when(nullable=True)
    # The card's buttons as JSON [[label, value, style], ...] (an incident's Acknowledge...).
    buttons: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))


# -- conversation (issue 11): timed actions --------------------------------------------------


class ScheduledAction(SQLModel, table=True):
    """An action to start at a time the person named ("restart search at 8pm"): confirmed
    (and approved) now, started at `run_at` through the same checks as any start. Its governed
    action waits in the `scheduled` state; this row says when, in which zone, as typed."""

    __tablename__ = "scheduled_actions"

    action_id: int = Field(primary_key=True)
    requester: str = Field(index=True)
    run_at: datetime = _when(nullable=False)
    zone: str = "UTC"
    said: str = ""
    state: str = Field(default="pending", index=True)  # pending|scheduled|started|cancelled|denied
    created_at: datetime = _when(nullable=False)


# -- identity: the directory (people, groups, memberships) and chat identity links ------------


class DirectoryPerson(SQLModel, table=True):
    """One person of the directory, from the TOML seed or SCIM. `name` is the handle the rest
    of the system records (requester, approver, audit actor); `version` is the directory head
    at the last change, so replicas load only what moved. A deleted person keeps the row
    (`deleted`, `user_name` NULL) so past actions still name them."""

    __tablename__ = "directory_people"

    id: str = Field(primary_key=True)
    name: str = Field(index=True)
    user_name: str | None = Field(default=None, unique=True)
    email: str = Field(default="", index=True)
    external_id: str | None = Field(default=None, index=True)
    display_name: str = ""
    active: bool = True
    deleted: bool = False
    manager_id: str | None = None
    tz: str = ""
    department: str = ""
    # The first day (SCIM extension chatops startDate): their onboarding starts on it.
    start_date: date | None = None
    roles: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    source: str = "scim"
    version: int = Field(default=0, index=True)
    resource: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class DirectoryGroup(SQLModel, table=True):
    __tablename__ = "directory_groups"

    id: str = Field(primary_key=True)
    display_name: str = Field(index=True)
    external_id: str | None = Field(default=None, index=True)
    deleted: bool = False
    source: str = "scim"
    version: int = Field(default=0, index=True)
    resource: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class DirectoryMember(SQLModel, table=True):
    __tablename__ = "directory_members"

    group_id: str = Field(primary_key=True)
    person_id: str = Field(primary_key=True, index=True)


class DirectoryHead(SQLModel, table=True):
    """One row: bumped on every directory change; replicas poll it and load what moved."""

    __tablename__ = "directory_head"

    id: int = Field(default=1, primary_key=True)
    version: int = 0


class ChatLink(SQLModel, table=True):
    """A chat user (Slack user in a workspace, Teams user in a tenant) linked once to a person
    by verified email; later messages resolve by the link, whatever the display name."""

    __tablename__ = "chat_links"

    platform: str = Field(primary_key=True)
    tenant: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    person_id: str = Field(index=True)
    created_at: datetime = _when(nullable=False)


# -- joiners, movers, leavers and access reviews (chatbot/jml) ----------------------------


class JmlGrant(SQLModel, table=True):
    """One bundle item for one person: asked for (`pending`, with the onboarding action that
    will grant it), `granted`, `failed` (the back end's words in `detail`), `proposed` for
    removal (a mover's old bundle: its review item), or `removed`."""

    __tablename__ = "jml_grants"

    id: int | None = Field(default=None, primary_key=True)
    person: str = Field(index=True)
    bundle: str
    resource: str = Field(index=True)
    backend: str
    grant: str
    state: str = Field(index=True)
    action_id: int | None = Field(default=None, index=True)
    detail: str = ""
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)


class ReviewCampaign(SQLModel, table=True):
    """An access review: `kind` "review" (every grant of a resource, to its owners) or
    "mover" (what only a mover's old bundles gave, to their new manager)."""

    __tablename__ = "review_campaigns"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = "review"
    resource: str = Field(index=True)
    started_by: str
    reviewers: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    state: str = Field(index=True)
    started_at: datetime = _when(nullable=False)
    closed_at: datetime | None = _when(nullable=True)


class ReviewItem(SQLModel, table=True):
    """One grant under review: keep or revoke, who decided and when, what the removal did."""

    __tablename__ = "review_items"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(index=True)
    person: str
    resource: str
    source: str  # "request" (access.request, its kv key in `ref`) or "bundle" (a jml grant id)
    ref: str
    decision: str = Field(index=True)  # pending, keep, revoke
    decided_by: str = ""
    decided_at: datetime | None = _when(nullable=True)
    reminded_at: datetime | None = _when(nullable=True)
    escalated_to: str = ""
    outcome: str = ""
    # The access.revoke request a "revoke" became (None: kept, refused before it was made,
    # or a mover's proposal): its state is the revoke's outcome in the export.
    revoke_action_id: int | None = Field(default=None, index=True)


class ChatChannel(SQLModel, table=True):
    """A chat channel's name as the platform last gave it (Slack conversations.info), and
    the name a channel grant was written with when it was resolved to this id (`pinned_as`):
    the grant stays with the channel, by id, when the channel is renamed."""

    __tablename__ = "chat_channels"

    platform: str = Field(primary_key=True)
    channel_id: str = Field(primary_key=True)
    name: str = Field(index=True)
    pinned_as: str | None = Field(default=None, index=True)
    updated_at: datetime = _when(nullable=False)


# -- the web chat (issue 16): each person's conversation, and thumbs up/down ----------------


class WebEntry(SQLModel, table=True):
    """One step of a person's web conversation, append-only: `change` "new" adds the entry
    `ref`, "update" replaces what it shows (a card after a decision). The id orders everything
    a person's screen must apply, so a stream resumes from the last id it sent."""

    __tablename__ = "web_entries"

    id: int | None = Field(default=None, primary_key=True)
    person: str = Field(index=True)
    ref: str = Field(index=True)
    change: str = "new"
    speaker: str = "assistant"
    kind: str = "info"
    text: str = Field(default="", sa_column=Column(RedactedText, nullable=False))
    buttons: str = Field(default="[]", sa_column=Column(RedactedJSON, nullable=False))
    action_id: int | None = Field(default=None, index=True)
    skill: str | None = None
    card: str = Field(default="{}", sa_column=Column(RedactedJSON, nullable=False))
    at: datetime = _when(nullable=False)


class FeedbackVote(SQLModel, table=True):
    """A person's thumbs up or down on one answer; a second vote replaces the first."""

    __tablename__ = "feedback_votes"

    person: str = Field(primary_key=True)
    reply_id: str = Field(primary_key=True)
    verdict: str
    skill: str | None = None
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
