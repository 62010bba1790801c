"""Health gates: pure detectors on fixtures, and the gate reading a fake Prometheus."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from chatbot.incidents.health import GateRule, GateVerdict, combine, judge
from chatbot.incidents.prometheus import Signal, gate

ERRORS = GateRule("error rate", min_ratio=1.5, min_delta=0.005, slo_max=0.2)
DEPLOYED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CONTRACT = Path(__file__).resolve().parents[2].parent / "shared" / "contracts" / "prometheus.json"


def noisy(level: float, n: int = 20, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [max(0.0, level * (1 + rng.uniform(-0.2, 0.2))) for _ in range(n)]


def test_error_rate_from_half_a_percent_to_five_percent_fails() -> None:
    result = judge(ERRORS, noisy(0.005), noisy(0.05, seed=8))
    assert result.verdict is GateVerdict.FAIL
    assert result.p_value is not None and result.p_value < 0.01


def test_a_flat_series_passes() -> None:
    assert judge(ERRORS, noisy(0.005), noisy(0.005, seed=9)).verdict is GateVerdict.PASS
    assert judge(ERRORS, [0.01] * 10, [0.01] * 10).verdict is GateVerdict.PASS


@pytest.mark.parametrize(
    ("before", "after"),
    [([], []), ([0.01] * 20, []), ([0.01] * 3, [0.5] * 3), ([0.01] * 20, [math.nan] * 20)],
)
def test_no_data_too_few_points_or_nan_is_inconclusive_never_a_pass(
    before: list[float], after: list[float]
) -> None:
    assert judge(ERRORS, before, after).verdict is GateVerdict.INCONCLUSIVE


def test_a_significant_but_tiny_change_does_not_fail_a_deploy() -> None:
    before, after = [0.0010 + i * 1e-6 for i in range(30)], [0.0012 + i * 1e-6 for i in range(30)]
    assert judge(ERRORS, before, after).verdict is GateVerdict.PASS


def test_crossing_the_slo_fails_whatever_came_before() -> None:
    assert judge(ERRORS, [0.25] * 10, [0.25] * 10).verdict is GateVerdict.FAIL


def test_any_fail_fails_and_any_blind_signal_is_inconclusive() -> None:
    ok = judge(ERRORS, noisy(0.005), noisy(0.005, seed=3))
    blind = judge(ERRORS, [], [])
    bad = judge(ERRORS, noisy(0.005), noisy(0.05, seed=4))
    assert combine([ok, blind]).verdict is GateVerdict.INCONCLUSIVE
    assert combine([ok, blind, bad]).verdict is GateVerdict.FAIL
    assert combine([]).verdict is GateVerdict.INCONCLUSIVE


def _prometheus(before: list[float], after: list[float]) -> httpx.MockTransport:
    """Answers query_range as Prometheus does; checks each request against the contract's
    required parameters and RFC 3339 times."""
    operation = json.loads(CONTRACT.read_text("utf-8"))["paths"]["/query_range"]["get"]
    required = {p["name"] for p in operation["parameters"] if p.get("required")}

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/query_range"
        params = dict(request.url.params)
        assert required <= set(params), f"missing {required - set(params)}"
        start = datetime.fromisoformat(params["start"].replace("Z", "+00:00"))
        values = before if start < DEPLOYED else after
        series = [[start.timestamp() + 30 * i, repr(v)] for i, v in enumerate(values)]
        result = [{"metric": {"service": "checkout"}, "values": series}] if values else []
        return httpx.Response(
            200, json={"status": "success", "data": {"resultType": "matrix", "result": result}}
        )

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("before", "after", "verdict"),
    [
        (noisy(0.005), noisy(0.05, seed=2), GateVerdict.FAIL),
        (noisy(0.005), noisy(0.005, seed=5), GateVerdict.PASS),
        ([], [], GateVerdict.INCONCLUSIVE),
    ],
)
async def test_the_gate_reads_both_windows_from_prometheus(
    before: list[float], after: list[float], verdict: GateVerdict
) -> None:
    signal = Signal('sum(rate(http_errors{service="{service}",env="{env}"}[1m]))', ERRORS)
    async with httpx.AsyncClient(transport=_prometheus(before, after)) as http:
        result = await gate(
            http,
            "http://prometheus.local",
            [signal],
            "checkout",
            "prod",
            DEPLOYED,
            timedelta(minutes=10),
        )
    assert result.verdict is verdict


async def test_prometheus_errors_make_the_gate_inconclusive() -> None:
    refuse = httpx.MockTransport(
        lambda r: httpx.Response(400, json={"status": "error", "error": "parse error"})
    )
    async with httpx.AsyncClient(transport=refuse) as http:
        result = await gate(
            http,
            "http://prometheus.local",
            [Signal("up", ERRORS)],
            "web",
            "prod",
            DEPLOYED,
            timedelta(minutes=5),
        )
    assert result.verdict is GateVerdict.INCONCLUSIVE and "parse error" in result.reason
