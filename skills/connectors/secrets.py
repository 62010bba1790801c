"""Secrets: from environment variables or a TOML file the configuration points to.

A secret belongs to a scope (a connector such as `github`, or a skill such as `weather.report`)
and a skill is handed only its own scope. Connectors' and built-in skills' scopes are reserved:
a manifest with such a name is refused, and would be handed no secrets (`SkillSource`).
Values never reach chat, logs or the audit trail: `Secret` hides itself in `repr` and `str`,
and error messages name the key, never the value.

    file (settings.secrets_file):   [github]  token = "..."      [weather.report]  api_key = "..."
    environment:                    CHATOPS_SECRET__GITHUB__TOKEN=...
                                    CHATOPS_SECRET__WEATHER_REPORT__API_KEY=...
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from chatbot.errors import ConfigError

ENV_PREFIX = "CHATOPS_SECRET__"


def scope_key(scope: str) -> str:
    """`weather.report` and `WEATHER_REPORT` name the same scope."""
    return re.sub(r"[^a-z0-9]+", "_", scope.lower()).strip("_")


@dataclass(frozen=True, slots=True)
class Secrets:
    """Every configured secret, by scope; hand out one scope at a time with `scope()`."""

    _values: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)

    def scope(self, name: str) -> Mapping[str, str]:
        return MappingProxyType(dict(self._values.get(scope_key(name), {})))

    def require(self, scope: str, key: str) -> str:
        value = self._values.get(scope_key(scope), {}).get(key.lower())
        if not value:
            env = f"{ENV_PREFIX}{scope_key(scope).upper()}__{key.upper()}"
            raise ConfigError(
                "secrets", f"{scope}.{key}", f"missing; set {env} or add it to the secrets file"
            )
        return value

    def all_values(self) -> tuple[str, ...]:
        """For redaction: every secret value known (never to be shown)."""
        return tuple(v for scope in self._values.values() for v in scope.values() if v)

    def __repr__(self) -> str:
        return f"Secrets(scopes={sorted(self._values)})"


def load_secrets(path: Path | None, environ: Mapping[str, str] | None = None) -> Secrets:
    """Read the file (if configured), then the environment, which wins."""
    values: dict[str, dict[str, str]] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(str(path), "secrets_file", "file not found") from None
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
            # The parser's message may quote a value, so only its position is kept.
            where = re.search(r"line \d+", str(exc))
            at = f" at {where.group(0)}" if where else ""
            raise ConfigError(str(path), "secrets_file", f"not valid TOML{at}") from None
        for scope, table in _flatten(data):
            values.setdefault(scope_key(scope), {}).update(table)
    for name, value in (os.environ if environ is None else environ).items():
        if name.startswith(ENV_PREFIX) and "__" in name[len(ENV_PREFIX) :]:
            scope, _, key = name[len(ENV_PREFIX) :].rpartition("__")
            values.setdefault(scope_key(scope), {})[key.lower()] = value
    return Secrets(values)


def _flatten(data: Mapping[str, object], prefix: str = "") -> list[tuple[str, dict[str, str]]]:
    """Tables of strings are scopes; `[skills."weather.report"]` and nested tables work too."""
    found: list[tuple[str, dict[str, str]]] = []
    direct = {k.lower(): v for k, v in data.items() if isinstance(v, str)}
    if direct and prefix:
        found.append((prefix, direct))
    for key, value in data.items():
        if isinstance(value, Mapping):
            name = key if not prefix or prefix == "skills" else f"{prefix}.{key}"
            found.extend(_flatten(value, name))
    return found
