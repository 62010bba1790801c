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
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}"),
    re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,}"),
    re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key)\s*[:=]\s*\S+"),
    # "my password is hunter2": over-redacting "my password is broken" is the safe mistake
    re.compile(r"(?i)\b(password|passwd|pwd)\s+(is|was|=)\s+\S+"),
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Replace anything that looks like a credential; audit entries must never hold one."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value
