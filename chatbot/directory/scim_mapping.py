"""SCIM resources to directory rows and back: what a User or Group carries and which columns
hold it (the rest is kept as the provider sent it, in the row's `resource`).

A User's columns are what the assistant reads often: userName, the primary email, the
display name, `active`, the enterprise extension's manager and department, the time zone
when it is an IANA name, and our extension's start date (scim_schema.ChatOpsUser).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scim2_models import (
    EnterpriseUser,
    InvalidValueException,
    Meta,
    Resource,
    UniquenessException,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.directory import records
from chatbot.directory.scim_schema import CHATOPS, ENTERPRISE, GROUP, USER, ChatOpsUser
from chatbot.store.tables import DirectoryGroup, DirectoryMember, DirectoryPerson

Models = dict[str, type[Resource[Any]]]


def version_tag(n: int) -> str:
    return f'W/"{n}"'


def _zone(name: str) -> str:
    """The time zone the assistant uses: the SCIM value when it is an IANA name, else none
    (UTC). The value is kept in the stored resource as sent: an identity provider's odd time
    zone must not stop a person from being provisioned."""
    if not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    return name


def _primary_email(resource: Any) -> str:
    emails = list(getattr(resource, "emails", None) or [])
    chosen = next((e for e in emails if e.primary), emails[0] if emails else None)
    if chosen is not None and chosen.value:
        return str(chosen.value).lower()
    user_name = str(resource.user_name or "")
    return user_name.lower() if "@" in user_name else ""


def start_date(resource: Any) -> date | None:
    """The calendar day of our extension's startDate as the provider wrote it (its own
    offset, not UTC: "2026-12-07T00:00:00-08:00" is the 7th), None when not sent."""
    found = getattr(resource[ChatOpsUser], "start_date", None)
    return found.date() if found is not None else None


async def _unique_name(tx: AsyncSession, row: DirectoryPerson, user_name: str) -> None:
    taken = await tx.exec(
        select(DirectoryPerson.id).where(
            DirectoryPerson.user_name == user_name.lower(), DirectoryPerson.id != row.id
        )
    )
    if taken.first() is not None:
        raise UniquenessException(detail=f"userName {user_name!r} is already taken")
    if not row.name:
        name = user_name.lower()
        clash = await tx.exec(
            select(DirectoryPerson.id).where(
                DirectoryPerson.name == name, col(DirectoryPerson.deleted).is_(False)
            )
        )
        if clash.first() is not None:
            raise UniquenessException(detail=f"a person named {name!r} already exists")
        row.name = name


async def fill_person(tx: AsyncSession, row: DirectoryPerson, resource: Any, meta: Meta) -> None:
    user_name = str(resource.user_name or "").strip()
    if not user_name:
        raise InvalidValueException(detail="userName is required")
    await _unique_name(tx, row, user_name)
    # Read whether or not `schemas` lists it: a PATCH adding an extension attribute to a
    # User that had none (Entra ID does) leaves `schemas` as it was.
    enterprise = resource[EnterpriseUser]
    manager = getattr(getattr(enterprise, "manager", None), "value", None)
    if manager is not None and manager == row.id:
        raise InvalidValueException(detail="a person cannot be their own manager")
    row.user_name = user_name.lower()
    row.email = _primary_email(resource)
    row.external_id = resource.external_id
    formatted = getattr(getattr(resource, "name", None), "formatted", None)
    row.display_name = str(resource.display_name or formatted or user_name)
    row.active = resource.active is not False
    row.manager_id = str(manager) if manager else None
    row.department = str(getattr(enterprise, "department", None) or "")
    row.tz = _zone(str(resource.timezone or ""))
    row.start_date = start_date(resource)
    resource = resource.model_copy(deep=True)
    resource.id, resource.meta, resource.groups = row.id, meta, None
    present = [u for u, ext in ((ENTERPRISE, enterprise), (CHATOPS, resource[ChatOpsUser])) if ext]
    resource.schemas = [*(resource.schemas or [USER]), *present]
    resource.schemas = list(dict.fromkeys(resource.schemas))
    row.resource = resource.model_dump_json()


async def fill_group(tx: AsyncSession, group: DirectoryGroup, resource: Any, meta: Meta) -> None:
    name = str(resource.display_name or "").strip()
    if not name:
        raise InvalidValueException(detail="displayName is required")
    members = [str(m.value) for m in (resource.members or []) if m.value]
    if members:
        known = await tx.exec(
            select(DirectoryPerson.id).where(
                col(DirectoryPerson.id).in_(members), col(DirectoryPerson.deleted).is_(False)
            )
        )
        found = set(known.all())
        missing = [m for m in members if m not in found]
        if missing:
            raise InvalidValueException(detail=f"no user with id {missing[0]!r}")
    group.display_name, group.external_id = name, resource.external_id
    resource = resource.model_copy(deep=True)
    resource.id, resource.meta = group.id, meta
    group.resource = resource.model_dump_json()
    await tx.flush()
    await records.set_members(tx, group.id, members)


async def groups_of(tx: AsyncSession, person_ids: list[str]) -> dict[str, list[dict[str, str]]]:
    """The groups of many people in one query (a page of Users)."""
    query = (
        select(DirectoryMember.person_id, DirectoryGroup.id, DirectoryGroup.display_name)
        .join(DirectoryGroup, col(DirectoryMember.group_id) == col(DirectoryGroup.id))
        .where(col(DirectoryMember.person_id).in_(person_ids))
    )
    found: dict[str, list[dict[str, str]]] = {pid: [] for pid in person_ids}
    for pid, gid, name in (await tx.exec(query)).all():
        found[pid].append({"value": gid, "display": name})
    return found


def _from_columns(row: DirectoryPerson) -> dict[str, Any]:
    """A person seeded from the TOML file (nothing stored), described from their columns."""
    data: dict[str, Any] = {"schemas": [USER], "userName": row.user_name or row.name}
    data.update(displayName=row.display_name, active=row.active)
    if row.email:
        data["emails"] = [{"value": row.email, "primary": True}]
    if row.tz:
        data["timezone"] = row.tz
    if row.manager_id or row.department:
        data["schemas"].append(ENTERPRISE)
        ext = data.setdefault(ENTERPRISE, {})
        if row.department:
            ext["department"] = row.department
        if row.manager_id:
            ext["manager"] = {"value": row.manager_id}
    return data


async def user_resource(
    tx: AsyncSession,
    models: Models,
    row: DirectoryPerson,
    groups: dict[str, list[dict[str, str]]] | None = None,
) -> Resource[Any]:
    """The stored SCIM resource as the provider sent it, with its id, meta and groups."""
    data = json.loads(row.resource or "{}") or _from_columns(row)
    data["id"] = row.id
    data["meta"] = {
        "resourceType": "User",
        "created": row.created_at.isoformat(),
        "lastModified": row.updated_at.isoformat(),
        "version": version_tag(row.version),
    }
    if groups is None:
        groups = await groups_of(tx, [row.id])
    if groups.get(row.id):
        data["groups"] = groups[row.id]
    return models["User"].model_validate(data)


async def group_resource(tx: AsyncSession, models: Models, group: DirectoryGroup) -> Resource[Any]:
    data = json.loads(group.resource or "{}")
    data.setdefault("schemas", [GROUP])
    data.update(id=group.id, displayName=group.display_name)
    data["meta"] = {
        "resourceType": "Group",
        "created": group.created_at.isoformat(),
        "lastModified": group.updated_at.isoformat(),
        "version": version_tag(group.version),
    }
    query = (
        select(DirectoryPerson.id, DirectoryPerson.display_name)
        .join(DirectoryMember, col(DirectoryMember.person_id) == col(DirectoryPerson.id))
        .where(DirectoryMember.group_id == group.id)
    )
    # The display the provider sent is kept; the membership table says who is in.
    given = {m.get("value"): m.get("display") for m in data.pop("members", None) or []}
    members = [
        {
            "value": pid,
            "display": given.get(pid) or name,
            "type": "User",
            "$ref": f"Users/{pid}",
        }
        for pid, name in (await tx.exec(query)).all()
    ]
    if members:
        data["members"] = members
    return models["Group"].model_validate(data)
