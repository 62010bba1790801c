"""Where the SCIM server (scim2-server) reads and writes: the directory tables.

scim2-server handles the protocol (validation, PATCH, ETags, errors, paging bounds); this
storage maps Users and Groups onto `directory_people`, `directory_groups` and
`directory_members`. Every write bumps the directory head, so this process's in-memory index
and every other replica see the change (`Directory.refresh`). Searches use indexed columns for
the filters identity providers send (`userName eq`, `externalId eq`, `emails.value eq`,
`displayName eq`, `id eq`); other filters are evaluated by scim2-models over at most
`SCAN_LIMIT` rows, and refused beyond that rather than scanning a large directory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from scim2_models import (
    InvalidFilterException,
    Meta,
    NotFoundException,
    NotImplementedException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import AsyncScimStorage, SearchPage
from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.directory import records
from chatbot.directory.scim_mapping import (
    fill_group,
    fill_person,
    group_resource,
    groups_of,
    user_resource,
    version_tag,
)
from chatbot.directory.scim_schema import CHATOPS, ENTERPRISE, GROUP, USER
from chatbot.governance import audit
from chatbot.store.engine import Store
from chatbot.store.tables import DirectoryGroup, DirectoryMember, DirectoryPerson
from chatbot.types import utcnow

SCAN_LIMIT = 10_000
__all__ = ["CHATOPS", "ENTERPRISE", "GROUP", "USER", "DirectoryStorage"]
# Filter attribute (URN suffix) -> indexed column, per resource type.
USER_COLUMNS = {
    "userName": col(DirectoryPerson.user_name),
    "externalId": col(DirectoryPerson.external_id),
    "emails.value": col(DirectoryPerson.email),
    "emails": col(DirectoryPerson.email),
    "id": col(DirectoryPerson.id),
}
GROUP_COLUMNS = {
    "displayName": col(DirectoryGroup.display_name),
    "externalId": col(DirectoryGroup.external_id),
    "id": col(DirectoryGroup.id),
}
LOWERED = frozenset({"userName", "emails.value", "emails"})

# Called after a committed write: (person ids deactivated or deleted by it).
AfterWrite = Callable[[list[str]], Awaitable[None]]


async def _audit(tx: AsyncSession, event: str, kind: str, **detail: object) -> None:
    """Every provisioning change is in the audit trail, in the same transaction."""
    record = audit.AuditRecord(
        actor="scim",
        event=f"directory.{kind.lower()}.{event}",
        platform="scim",
        channel="-",
        outcome="ok",
        detail=detail,
    )
    await audit.append(tx, record)


class DirectoryStorage(AsyncScimStorage):
    def __init__(self, store: Store, models: dict[str, type[Resource[Any]]], after: AfterWrite):
        self.store, self.models, self.after = store, models, after
        # Set by the app: people whose record or groups changed (joiners and movers, whose
        # access bundles are worked out again), called after `after`.
        self.changed: AfterWrite | None = None

    async def _changed(self, people: list[str]) -> None:
        if self.changed is not None and people:
            await self.changed(list(dict.fromkeys(people)))

    @staticmethod
    async def _members(tx: AsyncSession, group_id: str) -> list[str]:
        query = select(DirectoryMember.person_id).where(DirectoryMember.group_id == group_id)
        return [str(p) for p in (await tx.exec(query)).all()]

    # -- reading ------------------------------------------------------------------------

    async def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        async with self.store.transaction() as tx:
            if resource_type.name == "User":
                person = await self._person(tx, resource_id)
                return await user_resource(tx, self.models, person)
            group = await self._group(tx, resource_id)
            return await group_resource(tx, self.models, group)

    async def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        if len(resource_types) != 1:
            raise NotImplementedException(detail="search /Users or /Groups, not the root")
        kind = resource_types[0].name
        if kind is None:
            raise NotImplementedException(detail="search /Users or /Groups, not the root")
        table: Any = DirectoryPerson if kind == "User" else DirectoryGroup
        columns = USER_COLUMNS if kind == "User" else GROUP_COLUMNS
        query = select(table).where(col(table.deleted).is_(False))
        scim_filter = search_request.filter
        scan = False
        if scim_filter is not None:
            condition = self._indexed(scim_filter, columns)
            if condition is None:
                scan = True
            else:
                query = query.where(condition)
        start = max((search_request.start_index or 1) - 1, 0)
        count = search_request.count
        async with self.store.transaction() as tx:
            if scan:
                return await self._scan(tx, kind, query, scim_filter, start, count)
            total = (
                await tx.exec(select(func.count()).select_from(query.subquery()))  # type: ignore[call-overload]
            ).one()
            if count == 0:
                return SearchPage(total, [])
            # Ordered by the primary key: stable pages without sorting the whole directory.
            page = query.order_by(col(table.id)).offset(start)
            if count is not None:
                page = page.limit(count)
            rows = list((await tx.exec(page)).all())
            if kind == "User":
                groups = await groups_of(tx, [row.id for row in rows])
                users = [await user_resource(tx, self.models, r, groups) for r in rows]
                return SearchPage(total, users)
            return SearchPage(total, [await group_resource(tx, self.models, row) for row in rows])

    @staticmethod
    def _indexed(scim_filter: Any, columns: dict[str, Any]) -> Any:
        """The SQL condition for `attr eq "value"` on an indexed column, else None."""
        node = scim_filter.ast
        if not isinstance(node, Comparison) or node.op != CompareOperator.eq:
            return None
        if not isinstance(node.value, str):
            return None
        binding = scim_filter.resolve_comparison(node.attr_path, strict=False)
        if binding is None:
            return None
        name = binding.urn.rpartition(":")[2]
        column = columns.get(name)
        if column is None:
            return None
        value = node.value.lower() if name in LOWERED else node.value
        return column == value

    async def _scan(
        self,
        tx: AsyncSession,
        kind: str,
        query: Any,
        scim_filter: Any,
        start: int,
        count: int | None,
    ) -> SearchPage:
        rows = list((await tx.exec(query.limit(SCAN_LIMIT + 1))).all())
        if len(rows) > SCAN_LIMIT:
            raise InvalidFilterException(
                detail=(
                    "this filter would scan the whole directory; filter with eq on userName, "
                    "externalId, emails.value (Users) or displayName (Groups)"
                )
            )
        found = []
        for row in rows:
            if kind == "User":
                resource = await user_resource(tx, self.models, row)
            else:
                resource = await group_resource(tx, self.models, row)
            if scim_filter.match(resource):
                found.append(resource)
        stop = None if count is None else start + count
        return SearchPage(len(found), found[start:stop])

    # -- writing ------------------------------------------------------------------------

    async def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        now = utcnow()
        people: list[str] = []
        async with self.store.transaction() as tx:
            version = await records.bump(tx)
            meta = Meta(
                resource_type=resource_type.name,
                created=now,
                last_modified=now,
                version=version_tag(version),
            )
            if resource_type.name == "User":
                row = DirectoryPerson(
                    id=records.new_id(), name="", created_at=now, updated_at=now, version=version
                )
                await fill_person(tx, row, resource, meta)
                tx.add(row)
                await tx.flush()
                created = await user_resource(tx, self.models, row)
                await _audit(tx, "created", "User", id=row.id, name=row.name)
                people = [row.id] if row.active else []
            else:
                group = DirectoryGroup(
                    id=records.new_id(),
                    display_name="",
                    created_at=now,
                    updated_at=now,
                    version=version,
                )
                tx.add(group)
                await fill_group(tx, group, resource, meta)
                created = await group_resource(tx, self.models, group)
                await _audit(tx, "created", "Group", id=group.id, name=group.display_name)
                people = await self._members(tx, group.id)
        await self.after([])
        await self._changed(people)
        return created

    async def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        gone: list[str] = []
        people: list[str] = []
        async with self.store.transaction() as tx:
            if resource_type.name == "User":
                row = await self._person(tx, str(resource.id))
                self._check(row.version, expected_version)
                version = await records.bump(tx)
                was_active = row.active
                meta = Meta(
                    resource_type="User",
                    created=row.created_at,
                    last_modified=utcnow(),
                    version=version_tag(version),
                )
                await fill_person(tx, row, resource, meta)
                row.version, row.updated_at = version, utcnow()
                await records.touch_groups_of(tx, row.id, version)
                if was_active and not row.active:
                    gone.append(row.id)
                await tx.flush()
                updated = await user_resource(tx, self.models, row)
                await _audit(tx, "updated", "User", id=row.id, name=row.name, active=row.active)
                people = [row.id] if row.active else []
            else:
                group = await self._group(tx, str(resource.id))
                self._check(group.version, expected_version)
                version = await records.bump(tx)
                meta = Meta(
                    resource_type="Group",
                    created=group.created_at,
                    last_modified=utcnow(),
                    version=version_tag(version),
                )
                group.version, group.updated_at = version, utcnow()
                people = await self._members(tx, group.id)  # those leaving it too
                await fill_group(tx, group, resource, meta)
                people += await self._members(tx, group.id)
                updated = await group_resource(tx, self.models, group)
                await _audit(tx, "updated", "Group", id=group.id, name=group.display_name)
        await self.after(gone)
        await self._changed(people)
        return updated

    async def delete(
        self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None
    ) -> None:
        gone: list[str] = []
        async with self.store.transaction() as tx:
            version = await records.bump(tx)
            if resource_type.name == "User":
                row = await self._person(tx, resource_id)
                self._check(row.version, expected_version)
                await records.touch_groups_of(tx, row.id, version)
                await tx.exec(  # type: ignore[call-overload]
                    delete(DirectoryMember).where(col(DirectoryMember.person_id) == row.id)
                )
                if row.active:
                    gone.append(row.id)
                row.deleted, row.active, row.user_name = True, False, None
                row.version, row.updated_at = version, utcnow()
                await _audit(tx, "deleted", "User", id=row.id, name=row.name)
            else:
                group = await self._group(tx, resource_id)
                self._check(group.version, expected_version)
                await records.set_members(tx, group.id, ())
                group.deleted, group.version, group.updated_at = True, version, utcnow()
                await _audit(tx, "deleted", "Group", id=group.id, name=group.display_name)
        await self.after(gone)

    @staticmethod
    async def _person(tx: AsyncSession, person_id: str) -> DirectoryPerson:
        row = await tx.get(DirectoryPerson, person_id)
        if row is None or row.deleted:
            raise NotFoundException(detail=f"User {person_id!r} not found")
        return row

    @staticmethod
    async def _group(tx: AsyncSession, group_id: str) -> DirectoryGroup:
        row = await tx.get(DirectoryGroup, group_id)
        if row is None or row.deleted:
            raise NotFoundException(detail=f"Group {group_id!r} not found")
        return row

    @staticmethod
    def _check(version: int, expected: str | None) -> None:
        if expected is not None and expected != version_tag(version):
            raise PreconditionFailedException(detail="the resource changed; read it again")
