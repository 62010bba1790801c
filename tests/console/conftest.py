"""The console through the real app: lifespan, store, pipeline, edge guard.

`frank` is an auditor added to the demo directory for these tests; `console.get/post` speak
as a demo person (`as`), the way the page's picker and forms do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from chatbot.config import Person, Settings
from chatbot.server import create_app
from intents import Understander

FRANK = Person(email="frank@example.com", display_name="Frank (auditor)", roles=("auditor",))


def with_auditor(settings: Settings) -> Settings:
    return settings.model_copy(update={"people": {**settings.people, "frank": FRANK}})


@dataclass
class ConsoleClient:
    client: TestClient

    def get(self, path: str, as_: str = "dave", **query: str) -> httpx.Response:
        return self.client.get("/console" + path, params={"as": as_, **query})

    def post(self, path: str, as_: str = "dave", **fields: Any) -> httpx.Response:
        return self.client.post("/console" + path, data={"as": as_, **fields})

    def chat(self, who: str, text: str = "", press: str | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"as": who, "text": text}
        if press:
            body["press"] = press
        replies: list[dict[str, Any]] = self.client.post("/api/chat", json=body).json()["replies"]
        return replies

    def audit(self, event: str) -> list[dict[str, Any]]:
        """Audit entries of one event, read through the console's own JSON lines export."""
        import json

        lines = self.get("/audit/export.jsonl").text.splitlines()
        return [e for e in map(json.loads, lines) if e["event"] == event]


@pytest.fixture
def console(
    settings: Settings, database_url: str, understander: Understander
) -> Iterator[ConsoleClient]:
    app = create_app(with_auditor(settings), database_url, understander)
    with TestClient(app, follow_redirects=False) as client:
        yield ConsoleClient(client)
