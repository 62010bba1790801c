"""The OpenAPI document: served, valid, and describing every API route the server has."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from starlette.routing import Route
from starlette.testclient import TestClient

from chatbot.config import Settings
from chatbot.server import create_app
from intents import Understander

# Routes under /api that are not ours to describe: the Bot Framework's endpoint (its contract is
# Microsoft's) and the document itself.
NOT_DESCRIBED = {"/api/messages", "/api/openapi.json"}
# Every JSON API the server offers: the web chat and admin API, KPIs, and the alert webhooks.
DESCRIBED_PREFIXES = ("/api/", "/hooks/")


@pytest.fixture
def client(
    settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database_url, understander)) as c:
        yield c


def test_the_document_is_served_and_lists_every_api_route(client: TestClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1") and doc["info"]["version"]
    described = {(path, m.upper()) for path, ops in doc["paths"].items() for m in ops}
    routes = {
        (route.path, method)
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path.startswith(DESCRIBED_PREFIXES)
        for method in (route.methods or set()) - {"HEAD"}
        if route.path not in NOT_DESCRIBED
    }
    missing = routes - described
    assert not missing, (
        f"routes without an OpenAPI description: {sorted(missing)}; add the module's "
        "`operations` to chatbot.server.API_OPERATIONS"
    )
    assert described <= routes, "the document describes routes the server does not have"


def test_the_document_is_a_valid_openapi_schema(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    loaded = schemathesis.openapi.from_dict(doc)
    assert len(list(loaded.get_all_operations())) == sum(len(ops) for ops in doc["paths"].values())
