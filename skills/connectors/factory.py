"""From configuration to connectors: which system, where, and with which credentials.

    [backends]              deploy = "github"   service.restart = "kubernetes"  ...
    [connectors.github]     repository = "acme/deploys"  workflow = "deploy.yml"
    secrets (never in the settings file):  CHATOPS_SECRET__GITHUB__TOKEN

Which names exist comes from the `chatops.connectors` entry points (skills.connectors.registry);
each class carries its settings model and turns its secrets into headers. Everything is checked
when the registry is built, so a missing key or secret stops start-up with a message naming it,
instead of failing in front of a person later.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from chatbot.errors import ConfigError
from skills.connectors.base import Connector, Endpoint, RetryPolicy, Sleep
from skills.connectors.config import section
from skills.connectors.registry import discover
from skills.connectors.secrets import Secrets

if TYPE_CHECKING:  # annotations only: `chatops skills list` never imports httpx
    import httpx


def basic(user: str, password: str) -> str:
    """An HTTP Basic Authorization value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


Make = Callable[["httpx.AsyncClient"], Any]


def available() -> dict[str, type[Connector]]:
    """The installed connectors by name (entry points of `chatops.connectors`)."""
    return discover()


def connector(
    name: str,
    connectors: Mapping[str, Mapping[str, Any]],
    secrets: Secrets,
    sleep: Sleep,
    known: Mapping[str, type[Connector]] | None = None,
) -> Make:
    """Validate `[connectors.NAME]` and its secrets now; build the connector per action."""
    known = available() if known is None else known
    cls = known.get(name)
    if cls is None:
        names = ", ".join(sorted(known)) or "none installed"
        raise ConfigError("settings", f"connectors.{name}", f"no such connector; use {names}")
    settings = section(connectors, name, cls.settings_model)
    endpoint = Endpoint(
        cls.title or name,
        settings.base_url,
        cls.headers(settings, secrets),
        cls.idempotency_header,
        cls.credentials(settings, secrets),
        name,
    )
    retry = RetryPolicy(settings.attempts, settings.backoff, timeout=settings.timeout)

    def make(http: httpx.AsyncClient) -> Any:
        return cls(http, endpoint, retry, sleep, settings)

    return make
