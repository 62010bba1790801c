"""Granting and removing bundle items through the identity back end each item names.

"sandbox" is the sandbox identity provider (state in the access skills' key-value namespace,
where access.request's sandbox grants live too); any other name is an installed connector
implementing `IdentityProvider`, built from `[connectors.NAME]` and its secrets. Everything
is checked when `Backends` is built, so a bundle naming an unknown or unconfigured back end
stops start-up with the key to fix, not an onboarding halfway through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING

from chatbot.config import Bundle, Settings
from chatbot.errors import ConfigError
from chatbot.store.engine import Store
from chatbot.store.tables import JmlGrant
from skills.api import SkillError
from skills.builtin.sandbox import SandboxIdentity
from skills.connectors.factory import Make, available, connector
from skills.connectors.registry import implementing
from skills.connectors.secrets import load_secrets
from skills.kv import StoreKeyValue
from skills.ports import IdentityProvider

if TYPE_CHECKING:  # annotations only: `chatops skills list` never imports httpx
    import httpx

SANDBOX = "sandbox"
SANDBOX_NAMESPACE = "access"


def makers(settings: Settings, bundles: Mapping[str, Bundle]) -> dict[str, Make]:
    """The connector builder of each back end the bundles name (ConfigError when one is
    unknown, not an identity back end, or not configured)."""
    known = available()
    usable = implementing(IdentityProvider, known)
    found: dict[str, Make] = {}
    secrets = None
    for name, bundle in bundles.items():
        for index, item in enumerate(bundle.items):
            if item.backend == SANDBOX or item.backend in found:
                continue
            if item.backend not in usable:
                options = ", ".join((SANDBOX, *usable))
                key = f"bundles.{name}.items.{index}.backend"
                raise ConfigError(
                    "settings", key, f"unknown back end {item.backend!r}; use {options}"
                )
            secrets = secrets or load_secrets(settings.secrets_file)
            found[item.backend] = connector(
                item.backend, settings.connectors, secrets, asyncio.sleep, known
            )
    return found


class Backends:
    """The identity back ends of the bundles, each call one short remote call."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.store, self.bundles = store, settings.bundles
        self._settings = settings
        self._makers = makers(settings, settings.bundles)

    def include(self, extra: Mapping[str, Bundle]) -> None:
        """Bundles declared beyond the settings (skill manifests, chatbot/jml/catalog.py):
        their back ends are built too (ConfigError, nothing changed, when one cannot be)."""
        added = makers(self._settings, extra)
        self._makers.update(added)
        self.bundles = {**extra, **self._settings.bundles}

    def removable(self, row: JmlGrant) -> bool:
        """False for an item its bundle says is removed by hand (`remove = "ticket"`)."""
        bundle = self.bundles.get(row.bundle)
        items = bundle.items if bundle else ()
        found = [i for i in items if i.backend == row.backend and i.group == row.grant]
        return not found or found[0].remove == "group"

    def identity(self, backend: str, http: httpx.AsyncClient) -> IdentityProvider:
        if backend == SANDBOX:
            return SandboxIdentity(StoreKeyValue(self.store, SANDBOX_NAMESPACE))
        make = self._makers.get(backend)
        if make is None:  # a bundle changed since start-up
            raise SkillError(f"the back end {backend!r} is not configured any more")
        identity: IdentityProvider = make(http)
        return identity

    async def grant(
        self, backend: str, login: str, group: str, http: httpx.AsyncClient
    ) -> tuple[bool, str]:
        """(done, the back end's words or why not); a remote failure is an answer here."""
        import httpx  # here: the listings import this module without it

        try:
            return True, await self.identity(backend, http).add_to_group(login, group)
        except (SkillError, httpx.HTTPError) as exc:
            return False, str(exc) or type(exc).__name__

    async def remove(
        self, backend: str, login: str, group: str, http: httpx.AsyncClient
    ) -> tuple[bool, str]:
        import httpx  # here: the listings import this module without it

        try:
            return True, await self.identity(backend, http).remove_from_group(login, group)
        except (SkillError, httpx.HTTPError) as exc:
            return False, str(exc) or type(exc).__name__
