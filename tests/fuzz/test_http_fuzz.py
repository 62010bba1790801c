"""Schemathesis against the real ASGI app: every operation in /api/openapi.json, with data
generated from its schema (and data that breaks it), must never answer 500 and must answer
only the statuses, media types and shapes the document declares.

The number of examples per operation is bounded (CHATOPS_FUZZ_EXAMPLES, 12 by default, so the
suite stays fast); `make fuzz` runs many more. The app runs with its lifespan (store, model,
registry) on a SQLite file of its own, with an admin API token, so the admin operations are
fuzzed past authentication too.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.applications import Starlette

from chatbot.config import ApiToken, ServerSettings, load_settings
from chatbot.server import create_app
from intents import Understander

EXAMPLES = int(os.environ.get("CHATOPS_FUZZ_EXAMPLES", "12"))
TOKEN = "fuzz-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def fuzz_app(
    tmp_path_factory: pytest.TempPathFactory, understander: Understander
) -> Iterator[Starlette]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    token = ApiToken(person="dave", sha256=hashlib.sha256(TOKEN.encode()).hexdigest())
    base = load_settings()
    fuzz_settings = base.model_copy(
        update={
            "data_dir": folder,
            "api_tokens": {"fuzz": token},
            "server": ServerSettings(allowed_hosts=("testserver", "localhost")),
        }
    )
    yield create_app(fuzz_settings, f"sqlite:///{folder / 'fuzz.db'}", understander)
    schemathesis.python.asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Starlette) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_keeps_its_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=AUTH, checks=CHECKS)
