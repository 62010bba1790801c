"""The contracts between pipeline stages.

Every stage takes and returns these frozen values, so a stage can be read, tested and replaced
on its own, and no stage can quietly change what an earlier stage saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType


def utcnow() -> datetime:
    return datetime.now(UTC)


def _frozen_map(values: Mapping[str, object] | None = None) -> Mapping[str, object]:
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A click on a button that a `Reply` offered; `value` is the button's value."""

    value: str


@dataclass(frozen=True, slots=True)
class Message:
    """One platform-neutral message: what an adapter hands to `Assistant.handle`.

    `user_id` is the platform's id for the sender (the person's name on local platforms);
    `email` is set when the platform told the adapter who it is. A button click arrives as a
    message with `press` set and `text` empty.
    """

    platform: str
    user_id: str
    text: str = ""
    channel: str = "direct"
    thread: str | None = None
    event_id: str | None = None
    email: str | None = None
    press: ButtonPress | None = None
    received_at: datetime = field(default_factory=utcnow)
    # The Slack workspace (team id) or Teams tenant the sender belongs to; chat identity
    # links are kept per tenant.
    tenant: str = ""

    @property
    def where(self) -> str:
        return f"{self.platform}:{self.channel}"


@dataclass(frozen=True, slots=True)
class Principal:
    """The person behind a message, with the roles the directory gives them."""

    name: str
    email: str
    display_name: str
    roles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    guest: bool = False
    # From the directory: the manager's name, the IANA time zone for every time said to or
    # read from this person, where each role came from ((role, source), ...), and whether the
    # person is active (a deactivated person is a guest who is told so).
    manager: str | None = None
    tz: str = "UTC"
    role_sources: tuple[tuple[str, str], ...] = ()
    active: bool = True


class ReplyIntent(StrEnum):
    """How a person answered a pending question."""

    YES = "yes"
    NO = "no"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Slot:
    """One slot value: canonical `value`, and the part of the text that gave it."""

    name: str
    value: str
    text: str = ""
    start: int = -1
    end: int = -1
    corrected: bool = False


@dataclass(frozen=True, slots=True)
class Candidate:
    skill: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Interpretation:
    """What the understanding stage made of a text.

    `skill` is None when nothing applies (out of scope, negated, a question about an action);
    `declined` then says why. `alternatives` are the next-best candidates, best first.
    """

    text: str
    skill: str | None
    confidence: float
    slots: Mapping[str, Slot] = field(default_factory=_frozen_map)  # type: ignore[arg-type]
    alternatives: tuple[Candidate, ...] = ()
    reply: ReplyIntent | None = None
    dry_run: bool = False
    ambiguous: bool = False
    declined: str | None = None

    def slot_values(self) -> dict[str, str]:
        return {name: slot.value for name, slot in self.slots.items()}


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    CONFIRM = "confirm"
    APPROVE = "approve"


@dataclass(frozen=True, slots=True)
class Decision:
    """The authorization stage's answer, with the rule that gave it (audited)."""

    verdict: Verdict
    rule: str
    reason: str = ""
    risk: str = "none"
    approvers_role: str | None = None
    approvals_needed: int = 0


class ButtonStyle(StrEnum):
    PRIMARY = "primary"
    DANGER = "danger"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    value: str
    style: ButtonStyle = ButtonStyle.DEFAULT


class ReplyKind(StrEnum):
    INFO = "info"
    QUESTION = "question"
    CONFIRM = "confirm"
    APPROVAL = "approval"
    PROGRESS = "progress"
    RESULT = "result"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Reply:
    """One thing to say. Adapters render it (Block Kit, Adaptive Card, HTML, plain text).

    `to` names a person other than the requester (an approver, by direct message); `channel`
    names a channel to post in instead (the configured approvals channel); both None means the
    conversation the message came from. `action_id` ties the reply to a persisted action.

    `updates` set to an action id means "replace the approval card you posted for this action
    (to the same `to` or `channel`) with this one" rather than posting a new message: after a
    decision the card shows who decided and when, with no buttons left. Adapters keep the
    (action id, recipient) -> platform message id mapping; one that cannot edit posts anew.
    """

    text: str
    kind: ReplyKind = ReplyKind.INFO
    buttons: tuple[Button, ...] = ()
    action_id: int | None = None
    to: str | None = None
    private: bool = False
    channel: str | None = None
    updates: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a skill's run or preview did."""

    ok: bool
    summary: str
    details: Mapping[str, str] = field(default_factory=_frozen_map)  # type: ignore[arg-type]
    sandbox: bool = False
