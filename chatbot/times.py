"""Times people type on the command line (`2026-11-01`, `2026-11-01T09:00`, `yesterday`,
`today`, `2h`, `30m`, `7d`, `2w`: one parser, so every `--since` reads the same), and times
the assistant says to people (`say`: one formatter, so every reader sees their own clock)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


# -- times said to people -----------------------------------------------------------------
#
# Every time the assistant tells a person (a confirmation "at 8pm", a scheduled list, when an
# approval or an access grant expires, when an incident started) is said here, on the
# reader's clock: the approver's zone on the approver's card, the requester's on theirs.
# The zone is named when the reader could misread the time without it: it is not the
# requester's (a card about someone else's 8pm), it is only the configured default (the
# directory has no zone for the reader), or the wall time happens twice or never (a clock
# change). UTC stands beside any other named zone, so people in different places can agree.


@dataclass(frozen=True, slots=True)
class Zone:
    """Whose clock: an IANA zone name, and whether it is the reader's own (from the
    directory) or the configured default standing in for a zone nobody set."""

    name: str
    own: bool = True


# Nobody's clock in particular (a channel, a terminal, no directory at hand): UTC, named.
UNKNOWN = Zone("UTC", own=False)


def _tz(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _offset(local: datetime) -> str:
    minutes = int((local.utcoffset() or timedelta()).total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}"


def ambiguous(when: datetime, zone: str) -> bool:
    """The wall time `when` shows in `zone` happens twice (clocks go back) or borders a gap."""
    wall = when.astimezone(_tz(zone)).replace(tzinfo=None)
    first, second = wall.replace(tzinfo=_tz(zone), fold=0), wall.replace(tzinfo=_tz(zone), fold=1)
    return first.utcoffset() != second.utcoffset()


def say(
    when: datetime | None,
    zone: Zone | str,
    *,
    requester: str | None = None,
    never: str = "never",
) -> str:
    """`when` as the reader of `zone` reads it ("Fri 04 Dec 20:00", or with the zone named
    "Fri 04 Dec 20:00 Europe/Berlin (19:00 UTC)"). `requester`: the zone of the person the
    time is about, when the reader is someone else (an approver); naive times are UTC."""
    if when is None:
        return never
    reader = zone if isinstance(zone, Zone) else Zone(zone)
    name = reader.name if reader.name and _tz(reader.name).key == reader.name else "UTC"
    moment = when if when.tzinfo else when.replace(tzinfo=UTC)
    local = moment.astimezone(_tz(name))
    text = f"{local:%a %d %b %H:%M}"
    twice = ambiguous(moment, name)
    named = not reader.own or twice or (requester is not None and requester != name)
    if not named:
        return text
    if name == "UTC":
        return f"{text} UTC"
    offset = f", {_offset(local)}" if twice else ""
    return f"{text} {name}{offset} ({moment.astimezone(UTC):%H:%M} UTC)"
