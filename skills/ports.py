"""What a built-in skill needs from a back end, one small protocol per kind of system.

Each protocol has a sandbox implementation (skills.builtin.sandbox, state in the skill's
key-value store) and at least one real one (skills.connectors.*). The skills in skills.builtin
are written against these, so a back end is configuration, not code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from chatbot.types import Principal
from skills.api import Progress


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    summary: str
    priority: str
    state: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    url: str = ""


class Pipeline(Protocol):
    """A CI/CD system that deploys: GitHub Actions, Jenkins, Argo CD."""

    async def trigger(
        self, inputs: Mapping[str, str], request_id: str, progress: Progress, rollback: bool
    ) -> str: ...


class Orchestrator(Protocol):
    """Restarts a service in an environment: Kubernetes."""

    async def restart(self, service: str, env: str, progress: Progress) -> str: ...


class IdentityProvider(Protocol):
    """Accounts and groups: Okta, Keycloak, Entra ID. `remove_from_group` is the revoke
    operation access.revoke and the expiry revoker call."""

    async def end_sessions(self, login: str) -> str: ...

    async def reset_password(self, login: str) -> str: ...

    async def unlock(self, login: str) -> str: ...

    async def add_to_group(self, login: str, resource: str) -> str: ...

    async def remove_from_group(self, login: str, resource: str) -> str: ...


class AccountLifecycle(Protocol):
    """Optional beside IdentityProvider: a back end that can disable an account offers it,
    and offboarding uses it when present (one that cannot is reported, not guessed at)."""

    async def disable(self, login: str) -> str: ...


class TicketSystem(Protocol):
    """Incidents and changes: ServiceNow, Jira."""

    async def create(self, person: Principal, summary: str, priority: str, key: str) -> Ticket: ...

    async def get(self, ticket: str) -> Ticket | None: ...

    async def mine(self, person: Principal) -> list[Ticket]: ...

    async def set_priority(self, ticket: str, priority: str) -> Ticket: ...

    async def close(self, ticket: str, person: Principal) -> Ticket: ...

    async def close_change(self, change: str, person: Principal) -> str: ...


class KnowledgeBase(Protocol):
    async def search(self, query: str) -> list[Article]: ...


class OnCall(Protocol):
    async def who(self, service: str | None) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class OnCallPerson:
    """Someone on call, as the paging system knows them: the email finds them in the
    directory; `level` is their escalation level (1 is paged first)."""

    name: str
    email: str
    level: int


class OnCallResponders(Protocol):
    """Who responds to a service's incident now, with emails (PagerDuty can say; a system
    that only knows display names cannot)."""

    async def responders(self, service: str) -> list[OnCallPerson]: ...


class Desk(Protocol):
    """Brings a human in: a webhook to the service desk's channel or queue."""

    async def handoff(self, person: Principal, note: str, key: str) -> str:
        """`key` is unique per handoff (the action id): receivers drop retries by it."""
        ...
