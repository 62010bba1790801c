"""What an identity provider's directory holds, in neutral records: the connectors that can
list their people and groups (Okta, Entra ID, Keycloak) answer with these, and the pull sync
(chatbot/directory/pull.py) writes them through the SCIM storage, as a SCIM push would.

`key` is the provider's own id, prefixed with the connector's name ("okta:00u1..."), so a
synced person is found again on the next run and never mixed with one pushed over SCIM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PulledUser:
    key: str
    user_name: str
    email: str
    display_name: str
    active: bool = True
    manager_key: str = ""
    tz: str = ""
    department: str = ""


@dataclass(frozen=True, slots=True)
class PulledGroup:
    key: str
    name: str
    members: tuple[str, ...] = ()  # user keys


@dataclass(frozen=True, slots=True)
class Pulled:
    users: tuple[PulledUser, ...]
    groups: tuple[PulledGroup, ...]


class DirectorySource(Protocol):
    """A connector that can read its whole directory (read only: nothing is changed there)."""

    async def pull(self) -> Pulled: ...
