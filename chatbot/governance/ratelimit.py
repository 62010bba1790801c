"""Per-person rate limits, counted in the database so every replica sees the same count.

Fixed buckets (this minute, hour or day, in UTC). Taking a slot is one conditional upsert,
`INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 WHERE count < max RETURNING count`,
so two replicas racing for the last slot cannot both get it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from chatbot.config import RateLimit
from chatbot.governance.calendar import matches
from chatbot.store.engine import upsert_insert
from chatbot.store.tables import RateCount
from chatbot.times import UNKNOWN, Zone, say

PERIOD_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True, slots=True)
class Limited:
    rule: str
    reason: str


class RateLimiter:
    def __init__(self, limits: Sequence[RateLimit], dialect: str) -> None:
        self._limits = tuple(enumerate(limits))
        self._insert = upsert_insert(dialect)

    def applies(self, skill: str, slots: Mapping[str, str]) -> bool:
        return any(matches(r.skill, r.where, skill, slots) for _, r in self._limits)

    async def take(
        self,
        session: AsyncSession,
        person: str,
        skill: str,
        slots: Mapping[str, str],
        now: datetime,
        counted_at: datetime | None = None,
        zone: Zone = UNKNOWN,
    ) -> Limited | None:
        """Count one request against every matching limit; the first one exhausted denies.

        Runs inside the caller's transaction: a denial rolls nothing back by itself, so the
        caller keeps counts only for requests that go ahead (see Assistant._proceed).
        `counted_at`: when this action was already counted (its request); a limit whose
        period still holds that moment is not counted twice. `zone`: the requester's clock,
        for when they may try again.
        """
        for index, limit in self._limits:
            if not matches(limit.skill, limit.where, skill, slots):
                continue
            period = PERIOD_SECONDS[limit.per]
            bucket = int(now.timestamp()) // period * period
            if counted_at is not None and int(counted_at.timestamp()) // period * period == bucket:
                continue
            key = f"{index}:{limit.skill}"
            stmt = self._insert(RateCount).values(person=person, rule=key, bucket=bucket, count=1)
            stmt = stmt.on_conflict_do_update(
                index_elements=["person", "rule", "bucket"],
                set_={"count": RateCount.count + 1},  # type: ignore[operator]
                where=RateCount.count < limit.max,  # type: ignore[operator]
            )
            # RETURNING, not rowcount: the async psycopg driver reports -1 for upserts.
            taken = await session.exec(stmt.returning(RateCount.count))  # type: ignore[call-overload]
            if taken.first() is None:
                again = datetime.fromtimestamp(bucket + period, UTC)
                return Limited(
                    f"rate_limits[{index}]",
                    f"you may run {skill} at most {limit.max} time(s) per {limit.per}; "
                    f"try again after {say(again, zone)}",
                )
        return None
