"""Reading one connector's section of the settings (`[connectors.NAME]`), with clear errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from chatbot.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class ConnectorSettings(BaseModel):
    """Common keys: where the system is, and the retry budget."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str
    attempts: int = 3
    backoff: float = 0.5
    timeout: float = 10.0
    poll_seconds: float = 5.0
    poll_limit: int = 120


def section(connectors: Mapping[str, Mapping[str, Any]], name: str, model: type[M]) -> M:
    """Validate `[connectors.NAME]`; ConfigError names the key and what was expected."""
    raw = connectors.get(name)
    if raw is None:
        raise ConfigError("settings", f"connectors.{name}", "missing; the back end needs it")
    try:
        return model(**raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].lower()
        raise ConfigError("settings", f"connectors.{name}.{key}", what) from None
