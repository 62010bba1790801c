"""Rows the benchmarks insert straight into the tables: built once here, so every benchmark
that needs a year of incidents fills the same columns the same way."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def incident_rows(count: int, start: datetime, step: timedelta) -> list[dict[str, Any]]:
    """`count` resolved incidents, one every `step` from `start`, over 50 services in prod:
    acknowledged within 10 minutes, resolved within an hour (varied, so means and
    percentiles have something to say). Ids are 1..count."""
    rows = []
    for i in range(count):
        at = start + step * i
        rows.append(
            {
                "id": i + 1,
                "open_key": None,
                "group_key": f"g{i}",
                "source": "alertmanager",
                "title": "HighErrorRate",
                "service": f"svc{i % 50}",
                "env": "prod",
                "severity": "critical",
                "state": "resolved",
                "partial": False,
                "started_at": at,
                "created_at": at + timedelta(seconds=30),
                "acknowledged_at": at + timedelta(seconds=30 + i % 600),
                "resolved_at": at + timedelta(seconds=600 + i % 3600),
                "updated_at": at,
            }
        )
    return rows
