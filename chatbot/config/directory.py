"""People, groups and roles, and how the directory is read (SCIM, pull sync)."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    field_validator,
)

from chatbot.config.base import Frozen


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
    # Whose requests it covers: "self" (the `user` slot is the requester), "reports" (the
    # `user` slot is someone the directory names the requester as manager of, never the
    # requester), or "any".
    target: Literal["self", "reports", "any"] = "any"
    # Where the grant applies: channel ids or names ("#ops-deploys", "C0123", a Teams channel
    # id), or "direct" for direct messages. Empty: everywhere.
    channels: tuple[str, ...] = ()


class Role(Frozen):
    description: str = ""
    grants: tuple[Grant, ...] = ()
    includes: tuple[str, ...] = ()


class Group(Frozen):
    roles: tuple[str, ...] = ()


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
