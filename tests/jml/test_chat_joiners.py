"""Issue 18 item 2 and 4 from chat, through Assistant.handle: HR onboards a joiner in words
("onboard dana as a developer starting Monday, manager erin"): a card says what, for whom,
from when and who approves; the manager named approves, and the steps wait for the start
date, read on the requester's calendar. "mallory left the company, remove her access" is
confirmed, then everything is taken away. The person named is never the requester nor the
manager; a name nobody has is a sentence; RBAC decides who may ask."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from chatbot.config import Bundle, BundleItem, IdentitySettings, Settings
from chatbot.governance.clock import ManualClock
from chatbot.schedules import START_JOB
from chatbot.server import create_app
from chatbot.store.tables import Action, ScheduledAction
from chatbot.testing import button, text_of
from chatbot.types import ReplyKind
from intents import Understander
from tests.directory.conftest import ENTERPRISE, USER, new_group, new_user
from tests.directory.test_directory_flows import say
from tests.jml.conftest import BUNDLES, inbox, members, run

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday: "Monday" is the 7th
HR = "hana@example.com"
DEVELOPER = Bundle(
    roles=("developer",),
    items=(BundleItem(resource="github", grant="acme-developers"), BundleItem(resource="jenkins")),
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def app(
    jml_settings: Settings, database_url: str, understander: Understander, clock: ManualClock
) -> Iterator[TestClient]:
    settings = jml_settings.model_copy(
        update={
            "bundles": {**BUNDLES, "developer": DEVELOPER},
            "identity": IdentitySettings(domains=("example.com",), group_roles={"People": ("hr",)}),
        }
    )
    with TestClient(create_app(settings, database_url, understander, clock=clock)) as c:
        hana = new_user(c, HR, timezone="Europe/Berlin")
        new_group(c, "People", [hana["id"]])
        yield c


def _actions(client: TestClient, skill: str) -> list[Action]:
    rt = client.app.state.runtime  # type: ignore[attr-defined]

    async def read() -> list[Action]:
        async with rt.store.transaction() as tx:
            query = select(Action).where(Action.skill == skill)
            return list((await tx.exec(query)).all())

    return run(client, read)


def test_hr_onboards_a_joiner_in_words_the_named_manager_approves_it_starts_monday(
    app: TestClient, clock: ManualClock
) -> None:
    erika = new_user(app, "erika@example.com")
    extra = {ENTERPRISE: {"manager": {"value": erika["id"]}}}
    new_user(app, "dana@example.com", schemas=[USER, ENTERPRISE], **extra)  # no bundle yet
    other = say(app, HR, "onboard dana as a developer starting Monday, manager hana")
    assert "manager in the directory is erika@example.com, not hana" in text_of(other)
    asked = say(app, HR, "onboard dana as a developer starting Monday, manager erika")
    card = text_of(asked)
    assert asked[0].kind is ReplyKind.CONFIRM, card
    assert "dana@example.com" in card and "developer" in card and "erika" in card, card
    assert "Mon 07 Dec" in card and "employee.onboard" not in card, card
    sent = say(app, HR, press=button(asked, "Send for approval"))
    assert "waiting for approval by erika" in text_of(sent), text_of(sent)
    card_for_erika = [r for r in sent if r.to == "erika@example.com"]
    approved = say(app, "erika@example.com", press=button(card_for_erika, "Approve"))
    assert "Scheduled request" in text_of(approved), text_of(approved)
    [action] = _actions(app, "employee.onboard")
    assert action.state == "scheduled" and action.requester == HR
    assert members(app, "acme-developers") == []
    rt = app.app.state.runtime  # type: ignore[attr-defined]

    async def planned() -> datetime:
        async with rt.store.transaction() as tx:
            row = await tx.get(ScheduledAction, action.id)
            assert row is not None
            return row.run_at

    assert run(app, planned) == datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # dana's zone: UTC
    clock.now = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    run(app, lambda: rt.jobs.run(START_JOB, {"action_id": action.id}))
    assert members(app, "acme-developers") == ["dana@example.com"]
    assert members(app, "jenkins") == ["dana@example.com"]


def test_a_named_person_nobody_has_is_a_sentence_never_someone_else(app: TestClient) -> None:
    for text in (
        "onboard zed as a developer, manager erin",
        "please offboard mallory",
        "mallory left the company, remove her access",
    ):
        said = say(app, HR, text)
        assert said[0].kind is ReplyKind.ERROR, text_of(said)
        named = "zed" if "zed" in text else "mallory"
        assert f"anyone called '{named}'" in said[0].text, said[0].text
        assert not said[0].buttons
    assert not _actions(app, "employee.onboard") and not _actions(app, "employee.offboard")
    nobody = say(app, HR, "onboard dana as a developer, manager zoe")
    assert "manager called 'zoe'" in text_of(nobody)
    role = say(app, HR, "onboard erin as an astronaut")
    assert "no access bundle for 'astronaut'" in text_of(role), text_of(role)


def test_a_leaver_named_in_chat_loses_everything_once_confirmed(app: TestClient) -> None:
    boss = new_user(app, "boss@example.com")
    extra = {
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Engineering",
            "manager": {"value": boss["id"]},
        }
    }
    schemas = [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ]
    new_user(app, "mallory@example.com", schemas=schemas, **extra)
    say(app, "boss@example.com", press=button(inbox(app, "boss@example.com"), "Approve"))
    assert members(app, "acme-developers") == ["mallory@example.com"]
    asked = say(app, HR, "mallory left the company, remove her access")
    assert asked[0].kind is ReplyKind.CONFIRM, text_of(asked)
    assert "Offboard mallory@example.com now?" in asked[0].text
    assert members(app, "acme-developers") == ["mallory@example.com"]  # nothing on a guess
    done = text_of(say(app, HR, press=button(asked, "Confirm")))
    assert "acme-developers" in done or "github" in done, done
    assert members(app, "acme-developers") == [] and members(app, "jenkins") == []
    refused = say(app, "mallory@example.com", "help")
    assert refused[0].kind is ReplyKind.ERROR  # deactivated: can do nothing any more


def test_who_may_offboard_is_rbac_and_nobody_offboards_themselves(app: TestClient) -> None:
    new_user(app, "mallory@example.com")
    denied = say(app, "bob@example.com", "please offboard mallory")
    assert denied[0].kind is ReplyKind.ERROR and not denied[0].buttons, text_of(denied)
    assert not _actions(app, "employee.offboard")
    itself = say(app, HR, "please offboard hana")
    assert "cannot offboard yourself" in text_of(itself)
    nobody = say(app, HR, "offboard someone")
    assert nobody[0].kind is ReplyKind.QUESTION and "Who is leaving?" in nobody[0].text


def test_a_dry_run_says_what_onboarding_would_ask_for_and_asks_nothing(app: TestClient) -> None:
    new_user(app, "dana@example.com")
    said = say(app, HR, "dry run: onboard dana as a developer")
    assert "(dry run) Would give dana@example.com: github, jenkins." in text_of(said)
    assert not _actions(app, "employee.onboard")
    refused = say(app, "alice@example.com", "dry run: onboard dana as a developer")
    assert refused[0].kind is ReplyKind.ERROR and "github" not in text_of(refused)


def test_offboarding_a_person_of_the_settings_file_says_to_remove_them_there(
    app: TestClient,
) -> None:
    asked = say(app, HR, "offboard alice")
    assert "Offboard alice now?" in asked[0].text, text_of(asked)
    done = text_of(say(app, HR, press=button(asked, "Confirm")))
    assert "remove [people.alice] there too" in done, done
    assert say(app, "alice@example.com", "help")[0].kind is ReplyKind.ERROR
