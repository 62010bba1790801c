"""Policy, change windows, freezes, rate limits, approvals, the catalog, API tokens."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from chatbot.config.base import DAYS, Day, Frozen, _zone


class PolicyRule(Frozen):
    """Overrides a skill's default requirement when its slots match `where`."""

    skill: str
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    requires: Literal["nothing", "confirm", "approval"] | None = None
    risk: Literal["none", "low", "medium", "high"] | None = None
    approvers: str = ""
    approvals: int = 1


class ChangeWindow(Frozen):
    """When matching actions may run: on `days`, from `start` to `end` local time in `timezone`.

    Once any window matches a skill and its slots, the action runs only inside one of the
    matching windows; outside, the denial names the next opening.
    """

    name: str
    skill: str
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    days: tuple[Day, ...] = DAYS[:5]
    start: time
    end: time
    timezone: str = "UTC"

    check_zone = field_validator("timezone")(_zone)

    @model_validator(mode="after")
    def _ordered(self) -> ChangeWindow:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        if not self.days:
            raise ValueError("days must name at least one day (mon ... sun)")
        return self


class Freeze(Frozen):
    """A period when matching actions never run (a release freeze), in `timezone` unless the
    times carry their own offset."""

    name: str
    skill: str = "*"
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    start: datetime
    end: datetime
    timezone: str = "UTC"

    check_zone = field_validator("timezone")(_zone)

    @model_validator(mode="after")
    def _ordered(self) -> Freeze:
        if self.end_at <= self.start_at:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self

    def _aware(self, when: datetime) -> datetime:
        return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(self.timezone))

    @property
    def start_at(self) -> datetime:
        return self._aware(self.start)

    @property
    def end_at(self) -> datetime:
        return self._aware(self.end)


class RateLimit(Frozen):
    """At most `max` matching requests per person per `per` (fixed buckets, counted in the
    database so every replica sees the same count)."""

    skill: str
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    max: int = Field(ge=1)
    per: Literal["minute", "hour", "day"] = "hour"


class ApprovalSettings(Frozen):
    """Where approval cards go: `channel` set -> one card there; empty -> a direct message to
    each approver. `ttl_seconds`: how long a request waits for approval before it expires."""

    channel: str = ""
    ttl_seconds: int = Field(default=3600, ge=1)


class Resource(Frozen):
    """An access resource. `max_duration` caps how long access.request may grant it
    (`30m`, `8h`, `2d`, `1w`; default 30 days), checked at request and again at grant."""

    owner_role: str = "admin"
    description: str = ""
    max_duration: str = Field(default="30d", pattern=r"^\s*[1-9]\d{0,5}\s*(m|min|h|d|w)\s*$")


class Catalog(Frozen):
    """The names understanding resolves to: services, environments (canonical -> aliases)..."""

    services: tuple[str, ...] = ()
    environments: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    resources: dict[str, Resource] = Field(default_factory=dict)

    def canonical_env(self, text: str) -> str | None:
        wanted = text.strip().lower()
        for env, aliases in self.environments.items():
            if wanted == env or wanted in aliases:
                return env
        return None


class ApiToken(Frozen):
    """An admin API token: only its SHA-256 is kept, and the person it acts as."""

    person: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class CheckpointSettings(Frozen):
    """Signed audit checkpoints (`chatbot.governance.checkpoint`): every `every_entries`
    entries and every `every_minutes` minutes the chain's head is signed with the Ed25519 key
    in `key_file` (made on first use when absent; keep it out of the database, e.g. a mounted
    secret) and appended to each sink: `file` (the JSON-lines file `file`, default
    DATA_DIR/audit-checkpoints.jsonl; `audit verify` reads it), `syslog` (`syslog_address`,
    host:port or a socket path) and `http` (POSTed as JSON to `http_url`)."""

    enabled: bool = True
    key_file: Path | None = None
    every_entries: int = Field(default=1000, ge=1)
    every_minutes: float = Field(default=5.0, gt=0)
    sinks: tuple[Literal["file", "syslog", "http"], ...] = ("file",)
    file: Path | None = None
    syslog_address: str = "/dev/log"
    http_url: str = ""
