"""Running the pull sync (chatbot/directory/pull.py) in a process: from the settings to the
connector that reads the identity provider, and to the SCIM storage that writes the
directory with every offboarding effect. Used by the `directory.sync` job and by
`chatops directory sync`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from chatbot.directory import scim_app
from chatbot.directory.pull import PullSync, SyncReport
from chatbot.errors import ConfigError
from skills.connectors.factory import connector
from skills.connectors.pulled import DirectorySource
from skills.connectors.secrets import load_secrets

if TYPE_CHECKING:
    from chatbot.app import Runtime


def source(rt: Runtime) -> DirectorySource | None:
    """The configured connector that can read a whole directory; None when sync is off."""
    name = rt.settings.identity.sync.source
    if not name:
        return None
    secrets = load_secrets(rt.settings.secrets_file)
    found = connector(name, rt.settings.connectors, secrets, asyncio.sleep)(rt.http)
    if not callable(getattr(found, "pull", None)):
        raise ConfigError(
            "settings",
            "identity.sync.source",
            f"the connector {name!r} cannot read a directory; use okta, entra or keycloak",
        )
    return found  # type: ignore[no-any-return]


async def sync_now(rt: Runtime) -> SyncReport | None:
    """Pull the directory once and write what changed; None when sync is off."""
    reader = source(rt)
    if reader is None:
        return None
    pulled = await reader.pull()
    directory = rt.assistant.directory
    # The same leaver path as SCIM's and the chat's: bundle items are removed too.
    offboard = rt.assistant.jml.offboarding()
    # Joiners and movers found by the pull get their bundles as SCIM's would.
    changed = rt.assistant.jml.joiners.directory_changed
    scim = scim_app.provider(rt.settings.scim)
    storage = scim_app.storage(scim, rt.store, directory, offboard, changed)
    return await PullSync(storage, rt.settings.identity.sync.source).apply(pulled)
