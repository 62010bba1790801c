"""Reading and writing the directory tables: frozen records out, one head version per change.

Every write bumps `directory_head.version` and stamps the changed rows with it, so a replica
that saw version N loads only the rows above N (`changes`), never the whole directory.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy import select as select_columns  # sqlmodel's select types four at most
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.config import Person
from chatbot.store.tables import (
    ChatLink,
    DirectoryGroup,
    DirectoryHead,
    DirectoryMember,
    DirectoryPerson,
)
from chatbot.types import utcnow

CONFIG = "config"


@dataclass(frozen=True, slots=True)
class PersonRecord:
    id: str
    name: str
    email: str
    display_name: str
    active: bool = True
    deleted: bool = False
    manager_id: str | None = None
    tz: str = ""
    department: str = ""
    roles: tuple[str, ...] = ()
    source: str = "scim"


@dataclass(frozen=True, slots=True)
class GroupRecord:
    id: str
    display_name: str
    members: frozenset[str] = frozenset()
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Changes:
    head: int
    people: tuple[PersonRecord, ...]
    groups: tuple[GroupRecord, ...]
    links: tuple[tuple[tuple[str, str, str], str], ...] = ()


def new_id() -> str:
    return uuid.uuid4().hex


def person_record(row: DirectoryPerson) -> PersonRecord:
    return PersonRecord(
        id=row.id,
        name=row.name,
        email=row.email,
        display_name=row.display_name,
        active=row.active,
        deleted=row.deleted,
        manager_id=row.manager_id,
        tz=row.tz,
        department=row.department,
        roles=tuple(json.loads(row.roles)),
        source=row.source,
    )


async def bump(tx: AsyncSession) -> int:
    """The next directory version (the head row is locked until the transaction ends)."""
    head = (
        await tx.exec(select(DirectoryHead).where(DirectoryHead.id == 1).with_for_update())
    ).first()
    if head is None:
        head = DirectoryHead(id=1, version=0)
        tx.add(head)
    head.version += 1
    await tx.flush()
    return head.version


async def head(tx: AsyncSession) -> int:
    row = await tx.get(DirectoryHead, 1)
    return row.version if row else 0


PERSON_COLUMNS = (
    col(DirectoryPerson.id),
    col(DirectoryPerson.name),
    col(DirectoryPerson.email),
    col(DirectoryPerson.display_name),
    col(DirectoryPerson.active),
    col(DirectoryPerson.deleted),
    col(DirectoryPerson.manager_id),
    col(DirectoryPerson.tz),
    col(DirectoryPerson.department),
    col(DirectoryPerson.roles),
    col(DirectoryPerson.source),
)


async def changes(tx: AsyncSession, since: int) -> Changes:
    """Everything that moved after version `since` (everything when 0). Plain column tuples,
    not ORM objects: loading 50,000 people must take a second, not half a minute."""
    now = await head(tx)
    if now <= since:
        return Changes(now, (), ())
    people_query = select_columns(*PERSON_COLUMNS).where(col(DirectoryPerson.version) > since)
    people = tuple(
        PersonRecord(
            id=r[0],
            name=r[1],
            email=r[2],
            display_name=r[3],
            active=bool(r[4]),
            deleted=bool(r[5]),
            manager_id=r[6],
            tz=r[7],
            department=r[8],
            roles=tuple(json.loads(r[9])) if r[9] != "[]" else (),
            source=r[10],
        )
        # sqlmodel types exec() for its own select only, which types four columns at most.
        for r in (await tx.exec(people_query)).all()  # type: ignore[call-overload]
    )
    groups = list(
        (
            await tx.exec(
                select(  # type: ignore[call-overload]
                    DirectoryGroup.id, DirectoryGroup.display_name, DirectoryGroup.deleted
                ).where(DirectoryGroup.version > since)
            )
        ).all()
    )
    members: dict[str, set[str]] = {g[0]: set() for g in groups}
    if since == 0:
        every = select(DirectoryMember.group_id, DirectoryMember.person_id)
        for gid, pid in (await tx.exec(every)).all():
            members.setdefault(gid, set()).add(pid)
    else:
        ids = list(members)
        for start in range(0, len(ids), 500):
            query = select(DirectoryMember.group_id, DirectoryMember.person_id).where(
                col(DirectoryMember.group_id).in_(ids[start : start + 500])
            )
            for gid, pid in (await tx.exec(query)).all():
                members[gid].add(pid)
    links: list[tuple[tuple[str, str, str], str]] = []
    if since == 0:
        for link in (await tx.exec(select(ChatLink))).all():
            links.append(((link.platform, link.tenant, link.user_id), link.person_id))
    return Changes(
        now,
        people,
        tuple(GroupRecord(g[0], g[1], frozenset(members[g[0]]), bool(g[2])) for g in groups),
        tuple(links),
    )


async def seed(tx: AsyncSession, people: Mapping[str, Person]) -> bool:
    """Bring the people of the TOML file (and their groups) into the database; True when
    something changed. People provisioned over SCIM are never touched here."""
    rows = {
        r.name: r
        for r in (
            await tx.exec(select(DirectoryPerson).where(DirectoryPerson.source == CONFIG))
        ).all()
    }
    wanted_groups = sorted({g for p in people.values() for g in p.groups})
    group_rows = {
        g.display_name: g
        for g in (
            await tx.exec(select(DirectoryGroup).where(DirectoryGroup.source == CONFIG))
        ).all()
    }
    ids = {name: (rows[name].id if name in rows else new_id()) for name in people}
    version: int | None = None
    now = utcnow()

    async def stamp() -> int:
        nonlocal version
        if version is None:
            version = await bump(tx)
        return version

    for name, person in people.items():
        manager = ids.get(person.manager.lower()) if person.manager else None
        fields = {
            "email": person.email.lower(),
            "display_name": person.display_name or name,
            "user_name": person.email.lower(),
            "manager_id": manager,
            "tz": person.tz,
            "department": person.department,
            "roles": json.dumps(list(person.roles)),
            "active": True,
            "deleted": False,
        }
        row = rows.get(name)
        if row is not None and all(getattr(row, k) == v for k, v in fields.items()):
            continue
        version_now = await stamp()
        if row is None:
            row = DirectoryPerson(
                id=ids[name], name=name, source=CONFIG, created_at=now, updated_at=now
            )
            tx.add(row)
        for key, value in fields.items():
            setattr(row, key, value)
        row.version, row.updated_at = version_now, now
    for gone in set(rows) - set(people):
        row = rows[gone]
        if not row.deleted:
            row.deleted, row.active, row.user_name = True, False, None
            row.version, row.updated_at = await stamp(), now
    for name in wanted_groups:
        members = {ids[p] for p, person in people.items() if name in person.groups}
        group = group_rows.get(name)
        if (
            group is not None
            and not group.deleted
            and set(await member_ids(tx, group.id)) == members
        ):
            continue
        version_now = await stamp()
        if group is None:
            group = DirectoryGroup(
                id=new_id(), display_name=name, source=CONFIG, created_at=now, updated_at=now
            )
            tx.add(group)
        group.deleted, group.version, group.updated_at = False, version_now, now
        await tx.flush()
        await set_members(tx, group.id, members)
    await tx.flush()
    return version is not None


async def member_ids(tx: AsyncSession, group_id: str) -> list[str]:
    query = select(DirectoryMember.person_id).where(DirectoryMember.group_id == group_id)
    return list((await tx.exec(query)).all())


async def set_members(tx: AsyncSession, group_id: str, people: Iterable[str]) -> None:
    await tx.exec(delete(DirectoryMember).where(col(DirectoryMember.group_id) == group_id))
    for person in dict.fromkeys(people):
        tx.add(DirectoryMember(group_id=group_id, person_id=person))
    await tx.flush()


async def touch_groups_of(tx: AsyncSession, person_id: str, version: int) -> None:
    """Groups holding a person who changed move to `version` too (so replicas reload them)."""
    query = select(DirectoryMember.group_id).where(DirectoryMember.person_id == person_id)
    ids = list((await tx.exec(query)).all())
    if ids:
        await tx.exec(
            update(DirectoryGroup).where(col(DirectoryGroup.id).in_(ids)).values(version=version)
        )


async def link(tx: AsyncSession, platform: str, tenant: str, user_id: str, person_id: str) -> None:
    """Store a chat identity link once (a second writer's identical link is a no-op)."""
    if await tx.get(ChatLink, (platform, tenant, user_id)) is None:
        tx.add(
            ChatLink(
                platform=platform,
                tenant=tenant,
                user_id=user_id,
                person_id=person_id,
                created_at=utcnow(),
            )
        )
