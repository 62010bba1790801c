"""Issue 18 item 5: `chatops reviews start --resource grafana` asks its owners about each
grant (an access request and a bundle item), one card each with Keep and Revoke; a revoke is
an access.revoke request of the reviewer's, through the governance every request gets (RBAC,
policy and approval, freezes, the start gate), and removes that grant through its back end;
the campaign export and the SOC 2 report show each decision, who made it and what became of
the revoke (removed, waiting for approval, refused and why); an unanswered item is reminded.
Leavers lose bundle items too."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from chatbot.cli import main
from chatbot.jml import views
from chatbot.store.tables import Action
from chatbot.testing import button, text_of
from chatbot.types import utcnow
from tests.directory.conftest import ENTERPRISE, USER, new_user
from tests.directory.test_directory_flows import deactivate, say
from tests.directory.test_offboarding import _grant
from tests.jml.conftest import inbox, members, run


@pytest.fixture
def cli_env(database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHATOPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHATOPS_IDENTITY__DOMAINS", '["example.com"]')


def _requests(client: TestClient, skill: str) -> list[Action]:
    rt = client.app.state.runtime  # type: ignore[attr-defined]

    async def read() -> list[Action]:
        async with rt.store.transaction() as tx:
            query = select(Action).where(Action.skill == skill).order_by(col(Action.id))
            return list((await tx.exec(query)).all())

    return run(client, read)


def _onboarded(client: TestClient, email: str) -> dict:
    boss = new_user(client, f"boss-of-{email}")
    extra = {ENTERPRISE: {"department": "Engineering", "manager": {"value": boss["id"]}}}
    made = new_user(client, email, schemas=[USER, ENTERPRISE], **extra)
    cards = [r for r in inbox(client, f"boss-of-{email}") if r.buttons]
    say(client, f"boss-of-{email}", press=button(cards, "Approve"))
    return made


def test_a_review_campaign_with_one_revoke_removes_that_grant_and_exports_it(
    client: TestClient, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    new_user(client, "kim@example.com")
    _grant(client, "kim@example.com", "grafana")
    _onboarded(client, "nina@example.com")
    assert members(client, "grafana") == ["kim@example.com", "nina@example.com"]
    inbox(client, "dave")  # the approval notes so far
    capsys.readouterr()

    assert main(["reviews", "start", "--resource", "grafana", "--as", "dave", "--json"]) == 0
    campaign = json.loads(capsys.readouterr().out)
    assert campaign["reviewers"] == ["dave"]
    assert {(i["person"], i["source"]) for i in campaign["items"]} == {
        ("kim@example.com", "request"),
        ("nina@example.com", "bundle"),
    }
    cards = inbox(client, "dave")
    kim = [c for c in cards if "kim@example.com has access to grafana" in c.text]
    said = text_of(say(client, "dave@example.com", press=button(kim, "Revoke")))
    assert "removed by request #" in said, said
    assert members(client, "grafana") == ["nina@example.com"]
    revokes = _requests(client, "access.revoke")
    assert [(a.requester, a.state, json.loads(a.slots)) for a in revokes] == [
        ("dave", "succeeded", {"resource": "grafana", "user": "kim@example.com"})
    ]
    nina = next(i["item"] for i in campaign["items"] if i["person"] == "nina@example.com")
    assert main(["reviews", "decide", str(nina), "keep", "--as", "carol"]) == 1
    assert "for dave to decide, not you" in capsys.readouterr().out
    assert main(["reviews", "decide", str(nina), "keep", "--as", "dave"]) == 0
    capsys.readouterr()

    assert main(["reviews", "show", str(campaign["id"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "closed"
    decided = {
        (i["person"], i["decision"], i["decided_by"], i["outcome"], i["revoke_request"])
        for i in shown["items"]
    }
    assert decided == {
        (
            "kim@example.com",
            "revoke",
            "dave",
            f"removed by request #{revokes[0].id}",
            revokes[0].id,
        ),
        ("nina@example.com", "keep", "dave", "kept", ""),
    }
    assert main(["reviews", "show", str(campaign["id"]), "--format", "csv"]) == 0
    assert "kim@example.com,grafana,request,revoke,dave" in capsys.readouterr().out
    assert main(["reviews", "list"]) == 0
    assert "2/2 decided, 1 revoked" in capsys.readouterr().out

    args = ["audit", "report", "--framework", "soc2", "--since", "yesterday", "--format", "json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    reviews = [a for a in report["access"] if a["kind"].startswith("review")]
    assert {(a["kind"], a["person"], a["by"]) for a in reviews} == {
        ("review revoke", "kim@example.com", "dave"),
        ("review keep", "nina@example.com", "dave"),
    }
    control = next(c for c in report["controls"] if c["control"] == "CC6.1 (review)")
    assert control["status"] == "evidenced"


def test_reviews_refuse_clearly(
    client: TestClient, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reviews", "start", "--resource", "aws-prod", "--as", "dave"]) == 1
    assert "Nobody has access to aws-prod through me" in capsys.readouterr().err
    assert main(["reviews", "show", "999"]) == 1
    assert "no review campaign #999" in capsys.readouterr().err
    assert main(["reviews", "decide", "999", "keep", "--as", "dave"]) == 1
    assert "There is no review item 999" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad:
        main(["reviews", "decide", "x", "keep", "--as", "dave"])
    assert bad.value.code == 2
    assert "invalid int value: 'x'" in capsys.readouterr().err


def test_an_unanswered_item_is_reminded_once(client: TestClient) -> None:
    from datetime import timedelta

    rt = client.app.state.runtime  # type: ignore[attr-defined]
    new_user(client, "kim@example.com")
    _grant(client, "kim@example.com", "prod-db")
    inbox(client, "dave")
    run(client, lambda: rt.assistant.jml.reviews.start("prod-db", "dave"))
    assert len([c for c in inbox(client, "dave") if c.buttons]) == 1
    later = utcnow() + timedelta(hours=1.5)
    assert run(client, lambda: rt.assistant.jml.reviews.remind(later)) == 1
    assert run(client, lambda: rt.assistant.jml.reviews.remind(later)) == 0
    reminded = inbox(client, "dave")
    assert "Reminder" in text_of(reminded) and reminded[0].buttons


def test_a_leaver_loses_their_bundle_items_too(client: TestClient) -> None:
    nina = _onboarded(client, "nina@example.com")
    assert members(client, "acme-developers") == ["nina@example.com"]
    deactivate(client, nina["id"])
    assert members(client, "acme-developers") == []
    assert members(client, "jenkins") == []
    told = text_of(inbox(client, "boss-of-nina@example.com"))
    assert "github" in told and "removed from the acme-developers group" in told, told


def test_an_item_left_unanswered_is_escalated_to_the_reviewers_manager(
    client: TestClient,
) -> None:
    from datetime import timedelta

    from tests.directory.conftest import new_group

    rt = client.app.state.runtime  # type: ignore[attr-defined]
    vp = new_user(client, "vp@example.com")
    extra = {ENTERPRISE: {"manager": {"value": vp["id"]}}}
    rm = new_user(client, "rm@example.com", schemas=[USER, ENTERPRISE], **extra)
    new_group(client, "Release", [rm["id"]])
    new_user(client, "kim@example.com")
    _grant(client, "kim@example.com", "jenkins")  # jenkins: owned by release managers
    campaign = run(client, lambda: rt.assistant.jml.reviews.start("jenkins", "dave"))
    assert "rm@example.com" in campaign.reviewers
    later = utcnow() + timedelta(hours=3)
    assert run(client, lambda: rt.assistant.jml.reviews.remind(later)) == 1
    cards = [c for c in inbox(client, "vp@example.com") if c.buttons]
    assert cards and "reviewer's manager" in text_of(cards)
    # The manager may decide, but removing someone else's access is RBAC's to allow: an
    # employee's role grants access.revoke for themselves only (deny by default).
    said = text_of(say(client, "vp@example.com", press=button(cards, "Revoke")))
    assert "not removed: refused" in said and "for yourself only" in said, said
    assert members(client, "jenkins") == ["kim@example.com"]
    assert _requests(client, "access.revoke") == []


def test_a_release_manager_revokes_jenkins_as_the_config_grants_it(client: TestClient) -> None:
    """jenkins is owned by release managers; their role grants access.revoke where
    resource is jenkins, so the owner's revoke runs at once, as their own request."""
    from tests.directory.conftest import new_group

    rt = client.app.state.runtime  # type: ignore[attr-defined]
    rm = new_user(client, "rm@example.com")
    new_group(client, "Release", [rm["id"]])
    new_user(client, "kim@example.com")
    _grant(client, "kim@example.com", "jenkins")
    run(client, lambda: rt.assistant.jml.reviews.start("jenkins", "dave"))
    cards = [c for c in inbox(client, "rm@example.com") if c.buttons]
    said = text_of(say(client, "rm@example.com", press=button(cards, "Revoke")))
    assert "removed by request #" in said, said
    assert members(client, "jenkins") == []
    assert [a.requester for a in _requests(client, "access.revoke")] == ["rm@example.com"]


def test_revoking_a_bundle_item_removes_it_through_its_back_end(client: TestClient) -> None:
    """A grant onboarding gave (a bundle item) is revoked by the same access.revoke request:
    the item's back end removes it and its row says removed."""
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    _onboarded(client, "nina@example.com")
    inbox(client, "dave")
    campaign = run(client, lambda: rt.assistant.jml.reviews.start("github", "dave"))
    cards = [c for c in inbox(client, "dave") if c.buttons]
    said = text_of(say(client, "dave@example.com", press=button(cards, "Revoke")))
    assert "removed by request #" in said, said
    assert members(client, "acme-developers") == []
    assert members(client, "jenkins") == ["nina@example.com"]  # the rest of the bundle stays
    revoke = _requests(client, "access.revoke")[0]
    assert "removed from the acme-developers group" in (revoke.result or "")
    shown = run(client, lambda: views.campaign(rt.store, campaign.id))
    assert shown["items"][0]["revoke_request"] == revoke.id
