"""Column types that redact on the way in: the one place a secret is stopped before storage.

Every text or JSON column that can hold what people typed or what a system answered (action
slots and results, conversation state, the skills' key-value store, notifications) uses one of
these types, so no writer -- ORM, Core insert or update, upsert, a skill added next year -- can
store a credential in clear. The audit trail redacts its own entries before hashing them (the
hash must cover what is stored), with the same rules (`chatbot.governance.redaction`).

Redaction happens here, at the last step, so it also comes before any truncation a reader of
the stored value may do; writers that cut a text themselves redact before cutting.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text, TypeDecorator

from chatbot.governance.redaction import redact, redact_value


class RedactedText(TypeDecorator[str]):
    """Free text, redacted when written."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else redact(value)


class RedactedJSON(TypeDecorator[str]):
    """JSON kept as text: each string value redacted (and every value under a key named like
    a credential), the JSON written back unchanged when nothing was found, so comparisons with
    the writer's own serialisation (`WHERE value = :old`) still hold."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        try:
            data = json.loads(value)
        except ValueError:
            return redact(value)
        cleaned = redact_value(data)
        return value if cleaned == data else json.dumps(cleaned, sort_keys=True)
