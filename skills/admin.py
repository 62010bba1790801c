"""Changing the skill registry: add, disable, enable, remove, restore. One place for all.

The CLI, the admin API and the chat skill call these; each change is one transaction holding
the new state, its audit entry and a bump of the registry head, so a change is either fully
there (and every replica picks it up) or not there at all. A manifest is validated before the
transaction starts: a bad one changes nothing.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.errors import NotFound, Refused, UserError
from chatbot.governance import audit
from chatbot.store.engine import Store
from chatbot.store.tables import SkillRegistryHead, SkillState, SkillVersion
from chatbot.types import utcnow
from skills.checks import ManifestCheck, carried, hosts_of
from skills.connectors.secrets import Secrets
from skills.manifest import parse_manifest
from skills.manifest.load import Manifest
from skills.packages import described, distributions


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes the registry, and through what (cli, api, chat)."""

    name: str
    platform: str
    channel: str = "admin"


UNCHANGED = "skill.unchanged"


@dataclass(frozen=True, slots=True)
class Change:
    name: str
    event: str
    version: int | None = None

    @property
    def changed(self) -> bool:
        return self.event != UNCHANGED

    def text(self) -> str:
        if not self.changed:
            return (
                f"Skill {self.name} is unchanged: version {self.version} is already this "
                "manifest, so nothing was added."
            )
        what = self.event.removeprefix("skill.")
        at = f" (version {self.version})" if self.version else ""
        return f"Skill {self.name} {what}{at}."


async def head(store: Store) -> int:
    async with store.transaction() as tx:
        row = await tx.get(SkillRegistryHead, 1)
        return row.version if row else 0


async def states(store: Store) -> dict[str, SkillState]:
    async with store.transaction() as tx:
        return {s.name: s for s in (await tx.exec(select(SkillState))).all()}


async def running_manifests(store: Store) -> list[tuple[SkillVersion, bool]]:
    """The current version of every manifest skill that is not removed, with its enabled flag."""
    async with store.transaction() as tx:
        rows = await tx.exec(
            select(SkillVersion, SkillState)
            .join(SkillState, col(SkillState.name) == col(SkillVersion.name))
            .where(col(SkillState.version) == col(SkillVersion.version))
            .order_by(col(SkillVersion.name))
        )
        return [(v, s.enabled) for v, s in rows.all()]


async def latest_manifests(store: Store) -> list[tuple[SkillVersion, bool]]:
    """Every manifest skill: the current version with its enabled flag; for a removed one,
    its last version, as not enabled (kept known so waiting requests end cleanly)."""
    running = await running_manifests(store)
    names = {v.name for v, _ in running}
    async with store.transaction() as tx:
        removed = (
            await tx.exec(
                select(SkillState).where(
                    SkillState.kind == "manifest", col(SkillState.version).is_(None)
                )
            )
        ).all()
    for state in removed:
        history = await versions(store, state.name)
        if history and state.name not in names:
            running.append((history[-1], False))
    return running


async def versions(store: Store, name: str) -> list[SkillVersion]:
    async with store.transaction() as tx:
        rows = await tx.exec(
            select(SkillVersion)
            .where(SkillVersion.name == name)
            .order_by(col(SkillVersion.version))
        )
        return list(rows.all())


class SkillAdmin:
    """`fixed` lists the names of built-in and packaged skills (not replaceable by manifests)."""

    def __init__(
        self,
        store: Store,
        fixed: Callable[[], Iterable[str]],
        allowed_hosts: Iterable[str] = (),
        connectors: Mapping[str, Mapping[str, Any]] | None = None,
        secrets: Callable[[], Secrets] | None = None,
    ) -> None:
        self.store, self._fixed = store, fixed
        self.allowed_hosts = tuple(allowed_hosts)
        self.check = ManifestCheck(
            fixed, self.allowed_hosts, dict(connectors or {}), secrets or Secrets
        )

    def validate(self, text: str, file: str, hosts: Iterable[str] = ()) -> Manifest:
        """Parse and check that it can work here (CPU work: callers use a worker thread)."""
        return self.check.validate(text, file, hosts)

    @staticmethod
    async def _lock(tx: AsyncSession) -> None:
        """Registry changes queue on the head row, so two admins never pick one version."""
        await tx.exec(select(SkillRegistryHead).where(SkillRegistryHead.id == 1).with_for_update())

    async def _commit(
        self, tx: AsyncSession, actor: Actor, change: Change, **detail: object
    ) -> Change:
        await tx.exec(  # type: ignore[call-overload]
            update(SkillRegistryHead)
            .where(col(SkillRegistryHead.id) == 1)
            .values(version=SkillRegistryHead.version + 1)
        )
        record = audit.AuditRecord(
            actor=actor.name,
            event=change.event,
            platform=actor.platform,
            channel=actor.channel,
            skill=change.name,
            outcome="ok",
            detail={"version": change.version, **detail},
        )
        await audit.append(tx, record)
        return change

    @staticmethod
    async def _current_if_same(tx: AsyncSession, manifest: Manifest) -> int | None:
        """The current version's number when it is enabled and holds exactly this manifest."""
        state = await tx.get(SkillState, manifest.model.name)
        if state is None or state.version is None or not state.enabled:
            return None
        current = (
            await tx.exec(
                select(SkillVersion).where(
                    SkillVersion.name == state.name, SkillVersion.version == state.version
                )
            )
        ).first()
        sha = hashlib.sha256(manifest.source.encode()).hexdigest()
        return state.version if current is not None and current.sha256 == sha else None

    async def _new_version(
        self, tx: AsyncSession, manifest: Manifest, actor: Actor, hosts: Iterable[str] = ()
    ) -> int:
        """A new version carrying the hosts it calls (allowed by the settings that checked
        it, plus `hosts` a restored version brought): replicas accept them as allowed."""
        name = manifest.model.name
        last = (
            await tx.exec(
                select(SkillVersion.version)
                .where(SkillVersion.name == name)
                .order_by(col(SkillVersion.version).desc())
            )
        ).first()
        number = (last or 0) + 1
        tx.add(
            SkillVersion(
                name=name,
                version=number,
                format=manifest.format,
                source=manifest.source,
                sha256=hashlib.sha256(manifest.source.encode()).hexdigest(),
                created_by=actor.name,
                created_at=utcnow(),
                hosts=" ".join(sorted({*hosts_of(manifest), *hosts})),
            )
        )
        state = await tx.get(SkillState, name)
        if state is None:
            state = SkillState(
                name=name, kind="manifest", updated_by=actor.name, updated_at=utcnow()
            )
        state.version, state.enabled = number, True
        state.updated_by, state.updated_at = actor.name, utcnow()
        tx.add(state)
        await tx.flush()
        return number

    async def add(self, text: str, file: str, actor: Actor) -> Change:
        manifest = await asyncio.to_thread(self.validate, text, file)
        async with self.store.transaction() as tx:
            await self._lock(tx)
            same = await self._current_if_same(tx, manifest)
            if same is not None:  # re-posting the running manifest: no version, no reload
                return Change(manifest.model.name, UNCHANGED, same)
            number = await self._new_version(tx, manifest, actor)
            sha = hashlib.sha256(text.encode()).hexdigest()
            change = Change(manifest.model.name, "skill.added", number)
            return await self._commit(tx, actor, change, format=manifest.format, sha256=sha)

    async def restore(self, name: str, version: int, actor: Actor) -> Change:
        old = next((v for v in await versions(self.store, name) if v.version == version), None)
        if old is None:
            raise NotFound(f"skill {name} has no version {version}; see 'chatops skills versions'")
        hosts = carried(old.hosts)
        where = f"{name} version {version}"
        manifest = await asyncio.to_thread(self.validate, old.source, where, hosts)
        async with self.store.transaction() as tx:
            await self._lock(tx)
            number = await self._new_version(tx, manifest, actor, hosts)
            change = Change(name, "skill.restored", number)
            return await self._commit(tx, actor, change, restored_from=version)

    async def reload(self, actor: Actor) -> Change:
        """Make every replica load the skill set again (packages rescanned, secrets re-read)."""
        async with self.store.transaction() as tx:
            await self._lock(tx)
            return await self._commit(tx, actor, Change("*", "skill.reload"))

    async def set_enabled(self, name: str, enabled: bool, actor: Actor) -> Change:
        fixed = name in set(self._fixed())
        async with self.store.transaction() as tx:
            await self._lock(tx)
            state = await tx.get(SkillState, name)
            if state is None or (state.kind == "manifest" and state.version is None):
                if not fixed:
                    raise NotFound(f"there is no skill named {name!r}; see 'chatops skills list'")
                state = SkillState(
                    name=name, kind="builtin", updated_by=actor.name, updated_at=utcnow()
                )
            if state.enabled == enabled:
                raise Refused(f"skill {name} is already {'enabled' if enabled else 'disabled'}")
            state.enabled, state.updated_by, state.updated_at = enabled, actor.name, utcnow()
            tx.add(state)
            event = "skill.enabled" if enabled else "skill.disabled"
            return await self._commit(tx, actor, Change(name, event, state.version))

    async def remove(self, name: str, actor: Actor) -> Change:
        if name in set(self._fixed()):
            raise Refused(f"{name} is a built-in or packaged skill; disable it instead")
        async with self.store.transaction() as tx:
            await self._lock(tx)
            state = await tx.get(SkillState, name)
            if state is None or state.version is None:
                raise NotFound(f"there is no manifest skill named {name!r}")
            was = state.version
            state.version, state.updated_by, state.updated_at = None, actor.name, utcnow()
            tx.add(state)
            return await self._commit(tx, actor, Change(name, "skill.removed", was))


def diff(previous: SkillVersion | None, current: SkillVersion) -> str:
    """A unified diff of a version against the one before it (all added for the first)."""
    old = previous.source.splitlines(keepends=True) if previous else []
    lines = difflib.unified_diff(
        old,
        current.source.splitlines(keepends=True),
        f"{current.name} v{previous.version}" if previous else "/dev/null",
        f"{current.name} v{current.version}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True, slots=True)
class Listed:
    """One line of `skills list` / GET /api/skills, disabled skills included."""

    name: str
    kind: str
    enabled: bool
    version: int | None
    description: str
    risk: str
    side_effect: bool
    state: str = "active"  # active, disabled, or "skipped: why" (cannot work here)
    source: str = "builtin"  # builtin, "package NAME VERSION", or manifest
    replicas: tuple[tuple[str, str], ...] = ()  # (replica, its state of this skill)

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "enabled": self.enabled,
            "state": self.state,
            "source": self.source,
            "version": self.version,
            "description": self.description,
            "risk": self.risk,
            "side_effect": self.side_effect,
            "replicas": dict(self.replicas),
        }


def _spec_or_none(row: SkillVersion) -> Any:
    from skills.manifest.skill import spec_of

    try:
        return spec_of(parse_manifest(row.source, row.name))
    except UserError:
        return None


async def removed_manifests(store: Store) -> list[str]:
    """Names of manifest skills an admin removed (their versions are kept, never parsed)."""
    async with store.transaction() as tx:
        rows = await tx.exec(
            select(SkillState.name).where(
                SkillState.kind == "manifest", col(SkillState.version).is_(None)
            )
        )
        return list(rows.all())


async def listing(
    store: Store,
    base: Iterable[object],
    check: ManifestCheck | None = None,
    dists: Mapping[str, list[str]] | None = None,
) -> list[Listed]:
    """Built-in and packaged skills (`base`), then manifest skills, each with its state: a
    manifest that cannot work with this process's settings and secrets (`check`) is listed as
    skipped with the reason, as the servers skip it, instead of vanishing from the list.
    `dists` is `packages_distributions()` when the caller keeps it (half a second to scan the
    installed packages: a page that lists skills on every view passes it in)."""

    known = await states(store)
    rows: list[Listed] = []
    base = list(base)
    if dists is None:
        dists = await asyncio.to_thread(distributions, base)
    for skill in base:
        spec = skill.spec  # type: ignore[attr-defined]
        state = known.get(spec.name)
        enabled = state is None or state.enabled
        source = described(skill, dists)
        rows.append(
            Listed(
                spec.name,
                "builtin" if source == "builtin" else "package",
                enabled,
                None,
                spec.description,
                spec.risk.value,
                spec.side_effect,
                "active" if enabled else "disabled",
                source,
            )
        )
    running = await running_manifests(store)

    def examine(row: SkillVersion) -> tuple[Any, str | None]:
        why = check.reason(row.source, row.name, carried(row.hosts)) if check else None
        return _spec_or_none(row), why

    found = await asyncio.to_thread(lambda: [examine(row) for row, _ in running])
    for (row, enabled), (spec, why) in zip(running, found, strict=True):
        shown = "disabled" if not enabled else "active" if why is None else f"skipped: {why}"
        rows.append(
            Listed(
                row.name,
                "manifest",
                enabled,
                row.version,
                spec.description if spec else "(this version cannot be read)",
                spec.risk.value if spec else "unknown",
                spec.side_effect if spec else True,
                shown,
                "manifest",
            )
        )
    return rows
