"""Issue 17, done when: the live checks with two `chatops serve` replicas on PostgreSQL, as
real processes. A skill added on replica A (whose settings alone allow its host) is used on
replica B (whose settings do not: the change carries the host) within seconds, with no
restart; a new version reaches B the same way; and A's admin API shows every replica (the
worker too) on the current registry version with the skill active."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.skills_live import measure


@pytest.fixture
def pg_url(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        pytest.skip("several replicas need PostgreSQL (jobs.engine = procrastinate)")
    return database_url


def test_a_skill_added_on_one_replica_is_used_on_the_other(pg_url: str, tmp_path: Path) -> None:
    found = measure(pg_url, tmp_path / "deploy", rounds=2, reload_seconds=0.5)
    assert len(found.to_use) == 2  # both versions used on B (measure raises otherwise)
    assert found.floor and found.during  # the chat went on while the changes spread
    listing = found.listing
    live = listing["replicas"]
    assert len(live) == 3, live  # web-a, web-b and the worker
    assert all(r["registry_version"] == listing["registry_version"] for r in live), live
    assert all(r["skipped"] == {} for r in live), live
    skill = next(s for s in listing["skills"] if s["name"] == "cache.flush")
    assert skill["version"] == 2 and skill["state"] == "active"
    assert set(skill["replicas"].values()) == {"active"}, skill["replicas"]
