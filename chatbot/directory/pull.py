"""Pull sync: for companies whose identity provider does not push over SCIM, the directory is
read from it (Okta, Entra ID through Microsoft Graph, or Keycloak) on a schedule or with
`chatops directory sync`, and written through the SCIM storage, the same path a SCIM push
takes, so a person who left is deactivated with every effect of a SCIM `active: false`
(requests cancelled, approvals handed over, grants removed: chatbot/directory/offboard.py).

Off unless `[identity.sync] source` names a connector. What was pulled before is recognised by
its `externalId`, the provider's id prefixed with the connector's name ("okta:00u1..."); such
a person missing from the provider's answer is deactivated, never deleted (their history
stays readable). People from the TOML file or pushed over SCIM are never touched here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scim2_models import Resource, ResourceType, SCIMException
from scim2_server.utils import load_default_resource_types
from sqlmodel import col, select

from chatbot.directory import records
from chatbot.directory.scim_storage import ENTERPRISE, GROUP, USER, DirectoryStorage
from chatbot.governance import audit
from chatbot.store.tables import DirectoryGroup, DirectoryPerson
from skills.connectors.pulled import Pulled, PulledGroup, PulledUser

SYNC_JOB = "directory.sync"


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one run changed, by name; `skipped` says who could not be written and why."""

    source: str
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    deactivated: tuple[str, ...] = ()
    groups_created: tuple[str, ...] = ()
    groups_updated: tuple[str, ...] = ()
    groups_removed: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return any(
            (
                self.created,
                self.updated,
                self.deactivated,
                self.groups_created,
                self.groups_updated,
                self.groups_removed,
            )
        )

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "created": list(self.created),
            "updated": list(self.updated),
            "deactivated": list(self.deactivated),
            "groups_created": list(self.groups_created),
            "groups_updated": list(self.groups_updated),
            "groups_removed": list(self.groups_removed),
            "skipped": [{"who": w, "why": y} for w, y in self.skipped],
            "unchanged": self.unchanged,
        }


@dataclass
class _Tally:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    groups_updated: list[str] = field(default_factory=list)
    groups_removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class _Known:
    """A person pulled before, as stored (the fields a sync may change)."""

    id: str
    user_name: str
    email: str
    display_name: str
    active: bool
    manager_id: str | None
    tz: str
    department: str


class PullSync:
    """Writes what a `DirectorySource` answered through the SCIM storage."""

    def __init__(self, storage: DirectoryStorage, source: str) -> None:
        self.storage, self.source = storage, source
        types = load_default_resource_types()
        self._user_type: ResourceType = types["User"]
        self._group_type: ResourceType = types["Group"]

    async def apply(self, pulled: Pulled) -> SyncReport:
        tally = _Tally()
        known = await self._known_people()
        ids = {key: k.id for key, k in known.items()}
        later: list[PulledUser] = []  # newcomers whose manager came after them
        for user in pulled.users:  # first the newcomers, so every manager has an id
            if user.key not in known:
                if user.manager_key and user.manager_key not in ids:
                    later.append(user)
                made = await self._write(tally, user, None, ids)
                if made is not None:
                    ids[user.key] = made
                    tally.created.append(user.user_name)
        for user in later:
            if user.key in ids and user.manager_key in ids:
                await self._write(tally, user, ids[user.key], ids)
        for user in pulled.users:  # then every change, managers included
            if user.key in known:
                await self._refresh(tally, user, known[user.key], ids)
        pulled_keys = {u.key for u in pulled.users}
        for key, gone in known.items():
            if key not in pulled_keys and gone.active:
                leaver = PulledUser(
                    key, gone.user_name, gone.email, gone.display_name, active=False, tz=gone.tz
                )
                if await self._write(tally, leaver, gone.id, ids, gone.manager_id) is not None:
                    tally.deactivated.append(gone.user_name)
        await self._groups(tally, pulled.groups, ids)
        report = SyncReport(
            self.source,
            created=tuple(tally.created),
            updated=tuple(tally.updated),
            deactivated=tuple(tally.deactivated),
            groups_created=tuple(tally.groups_created),
            groups_updated=tuple(tally.groups_updated),
            groups_removed=tuple(tally.groups_removed),
            skipped=tuple(tally.skipped),
            unchanged=tally.unchanged,
        )
        await self._audit(report)
        return report

    # -- people -------------------------------------------------------------------------

    async def _refresh(
        self, tally: _Tally, user: PulledUser, before: _Known, ids: dict[str, str]
    ) -> None:
        manager = ids.get(user.manager_key) if user.manager_key else None
        wanted = (
            user.user_name.lower(),
            user.email.lower(),
            user.display_name,
            user.active,
            manager,
            user.tz,
            user.department,
        )
        have = (
            before.user_name,
            before.email,
            before.display_name,
            before.active,
            before.manager_id,
            before.tz,
            before.department,
        )
        if wanted == have:
            tally.unchanged += 1
            return
        if await self._write(tally, user, before.id, ids) is None:
            return
        if before.active and not user.active:
            tally.deactivated.append(user.user_name)
        else:
            tally.updated.append(user.user_name)

    async def _write(
        self,
        tally: _Tally,
        user: PulledUser,
        person_id: str | None,
        ids: dict[str, str],
        manager_id: str | None = None,
    ) -> str | None:
        """Create or replace one person through the SCIM storage; None when refused."""
        manager = ids.get(user.manager_key) if user.manager_key else manager_id
        data: dict[str, Any] = {
            "schemas": [USER, ENTERPRISE],
            "userName": user.user_name,
            "externalId": user.key,
            "displayName": user.display_name,
            "active": user.active,
            ENTERPRISE: {"department": user.department or None},
        }
        if user.email:
            data["emails"] = [{"value": user.email, "primary": True}]
        if user.tz:
            data["timezone"] = user.tz
        if manager and manager != person_id:
            data[ENTERPRISE]["manager"] = {"value": manager}
        try:
            if person_id is None:
                made = await self.storage.create(self._user_type, self._user(data))
                return str(made.id)
            data["id"] = person_id
            await self.storage.update(self._user_type, self._user(data))
            return person_id
        except (SCIMException, ValueError) as exc:
            tally.skipped.append((user.user_name or user.key, _why(exc)))
            return None

    def _user(self, data: dict[str, Any]) -> Resource[Any]:
        return self.storage.models["User"].model_validate(data)

    async def _known_people(self) -> dict[str, _Known]:
        prefix = f"{self.source}:"
        async with self.storage.store.transaction() as tx:
            query = select(DirectoryPerson).where(
                col(DirectoryPerson.external_id).startswith(prefix),
                col(DirectoryPerson.deleted).is_(False),
            )
            rows = list((await tx.exec(query)).all())
        return {
            str(r.external_id): _Known(
                r.id,
                r.user_name or "",
                r.email,
                r.display_name,
                r.active,
                r.manager_id,
                r.tz,
                r.department,
            )
            for r in rows
        }

    # -- groups -------------------------------------------------------------------------

    async def _groups(
        self, tally: _Tally, groups: tuple[PulledGroup, ...], ids: dict[str, str]
    ) -> None:
        prefix = f"{self.source}:"
        async with self.storage.store.transaction() as tx:
            query = select(DirectoryGroup).where(
                col(DirectoryGroup.external_id).startswith(prefix),
                col(DirectoryGroup.deleted).is_(False),
            )
            rows = {str(g.external_id): g for g in (await tx.exec(query)).all()}
            members = {g.id: set(await records.member_ids(tx, g.id)) for g in rows.values()}
        for group in groups:
            wanted = {ids[k] for k in group.members if k in ids}
            row = rows.get(group.key)
            if row is not None and row.display_name == group.name and members[row.id] == wanted:
                tally.unchanged += 1
                continue
            data: dict[str, Any] = {
                "schemas": [GROUP],
                "displayName": group.name,
                "externalId": group.key,
                "members": [{"value": m} for m in sorted(wanted)],
            }
            try:
                if row is None:
                    await self.storage.create(self._group_type, self._group(data))
                    tally.groups_created.append(group.name)
                else:
                    data["id"] = row.id
                    await self.storage.update(self._group_type, self._group(data))
                    tally.groups_updated.append(group.name)
            except (SCIMException, ValueError) as exc:
                tally.skipped.append((group.name, _why(exc)))
        for key in set(rows) - {g.key for g in groups}:
            await self.storage.delete(self._group_type, rows[key].id)
            tally.groups_removed.append(rows[key].display_name)

    def _group(self, data: dict[str, Any]) -> Resource[Any]:
        return self.storage.models["Group"].model_validate(data)

    async def _audit(self, report: SyncReport) -> None:
        async with self.storage.store.transaction() as tx:
            await audit.append(
                tx,
                audit.AuditRecord(
                    actor="directory-sync",
                    event="directory.synced",
                    platform="scheduler",
                    channel="-",
                    outcome="changed" if report.changed else "unchanged",
                    detail=report.as_json(),
                ),
            )


def _why(exc: BaseException) -> str:
    return str(getattr(exc, "detail", None) or exc).splitlines()[0][:200]
