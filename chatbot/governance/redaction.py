"""Secrets and tokens are redacted before anything is stored or shown.

Patterns for the credentials people paste into chat by mistake: Slack and GitHub tokens,
bearer tokens, JWTs, and "password: ..." / "password is ..." phrases. The audit trail runs
every text through `redact` before hashing, so a secret never reaches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SECRET_PATTERNS = (
    r"\bxox[abposr]-[A-Za-z0-9-]{8,}",
    r"\bxapp-[A-Za-z0-9-]{8,}",
    r"(?i:\bbearer\s+[A-Za-z0-9._~+/=-]{8,})",
    r"\bgh[pousr]_[A-Za-z0-9]{20,}",
    r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,}",
    r"(?i:\b(?:password|passwd|secret|token|api[_-]?key)\s*[:=]\s*\S+)",
    # "my password is hunter2": over-redacting "my password is broken" is the safe mistake
    r"(?i:\b(?:password|passwd|pwd)\s+(?:is|was|=)\s+\S+)",
)
# One alternation, one pass over the text: every audit entry redacts several strings, and
# seven passes each cost more than hashing the entry.
_SECRETS = re.compile("|".join(_SECRET_PATTERNS))
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Replace anything that looks like a credential; audit entries must never hold one."""
    return _SECRETS.sub(REDACTED, text)


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value
