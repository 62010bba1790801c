"""Python skills from installed packages, re-read without a restart where Python allows it.

A newly installed distribution is a new entry point and a new module: scanning again (after
`importlib.invalidate_caches()`, so a fresh site-packages entry is seen) imports it, and the
next registry load includes its skills. An upgraded distribution whose module this process
already imported cannot be swapped in safely (Python keeps the old module object), so it is
reported as "restart needed" and the old code keeps running.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, packages_distributions, version

from skills.api import Skill

log = logging.getLogger(__name__)
OWN = "chatops-assistant"
OWN_PACKAGES = frozenset({"chatbot", "intents", "skills"})  # this project's import packages


def _top(skill: object) -> str:
    inner = getattr(skill, "inner", skill)  # WithSecrets wraps it
    return type(inner).__module__.split(".")[0]


def distributions(skills: Iterable[object]) -> Mapping[str, list[str]]:
    """`packages_distributions()` when some skill comes from outside this project, else
    nothing: the scan reads every installed distribution's file list, most of what a
    `chatops skills list` of built-in skills would otherwise cost."""
    if all(_top(skill) in OWN_PACKAGES for skill in skills):
        return {}
    return packages_distributions()


def origin(skill: object, dists: Mapping[str, list[str]] | None = None) -> tuple[str, str] | None:
    """(distribution, version) a skill's code came from; None for this project's own.
    `dists` is `packages_distributions()` (a tenth of a second: pass it in for many)."""
    top = _top(skill)
    if top in OWN_PACKAGES:
        return None
    for dist in (packages_distributions() if dists is None else dists).get(top, []):
        if dist == OWN:
            return None
        try:
            return dist, version(dist)
        except PackageNotFoundError:
            continue
    return None


def described(skill: object, dists: Mapping[str, list[str]] | None = None) -> str:
    """What `skills list` shows as a skill's source."""
    found = origin(skill, dists)
    return "builtin" if found is None else f"package {found[0]} {found[1]}"


@dataclass
class PackageWatch:
    """Rescans the entry points on every registry load. `scan` is `loader.packaged_skills`."""

    scan: Callable[[], list[Skill]]
    seen: dict[str, str] = field(default_factory=dict)  # distribution -> version loaded
    restart_needed: list[str] = field(default_factory=list)

    def start(self, skills: Iterable[Skill]) -> None:
        skills = list(skills)
        dists = distributions(skills)
        for skill in skills:
            found = origin(skill, dists)
            if found:
                self.seen.setdefault(*found)

    def rescan(self, known: Iterable[str]) -> list[Skill]:
        """Skills of distributions not loaded before; notes upgraded ones as restart-needed."""
        importlib.invalidate_caches()
        names = set(known)
        fresh: list[Skill] = []
        dists = packages_distributions()
        for skill in self.scan():
            found = origin(skill, dists)
            if found is None:
                continue
            dist, now = found
            was = self.seen.get(dist)
            if was is not None and was != now:
                note = f"package {dist} was upgraded from {was} to {now}: restart to use it"
                if note not in self.restart_needed:
                    self.restart_needed.append(note)
                    log.warning("%s", note)
                continue
            if skill.spec.name not in names:
                fresh.append(skill)
                self.seen.setdefault(dist, now)
        return fresh
