"""Identity: a platform user becomes one person with roles, matched by email.

The directory lives in the database (seeded from the TOML file, fed by SCIM); this process
keeps an index of it in memory (by name, by email, by chat link), so resolving the sender of a
message is a dictionary look-up, never a scan, whatever the size of the company. `refresh`
loads only what changed since the version it last saw (a SCIM write on this process refreshes
at once; other replicas poll `identity.refresh_seconds`).

Local platforms (web demo picker, shell, CLI) name the person directly; chat platforms give an
email, matched once and then remembered as a chat link. Anyone the directory does not know,
and anyone deactivated, is a guest with no roles.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.exc import IntegrityError

from chatbot.config import Settings
from chatbot.directory import records
from chatbot.directory.records import GroupRecord, PersonRecord
from chatbot.times import Zone
from chatbot.types import Message, Principal

if TYPE_CHECKING:
    from chatbot.store.engine import Store

# Platforms where the sender is named by the deployment itself (the web picker, a terminal),
# not by a chat service; only there does a bare name identify a person.
LOCAL_PLATFORMS = frozenset({"web", "shell", "cli", "bench", "test", "scheduler"})


class RoleSource(Protocol):
    def roles_of(self, principal: Principal) -> tuple[str, ...]: ...


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower() if "@" in email else ""


class Directory:
    def __init__(self, settings: Settings) -> None:
        self._identity = settings.identity
        # The zone said times use for someone the directory gives none (times.Zone own=False).
        self.default_zone = settings.conversation.timezone
        self._settings_people = settings.people
        self._group_roles: dict[str, tuple[str, ...]] = {
            name: group.roles for name, group in settings.groups.items()
        }
        for name, roles in settings.identity.group_roles.items():
            self._group_roles[name] = (*self._group_roles.get(name, ()), *roles)
        self._people: dict[str, PersonRecord] = {}
        self._groups: dict[str, GroupRecord] = {}
        self._groups_of: dict[str, set[str]] = {}
        self._links: dict[tuple[str, str, str], str] = {}
        self.principals: dict[str, Principal] = {}
        self._by_email: dict[str, Principal] = {}
        self._by_id: dict[str, Principal] = {}
        self._id_of: dict[str, str] = {}  # active person's name -> id
        self._inactive: dict[str, Principal] = {}
        self._zones: dict[str, str] = {}  # person's name -> their own zone, when they have one
        self._reports: dict[str, set[str]] = {}
        self._holders: dict[tuple[str, int], list[Principal]] = {}
        self.version = 0
        self._lock = asyncio.Lock()
        seeded = [
            PersonRecord(
                id=f"config:{name}",
                name=name,
                email=p.email.lower(),
                display_name=p.display_name or name,
                tz=p.tz,
                department=p.department,
                roles=p.roles,
                manager_id=f"config:{p.manager.lower()}" if p.manager else None,
                source=records.CONFIG,
            )
            for name, p in settings.people.items()
        ]
        groups: dict[str, set[str]] = {}
        for name, p in settings.people.items():
            for g in p.groups:
                groups.setdefault(g, set()).add(f"config:{name}")
        self._apply(
            seeded, [GroupRecord(f"config:{g}", g, frozenset(m)) for g, m in groups.items()]
        )

    # -- reading ------------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.principals)

    def find(self, who: str) -> Principal | None:
        """An active person by name or email."""
        key = who.strip().lower()
        return self.principals.get(key) or self._by_email.get(key)

    def find_any(self, who: str) -> Principal | None:
        """A person by name or email, deactivated ones too (for history and offboarding)."""
        return self.find(who) or self._inactive.get(who.strip().lower())

    def active(self, name: str) -> bool:
        return name in self.principals

    def resolve(self, message: Message) -> Principal:
        """The person behind a message; a guest when unknown or deactivated."""
        known: Principal | None = None
        linked = self._links.get(self.link_key(message))
        if linked is not None:
            known = self._by_id.get(linked) or self._gone(linked, message)
        elif message.email:
            key = message.email.strip().lower()
            known = self._by_email.get(key) or self._inactive.get(key)
        if known is None and message.platform in LOCAL_PLATFORMS:
            known = self.find_any(message.user_id)
        if known is not None:
            return known
        who = message.email or message.user_id
        return Principal(name=who, email=message.email or "", display_name=who, guest=True)

    def _gone(self, person_id: str, message: Message) -> Principal:
        record = self._people.get(person_id)
        name = record.name if record else message.user_id
        return self._inactive.get(name) or Principal(name, "", name, guest=True, active=False)

    def source_of(self, name: str) -> str | None:
        """Where an active person's entry came from: `config` (the settings file) or `scim`."""
        record = self._people.get(self._id_of.get(name, ""))
        return record.source if record else None

    def name_of(self, person_id: str) -> str | None:
        record = self._people.get(person_id)
        return record.name if record else None

    def zone(self, name: str | None) -> Zone:
        """The clock a person reads times on: their directory `tz`, else the configured
        default (marked as not their own, so the time is said with its zone). None, or a
        channel, reads the default."""
        person = self.find_any(name) if name else None
        own = self._zones.get(person.name, "") if person is not None else ""
        return Zone(own) if own else Zone(self.default_zone, own=False)

    def manager_of(self, principal: Principal) -> Principal | None:
        return self.find(principal.manager) if principal.manager else None

    def manager_name(self, who: str) -> str | None:
        """The name of the manager the directory names for a person (by name or email),
        for RBAC grants that cover a manager's reports; nobody manages themselves."""
        person = self.find_any(who)
        if person is None or person.manager == person.name:
            return None
        return person.manager

    def acting_manager(self, principal: Principal) -> Principal | None:
        """The manager, or when they left, the first active one above them: a leaver's
        pending approvals go to their own manager (offboarding hands them over)."""
        seen = {principal.name}
        name = principal.manager
        while name and name not in seen:
            seen.add(name)
            person = self.find_any(name)
            if person is None:
                return None
            if self.active(person.name):
                return person
            name = person.manager
        return None

    def with_role(self, role: str, roles: RoleSource) -> Iterable[Principal]:
        if role.startswith("@manager:"):
            manager = self.principals.get(role.partition(":")[2])
            return [manager] if manager else []
        key = (role, self.version)
        found = self._holders.get(key)
        if found is None:
            # One scan per role and directory version (not per request): 50,000 people cost
            # tens of milliseconds, once, after each change.
            if len(self._holders) > 256:
                self._holders.clear()
            found = [p for p in self.principals.values() if role in roles.roles_of(p)]
            self._holders[key] = found
        return found

    # -- chat links ---------------------------------------------------------------------

    @staticmethod
    def link_key(message: Message) -> tuple[str, str, str]:
        return (message.platform, message.tenant, message.user_id)

    def needs_link(self, message: Message, principal: Principal) -> bool:
        """A chat user matched by email for the first time: the link is stored once."""
        return (
            message.platform not in LOCAL_PLATFORMS
            and not principal.guest
            and bool(message.email)
            and self.link_key(message) not in self._links
        )

    async def remember_link(self, store: Store, message: Message, principal: Principal) -> None:
        person_id = self._id_of.get(principal.name)
        if person_id is None:
            return
        try:
            async with store.transaction() as tx:
                await records.link(tx, *self.link_key(message), person_id)
        except IntegrityError:
            pass  # another replica stored the same link a moment ago
        self._links[self.link_key(message)] = person_id

    # -- loading ------------------------------------------------------------------------

    async def load(self, store: Store) -> None:
        """Seed the TOML people into the database, then index the whole directory."""
        try:
            async with store.transaction() as tx:
                await records.seed(tx, self._settings_people)
        except IntegrityError:
            # Another replica seeded the same rows at the same moment; its rows are ours.
            async with store.transaction() as tx:
                await records.seed(tx, self._settings_people)
        self._reset()
        await self.refresh(store)

    async def refresh(self, store: Store) -> bool:
        """Load what changed since the last version seen; True when something did."""
        async with self._lock:
            async with store.transaction() as tx:
                moved = await records.changes(tx, self.version)
            if moved.head <= self.version:
                return False
            self._links.update(dict(moved.links))
            self._apply(moved.people, moved.groups)
            self.version = moved.head
            return True

    async def run(self, store: Store, every: float) -> None:
        """Follow changes made by other replicas (a background task of the server)."""
        while True:
            await asyncio.sleep(every)
            await self.refresh(store)

    def _reset(self) -> None:
        self._people.clear()
        self._groups.clear()
        self._groups_of.clear()
        self.principals.clear()
        self._by_email.clear()
        self._by_id.clear()
        self._id_of.clear()
        self._inactive.clear()
        self._zones.clear()
        self._reports.clear()
        self.version = 0

    def _apply(self, people: Iterable[PersonRecord], groups: Iterable[GroupRecord]) -> None:
        touched: set[str] = set()
        for record in people:
            old_person = self._people.get(record.id)
            if old_person is not None and old_person.manager_id:
                self._reports.get(old_person.manager_id, set()).discard(record.id)
            if record.manager_id:
                self._reports.setdefault(record.manager_id, set()).add(record.id)
            self._people[record.id] = record
            touched.add(record.id)
        for group in groups:
            old = self._groups.get(group.id)
            before = old.members if old and not old.deleted else frozenset()
            after = group.members if not group.deleted else frozenset()
            for pid in before - after:
                self._groups_of.get(pid, set()).discard(group.id)
            for pid in after:
                self._groups_of.setdefault(pid, set()).add(group.id)
            self._groups[group.id] = group
            touched |= before | after
        # Whoever reports to a changed person names them as manager: rebuild those too.
        touched |= {r for pid in list(touched) for r in self._reports.get(pid, ())}
        for pid in touched:
            self._index(pid)

    def _index(self, pid: str) -> None:
        record = self._people.get(pid)
        if record is None:
            return
        old = self._by_id.pop(pid, None)
        if old is not None:
            self.principals.pop(old.name, None)
            self._by_email.pop(old.email, None)
            self._id_of.pop(old.name, None)
        for key in (record.name, record.email):
            stale = self._inactive.get(key)
            if stale is not None and stale.name == record.name:
                self._inactive.pop(key, None)
        principal = self._principal(record)
        if record.tz:
            self._zones[record.name] = record.tz
        else:
            self._zones.pop(record.name, None)
        if record.deleted:
            self._inactive[record.name] = principal
            return
        if not record.active:
            self._inactive[record.name] = principal
            if record.email:
                self._inactive[record.email] = principal
            return
        self._by_id[pid] = principal
        self._id_of[record.name] = pid
        self.principals[record.name] = principal
        if record.email:
            self._by_email[record.email] = principal

    def _principal(self, record: PersonRecord) -> Principal:
        groups = sorted(
            self._groups[g].display_name
            for g in self._groups_of.get(record.id, ())
            if g in self._groups and not self._groups[g].deleted
        )
        sources: dict[str, str] = {}
        for role in record.roles:
            sources.setdefault(role, "directory entry")
        for group in groups:
            for role in self._group_roles.get(group, ()):
                sources.setdefault(role, f"group {group}")
        domain = _domain(record.email)
        if domain and domain in self._identity.domains:
            for role in self._identity.default_roles:
                sources.setdefault(role, f"company domain {domain}")
        manager = self._people.get(record.manager_id or "")
        usable = record.active and not record.deleted
        return Principal(
            name=record.name,
            email=record.email,
            display_name=record.display_name or record.name,
            roles=frozenset(sources) if usable else frozenset(),
            groups=frozenset(groups) if usable else frozenset(),
            guest=not usable,
            manager=manager.name if manager else None,
            tz=record.tz or self.default_zone,
            role_sources=tuple(sources.items()),
            active=usable,
        )
