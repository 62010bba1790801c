"""Issue 18 item 4, "policy may require a second person for executives": a leaver whose job
title or group `[jml.offboarding]` names keeps everything until someone other than the one
who asked approves the employee.offboard request (the approvers get the usual card; the
requester and the leaver's manager are told it waits); approved, every grant goes. Everyone
else is offboarded at once, as before. SCIM over HTTP, clicks through Assistant.handle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from chatbot.cli import main
from chatbot.config import IdentitySettings, JmlSettings, OffboardingSettings, Settings
from chatbot.server import create_app
from chatbot.store.tables import Action
from chatbot.testing import button, text_of
from intents import Understander
from tests.directory.conftest import ENTERPRISE, USER, new_group, new_user
from tests.directory.test_directory_flows import deactivate, say
from tests.directory.test_offboarding import _grant
from tests.jml.conftest import inbox, members, run

SECOND = OffboardingSettings(
    second_person_titles=("Chief Executive Officer",),
    second_person_groups=("Executives",),
    approvers="release-manager",
)


@pytest.fixture
def client(
    jml_settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    jml = JmlSettings(onboard_as="dave", offboarding=SECOND)
    with TestClient(
        create_app(jml_settings.model_copy(update={"jml": jml}), database_url, understander)
    ) as c:
        yield c


def _offboard_requests(client: TestClient) -> list[Action]:
    rt = client.app.state.runtime  # type: ignore[attr-defined]

    async def read() -> list[Action]:
        async with rt.store.transaction() as tx:
            query = select(Action).where(Action.skill == "employee.offboard")
            return list((await tx.exec(query)).all())

    return run(client, read)


def test_an_executive_deactivated_over_scim_waits_for_a_second_person(
    client: TestClient,
) -> None:
    board = new_user(client, "board@example.com")
    extra = {ENTERPRISE: {"manager": {"value": board["id"]}}}
    ceo = new_user(
        client,
        "ceo@example.com",
        schemas=[USER, ENTERPRISE],
        title="Chief Executive Officer",
        **extra,
    )
    staff = new_user(client, "kim@example.com")
    _grant(client, "ceo@example.com", "grafana")
    _grant(client, "kim@example.com", "grafana")
    inbox(client, "dave")

    deactivate(client, staff["id"])  # everyone else: at once, as before
    assert members(client, "grafana") == ["ceo@example.com"]
    deactivate(client, ceo["id"])
    assert members(client, "grafana") == ["ceo@example.com"]  # nothing taken yet
    [request] = _offboard_requests(client)
    assert (request.state, request.requester) == ("awaiting_approval", "dave")
    told = text_of(inbox(client, "dave"))
    assert "needs a second person's approval (title Chief Executive Officer)" in told, told
    assert "needs a second person's approval" in text_of(inbox(client, "board@example.com"))
    cards = [r for r in inbox(client, "carol") if r.buttons]
    assert cards and "Offboard ceo@example.com" in text_of(cards), text_of(cards)

    refused = text_of(say(client, "dave@example.com", press=button(cards, "Approve")))
    assert "cannot approve or reject your own request" in refused, refused  # not the asker
    assert members(client, "grafana") == ["ceo@example.com"]
    deactivate(client, ceo["id"])  # SCIM says it again: still one request
    assert len(_offboard_requests(client)) == 1

    done = text_of(say(client, "carol@example.com", press=button(cards, "Approve")))
    assert "ceo@example.com left the company" in done, done
    assert members(client, "grafana") == []
    assert _offboard_requests(client)[0].state == "succeeded"
    report = text_of(inbox(client, "board@example.com"))
    assert "access to grafana" in report, report


def test_an_executive_by_group_from_the_cli_waits_and_says_so(
    client: TestClient,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfo = new_user(client, "cfo@example.com")
    new_group(client, "Executives", [cfo["id"]])
    _grant(client, "cfo@example.com", "prod-db")
    monkeypatch.setenv("CHATOPS_DATABASE_URL", database_url)
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    config = tmp_path / "chatops.toml"
    config.write_text(
        '[identity]\ndomains = ["example.com"]\n[jml]\nonboard_as = "dave"\n'
        '[jml.offboarding]\nsecond_person_groups = ["executives"]\n'
        'approvers = "release-manager"\n'
    )
    capsys.readouterr()
    args = ["--config", str(config), "employee", "offboard", "cfo@example.com"]
    assert main([*args, "--as", "erin", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["waiting_for_approval"], shown
    assert shown["waiting_for_approval"] and shown["items"][0]["step"] == "approval"
    assert "group executives" in shown["items"][0]["detail"]
    assert members(client, "prod-db") == ["cfo@example.com"]
    [request] = _offboard_requests(client)
    assert request.requester == "erin" and request.state == "awaiting_approval"


def test_a_second_person_needs_someone_to_ask_and_known_roles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[jml.offboarding]\nsecond_person_titles = ["CEO"]\n')
    assert main(["--config", str(config), "reviews", "list"]) == 2
    assert "jml.onboard_as" in capsys.readouterr().err
    config.write_text(
        '[jml]\nonboard_as = "dave"\n[jml.offboarding]\nsecond_person_roles = ["board"]\n'
    )
    assert main(["--config", str(config), "reviews", "list"]) == 2
    assert "jml.offboarding.second_person_roles" in capsys.readouterr().err


def test_an_executive_offboarded_in_chat_waits_for_a_second_person_too(
    jml_settings: Settings, database_url: str, understander: Understander
) -> None:
    jml = JmlSettings(onboard_as="dave", offboarding=SECOND)
    identity = IdentitySettings(domains=("example.com",), group_roles={"People": ("hr",)})
    settings = jml_settings.model_copy(update={"jml": jml, "identity": identity})
    with TestClient(create_app(settings, database_url, understander)) as client:
        hana = new_user(client, "hana@example.com")
        new_group(client, "People", [hana["id"]])
        new_user(client, "ceo@example.com", title="Chief Executive Officer")
        _grant(client, "ceo@example.com", "grafana")
        asked = say(client, "hana@example.com", "please offboard ceo@example.com")
        assert "Offboard ceo@example.com now?" in asked[0].text, text_of(asked)
        said = text_of(say(client, "hana@example.com", press=button(asked, "Confirm")))
        assert "needs a second person's approval (title Chief Executive Officer)" in said, said
        assert members(client, "grafana") == ["ceo@example.com"]  # confirming takes nothing
        states = sorted(a.state for a in _offboard_requests(client))
        assert states == ["awaiting_approval", "succeeded"], states  # the chat one asked
        cards = [r for r in inbox(client, "carol") if r.buttons]
        done = text_of(say(client, "carol@example.com", press=button(cards, "Approve")))
        assert "ceo@example.com left the company" in done, done
        assert members(client, "grafana") == []
