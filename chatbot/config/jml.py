"""Joiners, movers and leavers: access bundles and their checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import (
    Field,
)

from chatbot.config.base import Frozen

if TYPE_CHECKING:
    from chatbot.config.loading import Settings


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
