"""The manifest's shape. Field names are the manifest's keys; errors name them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chatbot.config import Bundle
from skills.api import Requirement, Risk, SlotType

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one manifest may hold (README, "Manifest limits"). A skill needs a handful of
    each; the caps keep a hostile manifest from costing the server memory or CPU."""

    bytes: int = 64 * 1024
    depth: int = 12
    keywords: int = 100
    keyword_chars: int = 60
    examples: int = 200
    patterns: int = 50
    slots: int = 20
    steps: int = 20
    fields: int = 30  # query parameters, headers
    bundles: int = 20  # access bundles (the same shape as [bundles.NAME] in the settings)


LIMITS = Limits()


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SlotModel(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    type: SlotType = SlotType.TEXT
    required: bool = True
    default: str | None = None
    prompt: str = Field(default="", max_length=200)


class StepModel(_Strict):
    """One HTTP request: to `url` (an allowed host), or to `path` on a configured connector."""

    name: str = Field(default="action", pattern=r"^[a-z][a-z0-9_]*$")
    connector: str | None = None
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str | None = None
    path: str | None = None
    query: dict[str, str] = Field(default_factory=dict, max_length=LIMITS.fields)
    headers: dict[str, str] = Field(default_factory=dict, max_length=LIMITS.fields)
    body: Any = None
    expect: tuple[int, ...] = ()

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _target(self) -> StepModel:
        if self.connector is None and not self.url:
            raise ValueError("give url (plain HTTP) or connector and path")
        if self.connector is not None and not self.path:
            raise ValueError("a connector step needs path")
        if self.connector is not None and self.url:
            raise ValueError("give url or connector, not both")
        return self


class ManifestModel(_Strict):
    name: str = Field(max_length=60)
    description: str = Field(min_length=1, max_length=300)
    # What people read: the skill's name in lists and buttons, and the question asked before
    # it runs, with slot names in braces ("Flush the cache of {service}?").
    title: str = Field(default="", max_length=80)
    confirmation: str = Field(default="", max_length=300)
    examples: tuple[str, ...] = Field(min_length=1, max_length=LIMITS.examples)
    keywords: tuple[str, ...] = Field(default=(), max_length=LIMITS.keywords)
    patterns: tuple[tuple[dict[str, Any], ...], ...] = Field(default=(), max_length=LIMITS.patterns)
    slots: tuple[SlotModel, ...] = Field(default=(), max_length=LIMITS.slots)
    permission: str = ""
    risk: Risk = Risk.LOW
    side_effect: bool = True
    requires: Requirement = Requirement.CONFIRM
    action: StepModel | None = None
    steps: tuple[StepModel, ...] = Field(default=(), max_length=LIMITS.steps)
    rollback: StepModel | None = None
    reply: str = Field(default="Done.", max_length=1000)
    secrets: tuple[str, ...] = ()
    # Access bundles that come with the skill (joiners, movers and leavers: chatbot/jml),
    # merged with the settings' own; the settings win on a name both declare.
    bundles: dict[str, Bundle] = Field(default_factory=dict, max_length=LIMITS.bundles)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError("use lower-case words joined by dots, e.g. weather.report")
        return value

    @field_validator("examples")
    @classmethod
    def _examples(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for example in value:
            if not example.strip() or len(example) > 200:
                raise ValueError("each example is 1 to 200 characters")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for keyword in value:
            if not keyword.strip() or len(keyword) > LIMITS.keyword_chars:
                raise ValueError(f"each keyword is 1 to {LIMITS.keyword_chars} characters")
        return value

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, value: tuple[tuple[dict[str, Any], ...], ...]) -> tuple[Any, ...]:
        """spaCy Matcher token patterns; spaCy's own complaint, in one line, when refused."""
        from intents.rules import pattern_problem  # spaCy loads only when patterns are given

        for i, pattern in enumerate(value):
            problem = pattern_problem(pattern)
            if problem is not None:
                raise ValueError(f"pattern {i}: {problem}")
        return value

    @model_validator(mode="after")
    def _one_action(self) -> ManifestModel:
        if (self.action is None) == (not self.steps):
            raise ValueError("give either action (one request) or steps (a sequence)")
        if self.rollback is not None and not self.steps:
            raise ValueError("rollback belongs to steps")
        return self

    def all_steps(self) -> tuple[StepModel, ...]:
        return (self.action,) if self.action is not None else self.steps
