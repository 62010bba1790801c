"""A review's "revoke" is an access.revoke request like any other: a freeze refuses it (the
grant stays, the export says refused and why), and a policy asking for approval makes it
wait for the approver (the export says so, then removed once approved)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from chatbot.config import Freeze, PolicyRule, Settings
from chatbot.jml import views
from chatbot.server import create_app
from chatbot.testing import button, text_of
from chatbot.types import utcnow
from intents import Understander
from tests.directory.conftest import new_user
from tests.directory.test_directory_flows import say
from tests.directory.test_offboarding import _grant
from tests.jml.conftest import inbox, members, run


@pytest.fixture
def client(
    jml_settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    now = utcnow().replace(tzinfo=None)
    freeze = Freeze(
        name="audit-week",
        skill="access.revoke",
        where={"resource": ("grafana",)},
        start=now - timedelta(days=1),
        end=now + timedelta(days=1),
    )
    approval = PolicyRule(
        skill="access.revoke",
        where={"resource": ("prod-db",)},
        requires="approval",
        approvers="release-manager",
    )
    governed = jml_settings.model_copy(
        update={"freezes": (freeze,), "policy": (*jml_settings.policy, approval)}
    )
    with TestClient(create_app(governed, database_url, understander)) as c:
        yield c


def _review(client: TestClient, resource: str) -> dict:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    new_user(client, "kim@example.com")
    _grant(client, "kim@example.com", resource)
    inbox(client, "dave")
    campaign = run(client, lambda: rt.assistant.jml.reviews.start(resource, "dave"))
    return {"id": campaign.id, "cards": [c for c in inbox(client, "dave") if c.buttons]}


def _item(client: TestClient, campaign: int) -> dict:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    shown = run(client, lambda: views.campaign(rt.store, campaign))
    assert len(shown["items"]) == 1
    return shown["items"][0]


def test_a_revoke_in_a_freeze_is_refused_and_the_grant_stays(client: TestClient) -> None:
    review = _review(client, "grafana")
    said = text_of(say(client, "dave@example.com", press=button(review["cards"], "Revoke")))
    assert "not removed: refused" in said and "audit-week" in said, said
    assert members(client, "grafana") == ["kim@example.com"]
    item = _item(client, review["id"])
    assert item["decision"] == "revoke" and item["decided_by"] == "dave"
    assert item["outcome"].startswith("not removed: refused") and "audit-week" in item["outcome"]
    again = text_of(say(client, "dave@example.com", press=button(review["cards"], "Revoke")))
    assert "already decided" in again
    assert members(client, "grafana") == ["kim@example.com"]


def test_a_revoke_the_policy_sends_for_approval_waits_then_removes(client: TestClient) -> None:
    review = _review(client, "prod-db")
    said = say(client, "dave@example.com", press=button(review["cards"], "Revoke"))
    assert "waiting for approval" in text_of(said), text_of(said)
    assert members(client, "prod-db") == ["kim@example.com"]
    item = _item(client, review["id"])
    assert item["outcome"] == (
        f"not removed yet: request #{item['revoke_request']} is waiting for approval"
    )
    cards = [r for r in said if r.to == "carol" and r.buttons]
    assert cards, text_of(said)
    done = text_of(say(client, "carol@example.com", press=button(cards, "Approve")))
    assert "Removed the access of kim@example.com to prod-db" in done, done
    assert members(client, "prod-db") == []
    assert _item(client, review["id"])["outcome"] == (
        f"removed by request #{item['revoke_request']}"
    )


def test_a_revoke_the_approver_rejects_leaves_the_grant_and_says_so(client: TestClient) -> None:
    review = _review(client, "prod-db")
    said = say(client, "dave@example.com", press=button(review["cards"], "Revoke"))
    cards = [r for r in said if r.to == "carol" and r.buttons]
    say(client, "carol@example.com", press=button(cards, "Reject"))
    assert members(client, "prod-db") == ["kim@example.com"]
    item = _item(client, review["id"])
    assert item["outcome"] == f"not removed: request #{item['revoke_request']} was rejected"
