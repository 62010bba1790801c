"""Connectors are found through the `chatops.connectors` entry-point group, not a list here.

    [project.entry-points."chatops.connectors"]
    github = "skills.connectors.github:GitHubActions"
    acme_cmdb = "acme_chatops.cmdb:Cmdb"         # a third-party package, after pip install

The entry point's name is the `[connectors.NAME]` section and the value `[backends]` takes.
Each class says which ports (skills.ports) it implements; a built-in skill's choices are every
connector implementing its port. A broken package is logged and left out, never fatal.
"""

from __future__ import annotations

import inspect
import logging
from importlib.metadata import entry_points

from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings

log = logging.getLogger(__name__)
GROUP = "chatops.connectors"


def problem(cls: object) -> str | None:
    """Why a class cannot serve as a connector, or None when it can."""
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        return "is not a skills.connectors.base.Connector subclass"
    if not (
        isinstance(cls.settings_model, type) and issubclass(cls.settings_model, ConnectorSettings)
    ):
        return "has no settings_model (a ConnectorSettings subclass)"
    if not cls.ports:
        return "declares no ports (skills.ports protocols it implements)"
    for port in cls.ports:
        wanted = [n for n, v in vars(port).items() if inspect.iscoroutinefunction(v)]
        missing = [n for n in wanted if not inspect.iscoroutinefunction(getattr(cls, n, None))]
        if missing:
            return f"declares {port.__name__} but lacks {', '.join(missing)}"
    return None


def discover(group: str = GROUP) -> dict[str, type[Connector]]:
    """Every installed connector by name; bad entries are logged and skipped."""
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=group):
        try:
            cls = ep.load()
        except Exception:
            log.exception("connector entry point %s (%s) could not be loaded", ep.name, ep.value)
            continue
        why = problem(cls)
        if why:
            log.error("connector entry point %s (%s) %s; left out", ep.name, ep.value, why)
            continue
        found[ep.name] = cls
    return found


def implementing(port: type, connectors: dict[str, type[Connector]]) -> tuple[str, ...]:
    """The names of the connectors that implement `port`, sorted."""
    return tuple(sorted(n for n, cls in connectors.items() if port in cls.ports))
