"""Identity: a platform user becomes one person with roles, matched by email.

Local platforms (web demo picker, shell, CLI) name the person directly; chat platforms give an
email. Anyone the directory does not know becomes a guest with no roles, and is told so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from chatbot.config import Settings
from chatbot.types import Message, Principal

# Platforms where the sender is named by the deployment itself (the web picker, a terminal),
# not by a chat service; only there does a bare name identify a person.
LOCAL_PLATFORMS = frozenset({"web", "shell", "cli", "bench", "test", "scheduler"})


class RoleSource(Protocol):
    def roles_of(self, principal: Principal) -> tuple[str, ...]: ...


class Directory:
    def __init__(self, settings: Settings) -> None:
        self.principals: dict[str, Principal] = {
            name: Principal(
                name=name,
                email=person.email.lower(),
                display_name=person.display_name or name,
                roles=frozenset(person.roles),
                groups=frozenset(person.groups),
            )
            for name, person in settings.people.items()
        }
        self._by_email = {p.email: p for p in self.principals.values()}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.principals)

    def find(self, who: str) -> Principal | None:
        key = who.strip().lower()
        return self.principals.get(key) or self._by_email.get(key)

    def resolve(self, message: Message) -> Principal:
        """The person behind a message; a guest when the directory does not know them."""
        known = message.email and self._by_email.get(message.email.strip().lower())
        if not known and message.platform in LOCAL_PLATFORMS:
            known = self.find(message.user_id)
        if known:
            return known
        who = message.email or message.user_id
        return Principal(name=who, email=message.email or "", display_name=who, guest=True)

    def with_role(self, role: str, roles: RoleSource) -> Iterable[Principal]:
        return (p for p in self.principals.values() if role in roles.roles_of(p))
