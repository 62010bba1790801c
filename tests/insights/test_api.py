"""`GET /api/kpi` as a dashboard script calls it: the summary keys as before, and series
per day or week when asked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from hashlib import sha256

import pytest
from starlette.testclient import TestClient

from chatbot.config import ApiToken, Settings
from chatbot.server import create_app
from chatbot.store.engine import Store
from intents import Understander
from tests.insights.fixture import seed

TOKEN = {"Authorization": "Bearer kpi-token"}


@pytest.fixture
def client(
    settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    tokens = {"ops": ApiToken(person="dave", sha256=sha256(b"kpi-token").hexdigest())}
    app = create_app(settings.model_copy(update={"api_tokens": tokens}), database_url, understander)
    with TestClient(app) as c:

        async def fill() -> None:
            store = Store(database_url)
            await seed(store)
            await store.close()

        asyncio.run(fill())
        yield c


def test_the_summary_keeps_its_keys_and_gains_deflection_and_satisfaction(
    client: TestClient,
) -> None:
    body = client.get("/api/kpi", params={"since": "2026-11-23"}, headers=TOKEN).json()
    assert body["mtta_seconds"]["mean"] == 180.0
    assert body["change_failure_rate"] == 0.5
    assert body["deflection_rate"] == 0.25
    assert body["satisfaction"] == {"up": 3, "down": 1, "rate": 0.75}
    assert "series" not in body


def test_series_per_day_or_week_when_asked(client: TestClient) -> None:
    body = client.get(
        "/api/kpi", params={"since": "2026-11-23", "step": "week"}, headers=TOKEN
    ).json()
    series = body["series"]
    assert series["step"] == "week"
    assert series["buckets"][0] == "2026-11-23"
    assert series["incidents"]["values"][0] == 4
    assert series["mtta_seconds"]["values"][0] == 180.0
    deploy = next(r for r in series["requests"] if r["skill"] == "deploy")
    assert deploy == {
        "skill": "deploy",
        "total": 3,
        "done": 2,
        "failed": 0,
        "refused": 1,
        "dropped": 0,
        "open": 0,
    }


def test_a_step_that_is_not_one_is_a_clear_400(client: TestClient) -> None:
    answer = client.get("/api/kpi", params={"step": "fortnight"}, headers=TOKEN)
    assert answer.status_code == 400
    assert answer.json()["error"] == "'fortnight' is not a step; use day or week"
    answer = client.get("/api/kpi", params={"since": "2000-01-01", "step": "day"}, headers=TOKEN)
    assert answer.status_code == 400 and "at most 400 days" in answer.json()["error"]
    assert client.get("/api/kpi", params={"step": "day"}).status_code == 401


def test_a_misspelt_parameter_is_a_clear_400_not_the_default_range(client: TestClient) -> None:
    answer = client.get("/api/kpi", params={"sinc": "2026-11-23"}, headers=TOKEN)
    assert answer.status_code == 400
    assert answer.json()["error"] == "unknown parameter 'sinc'; the parameters are since and step"
