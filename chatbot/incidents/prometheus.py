"""Reading a signal from Prometheus for a health gate: `GET /api/v1/query_range`.

Times go as RFC 3339 (Prometheus accepts Unix seconds too; RFC 3339 is what its published
OpenAPI document validates). A series that is missing, non-numeric or answered with an error
comes back as values the gate reads as inconclusive, never as a healthy flat line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chatbot.incidents.health import GateResult, GateRule, GateVerdict, combine, judge

if TYPE_CHECKING:  # annotations only: the approvals desk of `chatops approvals list` imports
    import httpx  # this module (through the deploy gate) and never calls Prometheus


@dataclass(frozen=True, slots=True)
class Signal:
    """A PromQL query with `{service}` and `{env}` placeholders, judged by `rule`."""

    query: str
    rule: GateRule


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PrometheusError(Exception):
    """Prometheus could not answer; the gate is then inconclusive."""


async def query_range(
    http: httpx.AsyncClient, base_url: str, query: str, start: datetime, end: datetime, step: str
) -> list[float]:
    """The values of the first series (empty when there is none); NaN stays NaN."""
    import httpx  # here: listings import this module without it

    url = base_url.rstrip("/") + "/api/v1/query_range"
    params = {"query": query, "start": _rfc3339(start), "end": _rfc3339(end), "step": step}
    try:
        answer = await http.get(url, params=params)
        body = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise PrometheusError(f"Prometheus did not answer: {exc}") from None
    if answer.status_code != 200 or body.get("status") != "success":
        raise PrometheusError(f"Prometheus refused: {body.get('error', answer.status_code)}")
    series = body.get("data", {}).get("result", [])
    if not series:
        return []
    values = []
    for _, raw in series[0].get("values", []):
        try:
            values.append(float(raw))
        except (TypeError, ValueError):
            values.append(math.nan)
    return values


async def gate(
    http: httpx.AsyncClient,
    base_url: str,
    signals: Sequence[Signal],
    service: str,
    env: str,
    deployed_at: datetime,
    window: timedelta,
    step: str = "30s",
) -> GateResult:
    """Compare the window after the deploy with the one before, signal by signal."""
    results = []
    for signal in signals:
        query = signal.query.replace("{service}", service).replace("{env}", env)
        try:
            before = await query_range(
                http, base_url, query, deployed_at - window, deployed_at, step
            )
            after = await query_range(
                http, base_url, query, deployed_at, deployed_at + window, step
            )
        except PrometheusError as exc:
            results.append(GateResult(GateVerdict.INCONCLUSIVE, f"{signal.rule.name}: {exc}"))
            continue
        results.append(judge(signal.rule, before, after))
    return combine(results)
