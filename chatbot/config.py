"""Settings: one TOML file plus `CHATOPS_...` environment overrides, loaded once, passed in.

The shipped defaults (`defaults/demo.toml`) hold the demo directory, so the assistant runs with
no file at all. A config file's top-level sections replace the defaults' sections whole, so a
production directory never inherits demo people. Every error names the file, the key and what
was expected.
"""

from __future__ import annotations

import logging
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
    """A person of the TOML directory: seeds the database directory at start."""

    email: str
    display_name: str = ""
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    manager: str = ""
    tz: str = ""
    department: str = ""


class Grant(Frozen):
    """A permission on skills matching `skill` (a glob), narrowed by slot values and target."""

    skill: str
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    target: Literal["self", "any"] = "any"
    # Where the grant applies: channel ids or names ("#ops-deploys", "C0123", a Teams channel
    # id), or "direct" for direct messages. Empty: everywhere.
    channels: tuple[str, ...] = ()


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


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class ServerSettings(Frozen):
    """`allowed_hosts`: the names this server answers to (the request's Host header, port
    ignored; `*.example.com` matches subdomains). Anything else gets 400, which is what stops a
    DNS-rebinding page from talking to a loopback server under its own name.
    `max_body_bytes`: no request body larger than this is read (413)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)


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
    # The workspace (and Enterprise Grid organisation) this server acts for; requests from any
    # other are ignored. Empty accepts the workspace each request names (one install only).
    team_id: str = ""
    enterprise_id: str = ""

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
    # Where the Bot Framework's OpenID metadata (and so its signing keys) is read; empty is
    # Microsoft's. Only for tests and sovereign clouds.
    openid_metadata_url: str = ""
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


class ApiToken(Frozen):
    """An admin API token: only its SHA-256 is kept, and the person it acts as."""

    person: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class AlertSettings(Frozen):
    """Alert intake: a Bearer token per source (an empty token closes that endpoint), and for
    Grafana optionally its HMAC-SHA256 signature over `timestamp:body`."""

    alertmanager_token: SecretStr = SecretStr("")
    grafana_token: SecretStr = SecretStr("")
    grafana_hmac_secret: SecretStr = SecretStr("")
    grafana_signature_header: str = "X-Grafana-Alerting-Signature"
    grafana_timestamp_header: str = "X-Grafana-Alerting-Signature-Timestamp"
    max_signature_age_seconds: int = Field(default=300, ge=1)
    # Deprecated and ignored: the edge guard's `server.max_body_bytes` bounds every body,
    # the hooks' included. Still accepted, so an existing config keeps loading.
    max_body_bytes: int | None = Field(default=None, ge=1024)

    @model_validator(mode="after")
    def _deprecated_body_limit(self) -> AlertSettings:
        if self.max_body_bytes is not None:
            logging.getLogger(__name__).warning(
                "alerts.max_body_bytes is deprecated and ignored: alert deliveries are bounded "
                "by server.max_body_bytes like every request; set that instead"
            )
        return self


class Runbook(Frozen):
    """What to offer for an alert name or a service: skills with fixed slots, as buttons."""

    alert: str = "*"
    service: str = "*"
    skill: str
    slots: dict[str, str] = Field(default_factory=dict)
    title: str = ""
    # Run it as soon as an incident opens, as `incidents.auto_as`, through RBAC and policy
    # like a person's request, at most `incidents.auto_per_hour` times per service.
    auto: bool = False


class GateSignal(Frozen):
    """One signal a deploy's health gate reads from Prometheus: a PromQL query with
    `{service}` and `{env}` placeholders; larger values are worse (chatbot/incidents/health)."""

    name: str
    query: str
    min_points: int = Field(default=5, ge=2)
    alpha: float = Field(default=0.01, gt=0, lt=1)
    min_ratio: float = Field(default=1.5, ge=1)
    min_delta: float = Field(default=0.0, ge=0)
    slo_max: float | None = None


class AutoRollback(Frozen):
    """Where a failed health gate rolls back by itself: deploys of a service to an env
    (globs, like a runbook's `alert` and `service`). No rule matches: the button only."""

    service: str = "*"
    env: str = "*"


class IncidentSettings(Frozen):
    """Grouping, where incidents are announced, and what counts as a suspected change.

    `channels` and `responders` map a service (or "*" for any other) to the channel that hears
    about its incidents and the people notified; `dependencies` maps a service to the services
    it relies on, whose changes are suspected too."""

    group_window_minutes: int = Field(default=60, ge=1)
    change_lookback_minutes: int = Field(default=60, ge=1)
    channels: dict[str, str] = Field(default_factory=dict)
    responders: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    dependencies: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    runbooks: tuple[Runbook, ...] = ()
    # Automatic remediation: the directory person whose grants bound what the assistant may
    # run by itself (absent from the directory: nothing runs), and how often per service.
    auto_as: str = "assistant"
    auto_per_hour: int = Field(default=3, ge=0)
    # Health-gated deploys: after a successful deploy, compare `gate_window_minutes` after it
    # with as long before it, on each signal; a fail offers the deployer "Roll back".
    prometheus_url: str = ""
    gate_signals: tuple[GateSignal, ...] = ()
    gate_window_minutes: int = Field(default=10, ge=1)
    gate_step: str = "30s"
    # Automatic rollback after a failed gate (chatbot/incidents/autoback.py), off unless a rule
    # matches the deploy's service and env: run as `gate_rollback_as` (empty: `auto_as`)
    # through RBAC, policy, windows and freezes like a person's rollback, at most
    # `gate_rollback_per_hour` per service in any hour (counted in the audit trail); where
    # policy wants an approval it is sent for approval instead. Never on inconclusive.
    gate_auto_rollback: tuple[AutoRollback, ...] = ()
    gate_rollback_as: str = ""
    gate_rollback_per_hour: int = Field(default=1, ge=0)


# -- identity: directory, SCIM, groups -> roles ---------------------------------------------

# The approver kind "the requester's manager", next to role names in `policy.approvers`.
MANAGER_APPROVER = "@manager"


class DirectorySyncSettings(Frozen):
    """Pull sync, for identity providers that do not push over SCIM: `source` names the
    connector read (`okta`, `entra` for Entra ID through Microsoft Graph, or `keycloak`;
    configured under `[connectors.NAME]` with its secret); empty (the default) means off.
    `every_minutes`: how often the `directory.sync` job runs."""

    source: str = ""
    every_minutes: float = Field(default=60.0, gt=0)


class IdentitySettings(Frozen):
    """Who the company's people are: `domains` (their email domains; anyone else, or a Slack
    Connect user, stays a guest), `default_roles` (what every active person of those domains
    gets), `group_roles` (directory group name -> roles), `sync` (pull sync, off by default).
    """

    domains: tuple[str, ...] = ()
    default_roles: tuple[str, ...] = ("employee",)
    group_roles: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    refresh_seconds: float = Field(default=2.0, gt=0)
    sync: DirectorySyncSettings = Field(default_factory=DirectorySyncSettings)

    @field_validator("domains")
    @classmethod
    def _lower(cls, domains: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d.strip().lower().lstrip("@") for d in domains)


class ScimSettings(Frozen):
    """The SCIM 2.0 server at /scim/v2: off while `token` is empty. `max_results` caps a page."""

    token: SecretStr = SecretStr("")
    max_results: int = Field(default=200, ge=1, le=10000)


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
    alerts: AlertSettings = AlertSettings()
    incidents: IncidentSettings = IncidentSettings()
    conversation: ConversationSettings = ConversationSettings()
    identity: IdentitySettings = IdentitySettings()
    scim: ScimSettings = ScimSettings()
    jobs: JobSettings = JobSettings()
    logging: LoggingSettings = Field(default_factory=lambda: LoggingSettings())
    bundles: dict[str, Bundle] = Field(default_factory=lambda: {})
    jml: JmlSettings = Field(default_factory=lambda: JmlSettings())

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        return _log_level(level)

    @property
    def log_settings(self) -> tuple[str, str]:
        """(level, format) for `chatbot.logs.configure`: `logging.level` when set, else
        `log_level` (CHATOPS_LOG_LEVEL)."""
        return self.logging.level or self.log_level, self.logging.format

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
        values = merge_tables(values, _read_toml(text, source), source)
    _platform_env(values, env)
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        key, expected = _describe(exc.errors()[0])
        from_env = "CHATOPS_" + key.upper().replace(".", "__")
        if from_env in env or (key and "CHATOPS_" + key.split(".")[0].upper() in env):
            source = f"environment {from_env}"
        raise ConfigError(source, key, expected) from None
    undefined = undefined_role(settings)
    if undefined is not None:
        key, role = undefined
        known = ", ".join(sorted(settings.roles)) or "none"
        expected = f"names role {role!r}, which is not defined (roles: {known})"
        raise ConfigError(source, key, expected)
    wrong = bundle_problem(settings)
    if wrong is not None:
        raise ConfigError(source, *wrong)
    if settings.jml.offboarding.wanted and not settings.jml.onboard_as:
        expected = "must name who asks for a leaver's offboarding that waits for a second person"
        raise ConfigError(source, "jml.onboard_as", expected)
    return settings


# Tables a config file merges by name with the defaults, unless it says `replace = true`.
MERGED_TABLES = ("roles", "people", "groups")


def merge_tables(
    defaults: dict[str, Any], file: dict[str, Any], source: str = "config file"
) -> dict[str, Any]:
    """The file over the defaults: `roles`, `people` and `groups` merge by name (an entry of
    the file replaces the default entry of that name whole), unless the file's table says
    `replace = true`; every other top-level section replaces the default one."""
    merged = {**defaults, **file}
    for table in MERGED_TABLES:
        given = file.get(table)
        if not isinstance(given, dict):
            continue
        given = dict(given)
        replace = given.pop("replace", False)
        if not isinstance(replace, bool):
            raise ConfigError(source, f"{table}.replace", "must be true or false")
        base = {} if replace else dict(defaults.get(table) or {})
        merged[table] = {**base, **given}
    return merged


def undefined_role(settings: Settings) -> tuple[str, str] | None:
    """The first (key, role) where a grant, policy, group mapping or person names a role that
    no `[roles.X]` defines; None when every name resolves."""
    defined = set(settings.roles)
    named: list[tuple[str, str]] = []
    for name, role in settings.roles.items():
        named += [(f"roles.{name}.includes", r) for r in role.includes]
    for name, person in settings.people.items():
        named += [(f"people.{name}.roles", r) for r in person.roles]
    for name, group in settings.groups.items():
        named += [(f"groups.{name}.roles", r) for r in group.roles]
    named += [("identity.default_roles", r) for r in settings.identity.default_roles]
    for group_name, roles in settings.identity.group_roles.items():
        named += [(f"identity.group_roles.{group_name}", r) for r in roles]
    for index, rule in enumerate(settings.policy):
        if rule.approvers and rule.approvers != MANAGER_APPROVER:
            named.append((f"policy.{index}.approvers", rule.approvers))
    for name, resource in settings.catalog.resources.items():
        named.append((f"catalog.resources.{name}.owner_role", resource.owner_role))
    leaving = settings.jml.offboarding
    if leaving.wanted and leaving.approvers != MANAGER_APPROVER:
        named.append(("jml.offboarding.approvers", leaving.approvers))
    named += [("jml.offboarding.second_person_roles", r) for r in leaving.second_person_roles]
    for key, named_role in named:
        if named_role not in defined:
            return key, named_role
    return None


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


# -- joiners, movers, leavers and access reviews (jml) ------------------------------------


class BundleItem(Frozen):
    """One thing a bundle gives: `resource` is what people read and reviews name (a catalog
    resource or a system's own name); `backend` the identity back end that grants it
    ("sandbox" or an installed connector implementing IdentityProvider: okta, keycloak,
    entra); `grant` the group there (default: the resource); `remove` how it is taken away:
    "group" (out of the group on the same back end) or "ticket" (by hand: the report asks)."""

    resource: str = Field(min_length=1)
    backend: str = "sandbox"
    grant: str = ""
    remove: Literal["group", "ticket"] = "group"

    @property
    def group(self) -> str:
        return self.grant or self.resource


class Bundle(Frozen):
    """`[bundles.NAME]`: the access a role, department or job title comes with. A person gets
    the bundle when any of their roles is in `roles`, their department in `departments` or
    their title in `titles` (compared without case)."""

    description: str = ""
    roles: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    items: tuple[BundleItem, ...] = Field(min_length=1)


class OffboardingSettings(Frozen):
    """`[jml.offboarding]`: leavers are offboarded at once, except the people matched here
    (by any of their roles, their job title or a group they are in; compared without case),
    whose offboarding waits for a second person's approval: `approvals` people holding the
    role `approvers` ("@manager": the leaver's manager), never the one who asked. The request
    is asked as `jml.onboard_as` when SCIM or a pull deactivates the person."""

    second_person_roles: tuple[str, ...] = ()
    second_person_titles: tuple[str, ...] = ()
    second_person_groups: tuple[str, ...] = ()
    approvers: str = "admin"
    approvals: int = Field(default=1, ge=1)

    @property
    def wanted(self) -> bool:
        return bool(
            self.second_person_roles or self.second_person_titles or self.second_person_groups
        )


class JmlSettings(Frozen):
    """`[jml]`: `onboard_as` is the directory person whose requests onboard joiners and movers
    that SCIM reports (their RBAC must allow employee.onboard; unset: SCIM starts none);
    `review_resources` get a review campaign every `review_every_days`; an unanswered item is
    reminded after `review_remind_hours`, then escalated to the reviewer's manager after
    `review_escalate_hours`."""

    onboard_as: str = ""
    review_resources: tuple[str, ...] = ()
    review_every_days: float = Field(default=90.0, gt=0)
    review_remind_hours: float = Field(default=24.0, gt=0)
    review_escalate_hours: float = Field(default=72.0, gt=0)
    review_check_seconds: float = Field(default=300.0, gt=0)
    offboarding: OffboardingSettings = OffboardingSettings()


def bundle_problem(settings: Settings) -> tuple[str, str] | None:
    """The first (key, what is wrong) of the bundles: a bundle nobody can match, a role that
    is not defined, one resource granted twice; None when they are all usable. (Back end
    names are checked when the runtime builds them, against the installed connectors.)"""
    for name, bundle in settings.bundles.items():
        wrong = one_bundle_problem(name, bundle, settings.roles)
        if wrong is not None:
            return wrong
    return None


def one_bundle_problem(
    name: str, bundle: Bundle, roles: Mapping[str, object] | None = None
) -> tuple[str, str] | None:
    """What is wrong with one bundle (key under `bundles.NAME`, what), None when usable;
    `roles`: the defined roles, when known (a skill manifest is checked without them)."""
    key = f"bundles.{name}"
    if not (bundle.roles or bundle.departments or bundle.titles):
        return key, "matches nobody; give roles, departments or titles"
    defined = set(bundle.roles) if roles is None else set(roles)
    for role in bundle.roles:
        if role not in defined:
            known = ", ".join(sorted(defined)) or "none"
            return f"{key}.roles", f"names role {role!r}, which is not defined ({known})"
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(bundle.items):
        pair = (item.backend, item.group)
        if pair in seen:
            return f"{key}.items.{index}", f"grants {item.group!r} on {item.backend} twice"
        seen.add(pair)
    return None


Settings.model_rebuild()  # LoggingSettings and the jml models are defined after Settings
