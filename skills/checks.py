"""Can this manifest work here? One check for `skills check`, `skills add`, the admin API and
the listing, so a skill that cannot work is refused when it is added (with what to set), not
"added" and then skipped by every server.

A manifest works when it parses with this deployment's allowed hosts, its name is free, each
connector it uses is configured with its settings and secrets, and each secret it declares
is set (secrets file or environment, read afresh on every check).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chatbot.errors import ChatOpsError, UserError
from skills.connectors.factory import available, connector
from skills.connectors.secrets import ENV_PREFIX, Secrets, scope_key
from skills.manifest import parse_manifest
from skills.manifest.load import Manifest


def _no_secrets() -> Secrets:
    return Secrets()


@dataclass(frozen=True)
class ManifestCheck:
    """`fixed` names built-in and packaged skills; `secrets` re-reads the secrets (file and
    environment) so a secret set after start-up counts."""

    fixed: Callable[[], Iterable[str]]
    allowed_hosts: tuple[str, ...] = ()
    connectors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    secrets: Callable[[], Secrets] = _no_secrets

    def validate(self, text: str, file: str, carried: Iterable[str] = ()) -> Manifest:
        """Parse and check (CPU work: async callers run it in a worker thread). `carried`:
        hosts a stored version brings with it (a restore brings back that version's)."""
        manifest = parse_manifest(text, file, (*self.allowed_hosts, *carried))
        problem = self.unusable(manifest, file)
        if problem is not None:
            raise UserError(problem)
        return manifest

    def unusable(self, manifest: Manifest, file: str) -> str | None:
        """Why this parsed manifest cannot work here, with what to set; None when it can."""
        name = manifest.model.name
        fixed = list(self.fixed())
        if name in fixed:
            return f"{file}: name: {name} is a built-in or packaged skill; pick another"
        # A manifest's secrets are those stored under its name; a built-in skill's scope
        # (vpn.reset is also vpn_reset) is not for a manifest to borrow.
        owner = next((f for f in fixed if scope_key(f) == scope_key(name)), None)
        if owner is not None:
            return (
                f"{file}: name: {name} is the secret scope of the built-in skill {owner}; "
                "pick another"
            )
        secrets = self.secrets()
        known = available()
        configured = sorted(set(self.connectors) & set(known))
        for step in manifest.model.all_steps():
            used = step.connector
            if used is None:
                continue
            if used not in configured:
                return (
                    f"{file}: connector: {used} is not configured (configured: "
                    f"{', '.join(configured) or 'none'}); add a [connectors.{used}] section "
                    "to the settings file"
                )
            try:
                connector(used, self.connectors, secrets, asyncio.sleep, known)
            except ChatOpsError as exc:
                return f"{file}: connector: {used} is not usable: {exc}"
        have = secrets.scope(name)
        for key in manifest.model.secrets:
            if not (have.get(key) or have.get(key.lower())):
                env = f"{ENV_PREFIX}{scope_key(name).upper()}__{key.upper()}"
                return (
                    f"{file}: secrets: {key} is not set; set {env} (on every server) or add "
                    f'{key} = "..." under [skills."{name}"] in the secrets file'
                )
        return None

    def reason(self, source: str, name: str, carried: Iterable[str] = ()) -> str | None:
        """For a stored version: why it would be skipped here, or None when it works."""
        try:
            hosts = (*self.allowed_hosts, *carried)
            return self.unusable(parse_manifest(source, name, hosts), name)
        except UserError as exc:
            return str(exc)


def hosts_of(manifest: Manifest) -> tuple[str, ...]:
    """The hosts a manifest's URL steps call (its rollback included), sorted: what a version
    carries, since the settings that allowed them allowed them for this manifest."""
    model = manifest.model
    steps = (*model.all_steps(), *((model.rollback,) if model.rollback else ()))
    found = {(urlsplit(s.url).hostname or "").lower() for s in steps if s.url}
    return tuple(sorted(h for h in found if h))


def carried(hosts: str) -> tuple[str, ...]:
    """A stored version's `hosts` column (space-separated) as a tuple."""
    return tuple(hosts.split())
