"""Health-gated deploys, end to end: a deploy in chat, the `deploy.gate` job reading a fake
Prometheus (its documented /api/v1/query_range answers), and the deployer's "Roll back"."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from chatbot.config import GateSignal, IncidentSettings, Settings
from chatbot.governance import outbox
from chatbot.incidents import gating
from chatbot.store.tables import Notification
from chatbot.testing import chat_harness, confirmed
from intents import Understander

PROM = "http://prometheus.test"
Series = Callable[[bool], list[float]]


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def prometheus(series: Series, seen: list[dict[str, str]]) -> httpx.MockTransport:
    """query_range as Prometheus answers it: a matrix, values as strings. The gate asks for
    the window before the deploy, then the window after."""

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/query_range"
        params = dict(request.url.params)
        seen.append(params)
        after = len(seen) % 2 == 0
        values = series(after)
        start = datetime.fromisoformat(params["start"])
        result = []
        if values:
            points = [
                [(start + timedelta(seconds=30 * i)).timestamp(), str(v)]
                for i, v in enumerate(values)
            ]
            result = [{"metric": {"service": "checkout"}, "values": points}]
        body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handle)


def noisy(level: float) -> list[float]:
    rng = random.Random(7)
    return [level * (1 + rng.uniform(-0.1, 0.1)) for _ in range(20)]


SERIES: dict[str, Series] = {
    "fail": lambda after: noisy(0.05 if after else 0.005),  # 0.5% -> 5% errors
    "pass": lambda after: [0.005] * 20,  # flat
    "inconclusive": lambda after: [],  # Prometheus has no such series
}


@pytest.fixture
def gated(settings: Settings) -> Settings:
    signal = GateSignal(
        name="error rate",
        query='sum(rate(http_errors_total{service="{service}",env="{env}"}[5m]))',
    )
    incidents = IncidentSettings(prometheus_url=PROM, gate_signals=(signal,))
    return settings.model_copy(update={"incidents": incidents})


async def gate_after_deploy(
    gated: Settings, database_url: str, understander: Understander, verdict: str
) -> tuple[str, list[Notification], str, list[dict[str, str]]]:
    seen: list[dict[str, str]] = []
    async with chat_harness(
        gated, database_url, understander, prometheus(SERIES[verdict], seen)
    ) as chat:
        before = datetime.now(UTC)
        replies = await confirmed(chat, "bob", "deploy checkout 2.4.1 to staging")
        action_id = replies[0].action_id
        assert "2.4.1" in replies[0].text and action_id is not None, replies
        rt = chat.runtime
        # The deploy planned its gate on the job engine, at deploy time + the window.
        planned = await rt.jobs.planned(gating.JOB, action_id=action_id)
        assert planned is not None
        window = timedelta(minutes=gated.incidents.gate_window_minutes)
        assert before + window - timedelta(seconds=5) <= planned <= datetime.now(UTC) + window
        got = await rt.jobs.run(gating.JOB, {"action_id": action_id})
        async with rt.store.transaction() as tx:
            notes = [n for n in await outbox.pending(tx, "bob") if "Health check" in n.text]
        pressed = ""
        for note in notes:
            for _, value, _ in json.loads(note.buttons):
                pressed = "\n".join(r.text for r in await chat.press("bob", value))
        return str(got), notes, pressed, seen


@pytest.mark.parametrize("verdict", ["fail", "pass", "inconclusive"])
async def test_the_gate_judges_the_deploy_and_offers_a_rollback_only_on_fail(
    gated: Settings,
    database_url: str,
    understander: Understander,
    verdict: str,
) -> None:
    got, notes, pressed, seen = await gate_after_deploy(gated, database_url, understander, verdict)
    assert got == verdict
    before, after = seen
    assert before["end"] == after["start"]  # the windows meet at the deploy
    assert 'service="checkout",env="staging"' in before["query"]
    (note,) = notes
    if verdict == "fail":
        assert "worse than before" in note.text and "Roll back" in note.buttons
        # The rollback is a request like any other: bob is asked to confirm it first.
        assert pressed.startswith("Roll checkout in staging back"), pressed
    else:
        assert note.buttons == "[]" and pressed == ""
        assert ("healthy" if verdict == "pass" else "not enough data") in note.text


async def test_a_forged_rollback_button_rolls_back_nothing(
    gated: Settings, database_url: str, understander: Understander
) -> None:
    async with chat_harness(gated, database_url, understander) as chat:
        for value in ("rollback:99", "rollback:x", "rollback:0"):
            (reply,) = await chat.press("bob", value)
            assert reply.kind == "error", (value, reply)
