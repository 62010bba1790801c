"""Where the running skill set comes from, and how it is swapped in without a restart.

    built-in skills (on the back ends settings choose)
  + Python skills from installed packages (entry point group `chatops.skills`)
  + manifest skills from the database (current version of each)
  - every skill an admin disabled

`Reloader.check()` compares the registry head in the database with the one it loaded; when it
moved (a change here or on another replica), it builds the new set, retrains understanding in
a worker thread, and swaps both in one step, so no message sees half a change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from chatbot.types import Outcome
from skills import admin, replicas
from skills.api import Skill, SkillContext, SkillSpec
from skills.checks import ManifestCheck, carried
from skills.connectors.base import Sleep
from skills.connectors.factory import available, connector
from skills.connectors.secrets import Secrets, scope_key
from skills.manifest import ManifestSkill, parse_manifest
from skills.manifest.skill import spec_of
from skills.packages import PackageWatch
from skills.registry import Disabled, SkillRegistry

if TYPE_CHECKING:  # annotations only: `chatops skills list` never imports httpx
    import httpx

log = logging.getLogger(__name__)
GROUP = "chatops.skills"


def packaged_skills(group: str = GROUP) -> list[Skill]:
    """Skills from installed packages: an entry point names a Skill, a class, or a factory
    returning one or more. A broken package is logged and skipped, never fatal."""
    found: list[Skill] = []
    for ep in entry_points(group=group):
        try:
            obj = ep.load()
            made = obj if hasattr(obj, "spec") and not isinstance(obj, type) else obj()
            items = [made] if hasattr(made, "spec") else list(made)
            found += [s for s in items if isinstance(s, Skill)]
        except Exception:
            log.exception("skill entry point %s (%s) could not be loaded", ep.name, ep.value)
    return found


class WithSecrets:
    """Hands a skill its own secret scope, and nothing else, on every call."""

    def __init__(self, skill: Skill, secrets: Mapping[str, str]) -> None:
        self.inner, self.spec, self._secrets = skill, skill.spec, secrets

    async def preview(self, ctx: SkillContext) -> Outcome:
        return await self.inner.preview(replace(ctx, secrets=self._secrets))

    async def run(self, ctx: SkillContext) -> Outcome:
        return await self.inner.run(replace(ctx, secrets=self._secrets))


@dataclass
class SkillSource:
    """Builds the full skill set; `base` (built-ins, packages, admin skills) is built once."""

    base: list[Skill]
    secrets: Secrets
    allowed_hosts: tuple[str, ...]
    connectors: Mapping[str, Mapping[str, Any]]
    sleep: Sleep = asyncio.sleep
    # Re-reads the secrets file and environment on every load, so a secret set after start-up
    # reaches manifest skills with the next registry change, without a restart.
    reread: Callable[[], Secrets] | None = None
    # Rescans the `chatops.skills` entry points on every load: new distributions join `base`.
    packages: PackageWatch | None = None
    # What the last load skipped and why, by name (this replica's row in skill_replicas).
    skipped: dict[str, str] = field(default_factory=dict)

    def fixed_names(self) -> list[str]:
        return [s.spec.name for s in self.base]

    def connector_makers(self) -> dict[str, Callable[[httpx.AsyncClient], Any]]:
        makers: dict[str, Callable[[httpx.AsyncClient], Any]] = {}
        if not self.connectors:  # nothing configured: no entry-point scan needed
            return makers
        known = available()
        for name in self.connectors:
            if name in known:
                try:
                    makers[name] = connector(name, self.connectors, self.secrets, self.sleep, known)
                except Exception:
                    log.warning(
                        "connector %s is not usable by manifests (settings or secret)", name
                    )
        return makers

    def reserved_scopes(self) -> frozenset[str]:
        """Secret scopes that belong to connectors and built-in or packaged skills."""
        names = [*available(), *self.connectors, *self.fixed_names()]
        return frozenset(scope_key(n) for n in names)

    def manifest_secrets(self, name: str) -> Mapping[str, str]:
        """A manifest gets the secrets stored under its own name, and never a reserved scope
        (checked when added too; this holds for manifests stored before that check)."""
        if scope_key(name) in self.reserved_scopes():
            log.warning("manifest skill %s: its name is a reserved secret scope; no secrets", name)
            return {}
        return self.secrets.scope(name)

    def _parse(self, rows: list[Any]) -> list[Any]:
        """Parse the running manifests (in a worker thread: it is CPU work). One that cannot
        work here (host no longer allowed, secret or connector missing) is skipped, for the
        reason `skills list` shows."""
        check = ManifestCheck(list, self.allowed_hosts, self.connectors, lambda: self.secrets)
        parsed = []
        self.skipped = {}
        for row in rows:
            where = f"{row.name} v{row.version}"
            try:
                hosts = (*self.allowed_hosts, *carried(row.hosts))
                manifest = parse_manifest(row.source, where, hosts)
                why = check.unusable(manifest, where)
            except Exception as exc:  # settings changed under it (e.g. a host no longer allowed)
                manifest, why = None, str(exc)
            if why is not None:
                log.error("manifest skill %s skipped: %s", where, why)
                self.skipped[row.name] = why
                manifest = None
            parsed.append(manifest)
        return parsed

    async def load(self, store: Any) -> list[Skill]:
        if self.reread is not None:
            self.secrets = self.reread()
        if self.packages is not None:
            found = await asyncio.to_thread(self.packages.rescan, self.fixed_names())
            for skill in found:
                log.info("skill %s from a newly installed package", skill.spec.name)
            self.base += found
        states = await admin.states(store)
        makers = self.connector_makers()
        skills: list[Skill] = [
            WithSecrets(s, self.secrets.scope(s.spec.name))
            if states.get(s.spec.name) is None or states[s.spec.name].enabled
            else Disabled(s.spec)
            for s in self.base
        ]
        fixed = set(self.fixed_names())
        running = [(r, on) for r, on in await admin.running_manifests(store) if r.name not in fixed]
        manifests = await asyncio.to_thread(self._parse, [r for r, _ in running])
        for (row, enabled), manifest in zip(running, manifests, strict=True):
            if manifest is None:
                continue
            if not enabled:
                skills.append(Disabled(spec_of(manifest)))
                continue
            hosts = (*self.allowed_hosts, *carried(row.hosts))
            skill = ManifestSkill(manifest, hosts, makers, self.sleep, row.version)
            skills.append(WithSecrets(skill, self.manifest_secrets(row.name)))
        # A removed manifest stays known by name (waiting requests end cleanly) but its text
        # is never parsed again: whatever it held, it costs nothing from now on.
        for name in await admin.removed_manifests(store):
            if name not in fixed:
                skills.append(Disabled(SkillSpec(name, "removed by an admin")))
        return skills


class Reloader:
    """Keeps one replica's registry and understanding in step with the database, and writes
    what it loaded to the replica's row (skills.replicas) for listings on any machine."""

    def __init__(
        self,
        store: Any,
        registry: SkillRegistry,
        source: SkillSource,
        retrain: Callable[[SkillRegistry], Any],
        swap: Callable[[Any], None],
    ) -> None:
        self.store, self.registry, self.source = store, registry, source
        self._retrain, self._swap = retrain, swap
        self.loaded = -1
        self.replica = replicas.replica_id()
        self._lock = asyncio.Lock()
        self._touched = 0.0

    async def check(self) -> bool:
        """Reload when the registry head moved; True when something changed."""
        async with self._lock:
            current = await admin.head(self.store)
            if current == self.loaded:
                await self._touch()
                return False
            fresh = SkillRegistry(await self.source.load(self.store))
            understander = await asyncio.to_thread(self._retrain, fresh)
            self.registry.replace(fresh)  # both swaps happen with no await in between
            self._swap(understander)
            self.loaded = current
            log.info("skill registry %s loaded: %d skills", current, len(fresh))
            await self.report()
            return True

    async def report(self) -> None:
        """Write this replica's row: the version loaded, what runs, what was skipped."""
        watch = self.source.packages
        await replicas.record(
            self.store,
            self.replica,
            self.loaded,
            running_versions(self.registry),
            dict(self.source.skipped),
            list(watch.restart_needed) if watch else [],
        )
        self._touched = time.monotonic()

    async def _touch(self) -> None:
        if time.monotonic() - self._touched >= replicas.TOUCH_SECONDS:
            await replicas.touch(self.store, self.replica)
            self._touched = time.monotonic()

    async def run(self, every: float) -> None:
        try:
            await self.report()
        except Exception:
            log.exception("could not record this replica's skill registry state")
        try:
            while True:
                await asyncio.sleep(every)
                try:
                    await self.check()
                except Exception:
                    log.exception("skill registry reload failed; the running set is unchanged")
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(replicas.forget(self.store, self.replica))


def running_versions(registry: SkillRegistry) -> dict[str, int]:
    """Skills in service on this replica: manifest version, 0 for code."""
    found = {}
    for spec in registry.specs():
        skill = registry.get(spec.name)
        inner = getattr(skill, "inner", skill)
        found[spec.name] = inner.version if isinstance(inner, ManifestSkill) else 0
    return found
