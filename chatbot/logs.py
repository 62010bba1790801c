"""Logging, configured once at start from settings: a level, and text or JSON lines.

Lines carry the person, skill and action id of the work they describe when known: code
calls `bind(person=..., skill=..., action_id=...)` and a filter copies the values (context
variables, so concurrent messages never mix them up) onto every record. Messages and
arguments pass through the audit trail's redaction first, so a credential that reaches a
log call is written as [REDACTED], never as itself.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from chatbot.governance.redaction import redact

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
FIELDS = ("person", "skill", "action_id")

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "chatops_log_context", default=None
)


def bind(**fields: Any) -> None:
    """Set (or with None, clear) context fields for the rest of this task's log lines."""
    current = {**(_context.get() or {}), **fields}
    _context.set({k: v for k, v in current.items() if v is not None})


class _Context(logging.Filter):
    """Adds the bound fields to each record and redacts its text."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context fields, and
    the exception (redacted) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        known = [f"{k}={getattr(record, k)}" for k in FIELDS if getattr(record, k, None)]
        if known:
            first, _, rest = text.partition("\n")
            text = f"{first} [{' '.join(known)}]" + (f"\n{rest}" if rest else "")
        return redact(text)


_OURS = "chatops_handler"  # marks the handler `configure` installed


def configure(level: str, fmt: str, stream: TextIO | None = None) -> None:
    """Install one root handler that writes `fmt` lines at `level`, replacing the one an
    earlier call installed. Both were validated by the settings; third-party loggers keep
    their own levels. Handlers someone else put on the root (an embedding application, a
    test's log capture) stay, and the root level is only ever lowered, never raised: a
    one-shot command that asks for CRITICAL quiets its own output, not theirs."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_Context())
    handler.setLevel(level)
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    if logging.getLevelName(level) < root.getEffectiveLevel():
        root.setLevel(level)
    # Alembic says "Context impl SQLiteImpl" on every start at INFO: noise below DEBUG.
    logging.getLogger("alembic").setLevel(level if level == "DEBUG" else "WARNING")
