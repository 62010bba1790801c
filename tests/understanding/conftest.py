"""One trained Understander for the whole intents test run (training takes seconds)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chatbot.config import Catalog, load_settings
from intents import Understander
from skills.builtin.catalog import BUILTIN_SPECS

# A fixed "now" (a Thursday evening): relative dates in tests resolve the same every run.
NOW = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def demo_catalog() -> Catalog:
    return load_settings().catalog


@pytest.fixture(scope="session")
def nlu(demo_catalog: Catalog) -> Understander:
    people = ("alice", "bob", "carol", "dave", "erin")
    return Understander(demo_catalog, people, BUILTIN_SPECS, clock=lambda: NOW)
