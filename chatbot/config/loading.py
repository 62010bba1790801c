"""The settings as a whole, and how they are read: TOML, defaults, environment."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from chatbot.config.channels import (
    PLATFORM_ENV,
    ServerSettings,
    SlackSettings,
    TeamsSettings,
    WebSettings,
)
from chatbot.config.directory import (
    MANAGER_APPROVER,
    Group,
    IdentitySettings,
    Person,
    Role,
    ScimSettings,
)
from chatbot.config.governance import (
    ApiToken,
    ApprovalSettings,
    Catalog,
    ChangeWindow,
    CheckpointSettings,
    Freeze,
    PolicyRule,
    RateLimit,
)
from chatbot.config.incidents import AlertSettings, IncidentSettings
from chatbot.config.jml import Bundle, JmlSettings, bundle_problem
from chatbot.config.runtime import (
    ConversationSettings,
    JobSettings,
    Limits,
    LoggingSettings,
    SkillSettings,
    UnderstandingSettings,
    _log_level,
)
from chatbot.errors import ConfigError


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
    text = Path(__file__).parent.with_name("defaults").joinpath("demo.toml").read_text("utf-8")
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
