"""ConnectorError: a remote system's refusal as data (which system, what status, may it be
retried, its own words), so chat can say who refused and what to do, and callers can branch
on `status`/`retryable` instead of parsing strings.

It is a SkillError, so every place that shows a skill's failure to the person shows it.
"""

from __future__ import annotations

from chatbot import texts
from skills.api import SkillError


class ConnectorError(SkillError):
    """`status` is the HTTP status, or None when the system could not be reached at all."""

    def __init__(
        self,
        system: str,
        status: int | None,
        retryable: bool,
        detail: str,
        *,
        name: str = "",
        message: str = "",
    ) -> None:
        self.system, self.status, self.retryable, self.detail = system, status, retryable, detail
        self.name = name
        super().__init__(message or texts.connector_error(system, status, detail, name))

    def __repr__(self) -> str:
        return (
            f"ConnectorError(system={self.system!r}, status={self.status!r}, "
            f"retryable={self.retryable!r}, detail={self.detail!r})"
        )
