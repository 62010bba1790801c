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


class ButtonVerb(StrEnum):
    """What a button does. The first five name a persisted action by its id; `slot` and
    `pick` answer the open question with a value or a skill name."""

    CONFIRM = "confirm"
    CANCEL = "cancel"
    PREVIEW = "preview"
    APPROVE = "approve"
    REJECT = "reject"
    SLOT = "slot"
    PICK = "pick"
    UNSCHEDULE = "unschedule"  # cancel a timed action before its start (its action id)
    OFFER = "offer"  # take one of the offers made for an IT problem no skill fits
    INCIDENT_ACK = "incident-ack"  # an incident's id
    INCIDENT_RESOLVE = "incident-resolve"  # an incident's id
    REMEDY = "remedy"  # "12.0": incident 12, its first remediation
    ROLLBACK = "rollback"  # a deploy's action id whose health gate failed: roll it back
    REVIEW_KEEP = "review-keep"  # an access review item's id: the grant stays
    REVIEW_REVOKE = "review-revoke"  # an access review item's id: the grant is removed
    ONBOARD_RETRY = "onboard-retry"  # a failed onboarding's action id: run the steps left
    ONBOARD_UNDO = "onboard-undo"  # a failed onboarding's action id: take back what it granted


ACTION_VERBS = frozenset(
    {
        ButtonVerb.CONFIRM,
        ButtonVerb.CANCEL,
        ButtonVerb.PREVIEW,
        ButtonVerb.APPROVE,
        ButtonVerb.REJECT,
    }
)
ID_VERBS = ACTION_VERBS | {
    ButtonVerb.UNSCHEDULE,
    ButtonVerb.INCIDENT_ACK,
    ButtonVerb.INCIDENT_RESOLVE,
    ButtonVerb.ROLLBACK,
    ButtonVerb.REVIEW_KEEP,
    ButtonVerb.REVIEW_REVOKE,
    ButtonVerb.ONBOARD_RETRY,
    ButtonVerb.ONBOARD_UNDO,
}
# Action ids are 64-bit signed integers in every database we run on; larger ones name nothing.
MAX_ACTION_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ButtonValue:
    """A button's value, built and read in this one place ("approve:12", "slot:prod").

    A click comes back from a platform as text anyone can forge, so `parse` accepts only what
    `__str__` could have produced: a known verb, and for action verbs an id of ASCII digits
    in the range a database holds ("approve:²", "approve:-1" and a 70-bit id are not).
    """

    verb: ButtonVerb
    arg: str

    @classmethod
    def action(cls, verb: ButtonVerb, action_id: int) -> ButtonValue:
        return cls(verb, str(action_id))

    @classmethod
    def parse(cls, value: str) -> ButtonValue | None:
        """The value, or None when it is not one a reply of ours could have offered."""
        name, sep, arg = value.partition(":")
        if not sep or name not in ButtonVerb.__members__.values():
            return None
        verb = ButtonVerb(name)
        if verb in ID_VERBS:
            digits = arg.isascii() and arg.isdigit() and len(arg) <= 19 and arg[0] != "0"
            if not digits or int(arg) > MAX_ACTION_ID:
                return None
        return cls(verb, arg)

    @property
    def action_id(self) -> int | None:
        """The action a decision button names; None for `slot` and `pick`."""
        return int(self.arg) if self.verb in ACTION_VERBS else None

    def __str__(self) -> str:
        return f"{self.verb}:{self.arg}"


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A click on a button that a `Reply` offered; `value` is the button's value as the
    platform sent it back (untrusted text), `parsed` what it means, if anything."""

    value: str

    @property
    def parsed(self) -> ButtonValue | None:
        return ButtonValue.parse(self.value)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A text file sent with a message (a web chat upload, a Slack file share, a Teams
    attachment), already fetched by the adapter: its name and its text."""

    name: str
    text: str


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
    # Said in a thread without addressing the assistant (a reply under an incident's card
    # in a channel): it may become a timeline note, and never starts anything but the
    # incident thread's own short commands.
    ambient: bool = False
    attachments: tuple[Attachment, ...] = ()

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
    # The skill whose answer this is, when it answered directly (kb.search's articles), so
    # a chat can ask "Was this helpful?" and count the answer for the right skill.
    skill: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a skill's run or preview did."""

    ok: bool
    summary: str
    details: Mapping[str, str] = field(default_factory=_frozen_map)  # type: ignore[arg-type]
    sandbox: bool = False
