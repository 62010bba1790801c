"""One trained Understander for the whole intents test run (training takes seconds)."""

from __future__ import annotations

import pytest

from chatbot.config import Catalog, load_settings
from intents import Understander
from skills.builtin.catalog import BUILTIN_SPECS


@pytest.fixture(scope="session")
def demo_catalog() -> Catalog:
    return load_settings().catalog


@pytest.fixture(scope="session")
def nlu(demo_catalog: Catalog) -> Understander:
    people = ("alice", "bob", "carol", "dave", "erin")
    return Understander(demo_catalog, people, BUILTIN_SPECS)
