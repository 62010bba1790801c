"""The skill API: what a skill declares, and what it is given when it runs.

A skill declares its slots, risk and permission; the pipeline enforces them in one place, so a
skill never checks permissions or policy itself and a new skill cannot forget to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from chatbot.types import Outcome, Principal

if TYPE_CHECKING:  # an annotation only: listings that read specs never import httpx
    import httpx


class Risk(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Requirement(StrEnum):
    """What the default policy asks for before a skill runs."""

    NOTHING = "nothing"
    CONFIRM = "confirm"
    APPROVAL = "approval"


class SlotType(StrEnum):
    """Slot types; those with a catalog get buttons when asked for and are validated."""

    PERSON = "person"
    SERVICE = "service"
    ENV = "env"
    RESOURCE = "resource"
    VERSION = "version"
    DURATION = "duration"
    TICKET = "ticket"
    CHANGE = "change"
    PRIORITY = "priority"
    DATE = "date"  # ISO 8601: a date, or a UTC datetime when a time was given
    TEXT = "text"
    INCIDENT = "incident"  # an alert-desk incident, INC-12


@dataclass(frozen=True, slots=True)
class SlotSpec:
    name: str
    type: SlotType
    required: bool = True
    default: str | None = None
    prompt: str = ""

    def question(self) -> str:
        return self.prompt or f"Which {self.name}?"


@dataclass(frozen=True, slots=True)
class SkillSpec:
    """Everything the pipeline needs to know about a skill before running it.

    `examples` train the language model; `keywords` feed typo correction. `namespace` names the
    skill's key-value store (skills of one family, such as deploy and deploy.rollback, share it).
    `patterns` are spaCy Matcher token patterns (`[{"LOWER": "bounce"}, {"ENT_TYPE":
    "SERVICE"}]`): an exact phrasing the author knows, which counts like a keyword and raises
    the skill's score. Left out of the hash (their token tables are dicts); equality keeps them.

    `title` is what people read for the skill ("Restart a service"), in "Did you mean"
    buttons and lists; `confirmation` is the question asked before it runs, with slot names
    in braces ("Restart {service} in {env}?"; `{your}` reads "your" or "bob's", `{user}`
    "you" or "bob"). Skill ids never reach an employee; without these, the description does.
    """

    name: str
    description: str
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    slots: tuple[SlotSpec, ...] = ()
    side_effect: bool = True
    risk: Risk = Risk.LOW
    permission: str = ""
    requires: Requirement = Requirement.CONFIRM
    namespace: str = ""
    patterns: tuple[tuple[Mapping[str, object], ...], ...] = field(default=(), hash=False)
    title: str = ""
    confirmation: str = ""

    def __post_init__(self) -> None:
        if not self.permission:
            object.__setattr__(self, "permission", self.name)
        if not self.namespace:
            object.__setattr__(self, "namespace", self.name.split(".")[0])

    def slot(self, name: str) -> SlotSpec | None:
        return next((slot for slot in self.slots if slot.name == name), None)

    def missing(self, values: Mapping[str, str]) -> list[SlotSpec]:
        return [s for s in self.slots if s.required and s.default is None and s.name not in values]


class KeyValue(Protocol):
    """A small persistent store namespaced to one skill family."""

    async def get(self, key: str, default: Any = None) -> Any: ...

    async def put(self, key: str, value: Any) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def items(self, prefix: str = "") -> dict[str, Any]: ...


class Progress(Protocol):
    """Reports progress of a long action ("step 2 of 4: waiting for rollout")."""

    async def __call__(self, text: str) -> None: ...


async def no_progress(text: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class SkillContext:
    """What a running skill is given: the person, canonical slots, and its own resources."""

    principal: Principal
    slots: Mapping[str, str]
    kv: KeyValue
    http: httpx.AsyncClient
    secrets: Mapping[str, str] = field(default_factory=dict)
    progress: Progress = no_progress
    action_id: int | None = None
    allowed: tuple[SkillSpec, ...] = ()
    roles: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        """The person a self-service skill acts on: the `user` slot, else the requester."""
        return self.slots.get("user") or self.principal.name


class SkillError(Exception):
    """A failure meant for the person: what went wrong and what to do (not a bug)."""


@runtime_checkable
class Skill(Protocol):
    spec: SkillSpec

    async def preview(self, ctx: SkillContext) -> Outcome: ...

    async def run(self, ctx: SkillContext) -> Outcome: ...
