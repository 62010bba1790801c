"""The access bundles in force: the settings' `[bundles.NAME]` plus those the running skill
manifests declare (`bundles` in a manifest, the same shape).

A manifest's bundles come and go with the manifest: added, updated, disabled or removed, the
registry reloads and the next question here sees the new set. On a name both declare, the
settings win, and a warning says which manifest's bundle was left out (once per change). A
manifest bundle naming a role the settings do not define matches nobody by that role, also
said in a warning. The bundles' back ends (`Backends`) learn of the manifests' bundles here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from chatbot.config import Bundle, Settings
from chatbot.errors import ConfigError
from chatbot.jml.provision import Backends
from skills.manifest import ManifestSkill
from skills.registry import SkillRegistry

log = logging.getLogger(__name__)


def manifest_bundles(registry: SkillRegistry) -> dict[str, tuple[str, Bundle]]:
    """Bundle name -> (the manifest skill declaring it, the bundle), for running manifests
    (a disabled one's are not in force); the first manifest by name wins a clash."""
    found: dict[str, tuple[str, Bundle]] = {}
    for spec in sorted(registry.specs(), key=lambda s: s.name):
        skill = registry.get(spec.name)
        inner = getattr(skill, "inner", skill)
        if isinstance(inner, ManifestSkill):
            for name, bundle in inner.manifest.model.bundles.items():
                found.setdefault(name, (spec.name, bundle))
    return found


class BundleCatalog:
    def __init__(self, settings: Settings, registry: SkillRegistry, backends: Backends) -> None:
        self.settings, self.registry, self.backends = settings, registry, backends
        self._seen: dict[str, tuple[str, Bundle]] = {}
        self._merged: dict[str, Bundle] = dict(settings.bundles)

    def current(self) -> Mapping[str, Bundle]:
        """The bundles in force now (cheap: a look at the registry, work only on a change)."""
        declared = manifest_bundles(self.registry)
        if declared != self._seen:
            self._seen = declared
            self._merged = self._merge(declared)
        return self._merged

    def _merge(self, declared: dict[str, tuple[str, Bundle]]) -> dict[str, Bundle]:
        configured = self.settings.bundles
        extra: dict[str, Bundle] = {}
        for name, (skill, bundle) in declared.items():
            if name in configured:
                log.warning(
                    "bundle %s of skill manifest %s is left out: the settings declare "
                    "[bundles.%s], and the settings win",
                    name,
                    skill,
                    name,
                )
                continue
            for role in bundle.roles:
                if role not in self.settings.roles:
                    log.warning(
                        "bundle %s of skill manifest %s names role %r, which the settings "
                        "do not define: nobody gets it by that role",
                        name,
                        skill,
                        role,
                    )
            extra[name] = bundle
        try:
            self.backends.include(extra)
        except ConfigError as exc:  # a connector removed from the settings since it was added
            log.error("manifest bundles left out: %s", exc)
            extra = {}
        return {**extra, **configured}
