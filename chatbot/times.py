"""Times people type on the command line: `2026-11-01`, `2026-11-01T09:00`, `yesterday`,
`today`, `2h`, `30m`, `7d`, `2w`. One parser, so every `--since` reads the same."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from chatbot.errors import UserError

_AGO = re.compile(r"^(\d{1,6})\s*(s|m|min|h|d|w)$")
_UNIT = {"s": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    word = text.strip().lower()
    midnight = datetime.combine(now.date(), time(), tzinfo=UTC)
    if word == "today":
        return midnight
    if word == "yesterday":
        return midnight - timedelta(days=1)
    ago = _AGO.match(word)
    if ago:
        return now - timedelta(**{_UNIT[ago.group(2)]: int(ago.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{text!r} is not a time; use an ISO date (2026-11-01), 'yesterday', or an age "
            "such as 2h or 7d"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
