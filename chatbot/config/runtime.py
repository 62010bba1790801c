"""Limits, skills, understanding, conversation, jobs and logging."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    field_validator,
)

from chatbot.config.base import Frozen, _zone


class Limits(Frozen):
    max_message_chars: int = Field(default=4000, ge=1)
    question_ttl_seconds: int = Field(default=900, ge=1)
    confirmation_ttl_seconds: int = Field(default=900, ge=1)
    run_lease_seconds: int = Field(default=60, ge=1)


class SkillSettings(Frozen):
    """The skill registry: where manifests may send requests, and how often replicas look for
    changes (registry version) and for access grants that are due to be revoked."""

    allowed_hosts: tuple[str, ...] = ()
    reload_seconds: float = Field(default=2.0, gt=0)
    revoke_seconds: float = Field(default=30.0, gt=0)
    entry_points: bool = True


class UnderstandingSettings(Frozen):
    """`model`: an installed trained spaCy pipeline (package name or path) whose entities
    understanding may add; empty (the default) runs on rules and our own classifier alone."""

    model: str = ""


class ConversationSettings(Frozen):
    """`timezone`: the zone people's times are read in ("at 8pm") when the directory gives a
    person none (a per-person `tz` wins)."""

    timezone: str = "UTC"

    check_zone = field_validator("timezone")(_zone)


class JobSettings(Frozen):
    """Where background jobs (actions, expiry, revocation, checkpoints, the sweep) run.

    `embedded`: in the serving process, on APScheduler (SQLite, one process). `procrastinate`:
    in PostgreSQL's job queue; `chatops worker` runs them and `chatops serve` only enqueues,
    so any number of web replicas and workers share the work and each job runs once.
    """

    engine: Literal["embedded", "procrastinate"] = "embedded"
    queue: str = Field(default="chatops", pattern=r"^[a-z][a-z0-9_-]{0,62}$")
    concurrency: int = Field(default=4, ge=1, le=64)
    sweep_seconds: int = Field(default=10, ge=1)


# -- observability (ops-core): logging ---------------------------------------------------

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(level: str) -> str:
    name = level.strip().upper()
    if name not in _LEVELS:
        raise ValueError(f"{level!r} is not a log level; use one of {', '.join(_LEVELS)}")
    return name


class LoggingSettings(Frozen):
    """`[logging]`: level (overrides `log_level` / CHATOPS_LOG_LEVEL when set) and format:
    "text" for a terminal, "json" for one JSON object per line."""

    level: str | None = None
    format: Literal["text", "json"] = "text"

    @field_validator("level")
    @classmethod
    def _known_level(cls, level: str | None) -> str | None:
        return None if level is None else _log_level(level)
