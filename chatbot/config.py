"""Settings: one TOML file plus `CHATOPS_...` environment overrides, loaded once, passed in.

The shipped defaults (`defaults/demo.toml`) hold the demo directory, so the assistant runs with
no file at all. A config file's top-level sections replace the defaults' sections whole, so a
production directory never inherits demo people. Every error names the file, the key and what
was expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import datetime, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from chatbot.errors import ConfigError


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Person(Frozen):
    email: str
    display_name: str = ""
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


class Grant(Frozen):
    """A permission on skills matching `skill` (a glob), narrowed by slot values and target."""

    skill: str
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    target: Literal["self", "any"] = "any"


class Role(Frozen):
    description: str = ""
    grants: tuple[Grant, ...] = ()
    includes: tuple[str, ...] = ()


class Group(Frozen):
    roles: tuple[str, ...] = ()


class PolicyRule(Frozen):
    """Overrides a skill's default requirement when its slots match `where`."""

    skill: str
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    requires: Literal["nothing", "confirm", "approval"] | None = None
    risk: Literal["none", "low", "medium", "high"] | None = None
    approvers: str = ""
    approvals: int = 1


def _zone(cls: type, name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name like Europe/Berlin"
        ) from None
    return name


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ChangeWindow(Frozen):
    """When matching actions may run: on `days`, from `start` to `end` local time in `timezone`.

    Once any window matches a skill and its slots, the action runs only inside one of the
    matching windows; outside, the denial names the next opening.
    """

    name: str
    skill: str
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = DAYS[:5]
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


class ServerSettings(Frozen):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class WebSettings(Frozen):
    """`none`: the demo person picker, loopback only. `proxy`: an authenticating proxy in
    front sets `user_header` to the person's email; `shared_secret`, when set, must arrive in
    `X-Chatops-Proxy-Secret` so the port cannot be used around the proxy."""

    auth: Literal["none", "proxy"] = "none"
    user_header: str = "X-Forwarded-Email"
    shared_secret: str = ""


class SlackSettings(Frozen):
    """The Slack app. The credentials keep Slack's own variable names (SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET, SLACK_APP_TOKEN) and CHATOPS_SLACK_API_URL, because those are what
    Slack's docs and every deployment tool already use; the rest is CHATOPS_SLACK__KEY."""

    bot_token: SecretStr = SecretStr("")
    signing_secret: SecretStr = SecretStr("")
    app_token: SecretStr = SecretStr("")
    api_url: str = "https://slack.com/api/"
    slash_command: str = "/ops"
    approvals_channel: str = ""

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token.get_secret_value())

    @property
    def configured(self) -> bool:
        token = bool(self.bot_token.get_secret_value())
        return token and (self.socket_mode or bool(self.signing_secret.get_secret_value()))


class TeamsSettings(Frozen):
    """The Bot Framework registration (MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppType,
    MicrosoftAppTenantId). Without an app id every request is refused, unless
    CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED=1 opens the endpoint for a local emulator."""

    app_id: str = ""
    app_password: SecretStr = SecretStr("")
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    allow_unauthenticated: bool = False
    # A channel's id ("19:...@thread.tacv2") to post approval cards in instead of each
    # approver's personal chat; the bot must have been mentioned there once.
    approvals_channel: str = ""


# Platform variables whose names are fixed by the platforms' own conventions.
PLATFORM_ENV: dict[str, tuple[str, str]] = {
    "SLACK_BOT_TOKEN": ("slack", "bot_token"),
    "SLACK_SIGNING_SECRET": ("slack", "signing_secret"),
    "SLACK_APP_TOKEN": ("slack", "app_token"),
    "CHATOPS_SLACK_API_URL": ("slack", "api_url"),
    "MicrosoftAppId": ("teams", "app_id"),
    "MicrosoftAppPassword": ("teams", "app_password"),
    "MicrosoftAppType": ("teams", "app_type"),
    "MicrosoftAppTenantId": ("teams", "app_tenant_id"),
    "CHATOPS_TEAMS_ALLOW_UNAUTHENTICATED": ("teams", "allow_unauthenticated"),
}


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


class Settings(BaseSettings):
    """All configuration. Nested keys are overridable as `CHATOPS_SECTION__KEY`."""

    model_config = SettingsConfigDict(
        env_prefix="CHATOPS_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    data_dir: Path = Path(".chatops")
    database_url: str = ""
    log_level: str = "INFO"
    server: ServerSettings = ServerSettings()
    web: WebSettings = WebSettings()
    limits: Limits = Limits()
    slack: SlackSettings = SlackSettings()
    teams: TeamsSettings = TeamsSettings()
    catalog: Catalog = Catalog()
    people: dict[str, Person] = Field(default_factory=dict)
    groups: dict[str, Group] = Field(default_factory=dict)
    roles: dict[str, Role] = Field(default_factory=dict)
    policy: tuple[PolicyRule, ...] = ()
    skills: SkillSettings = SkillSettings()
    backends: dict[str, str] = Field(default_factory=dict)
    connectors: dict[str, dict[str, Any]] = Field(default_factory=dict)
    secrets_file: Path | None = None
    api_tokens: dict[str, ApiToken] = Field(default_factory=dict)
    windows: tuple[ChangeWindow, ...] = ()
    freezes: tuple[Freeze, ...] = ()
    rate_limits: tuple[RateLimit, ...] = ()
    approvals: ApprovalSettings = ApprovalSettings()
    understanding: UnderstandingSettings = UnderstandingSettings()
    audit_checkpoints: CheckpointSettings = CheckpointSettings()

    @field_validator("people")
    @classmethod
    def _lower_names(cls, people: dict[str, Person]) -> dict[str, Person]:
        return {name.lower(): person for name, person in people.items()}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return env_settings, init_settings

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'chatops.db'}"


def _read_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "", f"not valid TOML ({exc})") from None


def _defaults() -> dict[str, Any]:
    text = Path(__file__).with_name("defaults").joinpath("demo.toml").read_text("utf-8")
    return _read_toml(text, "built-in defaults")


def _describe(error: Mapping[str, Any]) -> tuple[str, str]:
    key = ".".join(str(part) for part in error["loc"])
    got = error.get("input")
    shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
    if error["type"] == "extra_forbidden":
        return key, "unknown key; check its spelling against the documented settings"
    return key, f"{error['msg'].lower()}{shown}"


def _platform_env(values: dict[str, Any], env: Mapping[str, str]) -> None:
    """Fold the platforms' fixed variable names into their sections (over the file)."""
    for name, (section, key) in PLATFORM_ENV.items():
        value = env.get(name) or env.get(name.upper())
        if value:
            values[section] = {**values.get(section, {}), key: value}


def load_settings(path: str | Path | None = None) -> Settings:
    """Load defaults, then the file (if any), then the environment. Raises ConfigError."""
    env = os.environ
    path = path or env.get("CHATOPS_CONFIG") or None
    values = _defaults()
    source = "built-in defaults"
    if path is not None:
        source = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except FileNotFoundError:
            raise ConfigError(
                source, "", "file not found; pass an existing --config file"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(source, "", f"cannot be read ({exc})") from None
        values.update(_read_toml(text, source))
    _platform_env(values, env)
    try:
        return Settings(**values)
    except ValidationError as exc:
        key, expected = _describe(exc.errors()[0])
        from_env = "CHATOPS_" + key.upper().replace(".", "__")
        if from_env in env or (key and "CHATOPS_" + key.split(".")[0].upper() in env):
            source = f"environment {from_env}"
        raise ConfigError(source, key, expected) from None
