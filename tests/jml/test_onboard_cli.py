"""Issue 18 items 1-2 from a terminal: bundles are declared in the settings file (a mistake
is one line naming the key, exit 2); `chatops employee onboard` asks as HR for what the
person's bundles give, their manager approves; a future --start date holds it as a timed
start; a back end failing in the middle stops the run and says which step and what was
granted, and `chatops employee undo` removes exactly what was granted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from chatbot.cli import main
from chatbot.config import load_settings
from chatbot.server import create_app
from chatbot.store.tables import Action
from chatbot.testing import button, text_of
from intents import Understander
from tests.directory.conftest import ENTERPRISE, USER, new_user
from tests.directory.test_directory_flows import say
from tests.jml.conftest import inbox, members, run

CONFIG = """
[identity]
domains = ["example.com"]

[scim]
token = "s3cret"

[connectors.okta]
base_url = "http://127.0.0.1:9"
attempts = 1
timeout = 2

[bundles.ops]
description = "on-call engineers"
departments = ["Ops"]
items = [
  { resource = "grafana" },
  { resource = "pagerduty", backend = "okta", grant = "oncall" },
  { resource = "jenkins" },
]

[bundles.design]
titles = ["Designer"]
items = [{ resource = "figma" }, { resource = "grafana" }]
"""


@pytest.fixture
def configured(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "chatops.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("CHATOPS_CONFIG", str(config))
    monkeypatch.setenv("CHATOPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHATOPS_SECRET__OKTA__TOKEN", "okta-test-token")
    return config


@pytest.fixture
def app(configured: Path, understander: Understander) -> Iterator[TestClient]:
    with TestClient(create_app(load_settings(), None, understander)) as c:
        yield c


def _person(client: TestClient, email: str, boss: str, **core: object) -> dict:
    enterprise = {"manager": {"value": boss}, **core.pop("enterprise", {})}  # type: ignore[dict-item]
    return new_user(client, email, schemas=[USER, ENTERPRISE], **{ENTERPRISE: enterprise}, **core)


def test_a_bundle_mistake_stops_start_up_with_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    home = f"data_dir = '{tmp_path}'\n"  # never the working directory's .chatops
    config.write_text(
        home + '[bundles.dev]\nroles = ["developper"]\nitems = [{ resource = "x" }]\n'
    )
    assert main(["--config", str(config), "reviews", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bundles.dev.roles" in err and "'developper'" in err
    config.write_text(home + '[bundles.dev]\nitems = [{ resource = "x" }]\n')
    assert main(["--config", str(config), "reviews", "list"]) == 2
    assert "bundles.dev: matches nobody" in capsys.readouterr().err
    config.write_text(
        home + '[bundles.dev]\ntitles = ["x"]\nitems = [{ resource = "x", backend = "ldap" }]\n'
    )
    assert main(["--config", str(config), "employee", "onboard", "bob", "--as", "dave"]) == 2
    assert "bundles.dev.items.0.backend: unknown back end 'ldap'" in capsys.readouterr().err


def test_onboarding_with_a_future_start_date_waits_for_it_after_approval(
    app: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    boss = new_user(app, "boss@example.com")
    _person(app, "rita@example.com", boss["id"], title="Designer")
    capsys.readouterr()
    args = ["employee", "onboard", "rita@example.com", "--start", "2099-01-04", "--as", "dave"]
    assert main([*args, "--json"]) == 0
    asked = json.loads(capsys.readouterr().out)
    assert asked["asked"] == ["figma", "grafana"] and asked["request"]
    cards = [r for r in inbox(app, "boss@example.com") if r.buttons]
    done = text_of(say(app, "boss@example.com", press=button(cards, "Approve")))
    assert "Scheduled request" in done and "04 Jan" in done, done
    rt = app.app.state.runtime  # type: ignore[attr-defined]

    async def state() -> str:
        async with rt.store.transaction() as tx:
            return (await tx.exec(select(Action).where(Action.id == asked["request"]))).one().state

    assert run(app, state) == "scheduled"
    assert members(app, "figma") == []
    assert main(args) == 0  # asked again: everything is already waiting
    assert "already has or is waiting for everything" in capsys.readouterr().out


def test_a_failed_step_stops_says_which_and_undo_removes_what_was_granted(
    app: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    boss = new_user(app, "boss@example.com")
    _person(app, "sam@example.com", boss["id"], enterprise={"department": "Ops"})
    assert main(["employee", "onboard", "sam@example.com", "--as", "dave"]) == 0
    cards = [r for r in inbox(app, "boss@example.com") if r.buttons]
    done = text_of(say(app, "boss@example.com", press=button(cards, "Approve")))
    assert "stopped at step 2 of 3 (pagerduty)" in done, done
    assert "Granted so far: grafana" in done and "Not tried yet: jenkins" in done
    assert members(app, "grafana") == ["sam@example.com"]
    assert members(app, "jenkins") == []
    capsys.readouterr()
    assert main(["employee", "undo", "sam@example.com", "--as", "dave", "--json"]) == 0
    undone = json.loads(capsys.readouterr().out)
    assert {i["resource"]: i["state"] for i in undone["items"]} == {
        "grafana": "removed",
        "pagerduty": "removed",
        "jenkins": "removed",
    }
    assert members(app, "grafana") == []
    assert main(["employee", "undo", "nobody@example.com", "--as", "dave"]) == 1


def test_onboarding_refuses_clearly(app: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    new_user(app, "solo@example.com", title="Designer")  # no manager
    capsys.readouterr()
    assert main(["employee", "onboard", "solo@example.com", "--as", "dave"]) == 1
    assert "has no manager in the directory" in capsys.readouterr().err
    assert main(["employee", "onboard", "nobody@example.com", "--as", "dave"]) == 1
    assert "not an active person" in capsys.readouterr().err
    assert main(["employee", "onboard", "solo@example.com", "--as", "alice"]) == 1
    assert "may not be asked for" in capsys.readouterr().err
    assert main(["employee", "onboard", "bob", "--as", "dave"]) == 1
    assert "No access bundle matches bob" in capsys.readouterr().err


def test_a_policy_rule_for_onboarding_names_the_approvers_not_the_manager(
    tmp_path: Path,
    database_url: str,
    understander: Understander,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without a rule the joiner's manager approves; an admin's rule is never overridden."""
    config = tmp_path / "chatops.toml"
    rule = (
        '\n[[policy]]\nskill = "employee.onboard"\nrequires = "approval"\n'
        'approvers = "release-manager"\n'
    )
    config.write_text(CONFIG + rule)
    monkeypatch.setenv("CHATOPS_CONFIG", str(config))
    monkeypatch.setenv("CHATOPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHATOPS_SECRET__OKTA__TOKEN", "okta-test-token")
    with TestClient(create_app(load_settings(), None, understander)) as app:
        boss = new_user(app, "boss@example.com")
        _person(app, "rita@example.com", boss["id"], title="Designer")
        assert main(["employee", "onboard", "rita@example.com", "--as", "dave"]) == 0
        capsys.readouterr()
        assert [r for r in inbox(app, "boss@example.com") if r.buttons] == []
        cards = [r for r in inbox(app, "carol") if r.buttons]
        assert cards and "Approve" in [b.label for b in cards[0].buttons]
