"""Issue 18 item 5: `chatops reviews start --resource grafana` asks its owners about each
grant (an access request and a bundle item), one card each with Keep and Revoke; a revoke
removes that grant through its back end; the campaign export and the SOC 2 report show each
decision and who made it; an unanswered item is reminded. Leavers lose bundle items too."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from chatbot.cli import main
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
    assert "revoked" in said, said
    assert members(client, "grafana") == ["nina@example.com"]
    nina = next(i["item"] for i in campaign["items"] if i["person"] == "nina@example.com")
    assert main(["reviews", "decide", str(nina), "keep", "--as", "carol"]) == 1
    assert "for dave to decide, not you" in capsys.readouterr().out
    assert main(["reviews", "decide", str(nina), "keep", "--as", "dave"]) == 0
    capsys.readouterr()

    assert main(["reviews", "show", str(campaign["id"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "closed"
    decided = {(i["person"], i["decision"], i["decided_by"]) for i in shown["items"]}
    assert decided == {
        ("kim@example.com", "revoke", "dave"),
        ("nina@example.com", "keep", "dave"),
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
    said = text_of(say(client, "vp@example.com", press=button(cards, "Revoke")))
    assert "revoked" in said, said
    assert members(client, "jenkins") == []
