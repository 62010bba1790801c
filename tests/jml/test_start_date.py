"""Issue 18, done-when 1: a person created over SCIM with a start date is onboarded on that
date after their manager's approval, with every bundle item granted (an Okta group through
the Okta fake held to its contract, and two sandbox groups). The start date rides in our SCIM
extension (urn:...:extension:chatops:2.0:User startDate), published in /Schemas and
/ResourceTypes; time moves on the runtime's clock, and the timed start runs as the job
engine runs it, no sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from chatbot.config import Bundle, BundleItem, Settings
from chatbot.governance.clock import ManualClock
from chatbot.schedules import START_JOB
from chatbot.server import create_app
from chatbot.testing import button, text_of
from intents import Understander
from tests.directory.conftest import AUTH, ENTERPRISE, USER, new_user
from tests.directory.test_directory_flows import PATCH, say
from tests.jml.conftest import inbox, members, run
from tests.jml.test_joiners_movers import _rows
from tests.skills.skill_fakes import CONNECTORS, SECRETS, Exchange, FakeSystem, transport

CHATOPS = "urn:ietf:params:scim:schemas:extension:chatops:2.0:User"
OKTA = {"Authorization": "SSWS okta-s3cret-123", "Accept": "application/json"}
NINA = Exchange("GET", "/api/v1/users/nina@example.com", 200, {"id": "00u1nina"})
GRANT = Exchange("PUT", "/api/v1/groups/00g-grafana/users/00u1nina", 204)
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday afternoon
ENGINEERING = Bundle(
    departments=("Engineering",),
    items=(
        BundleItem(resource="github", grant="acme-developers"),
        BundleItem(resource="grafana", backend="okta"),
        BundleItem(resource="jenkins"),
    ),
)


@pytest.fixture
def okta() -> FakeSystem:
    return FakeSystem("acme.okta.com", [NINA, GRANT], headers=OKTA)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def app(
    jml_settings: Settings,
    database_url: str,
    understander: Understander,
    okta: FakeSystem,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = jml_settings.model_copy(
        update={"bundles": {"engineering": ENGINEERING}, "connectors": CONNECTORS}
    )
    made = create_app(settings, database_url, understander, transport(okta), clock=clock)
    with TestClient(made) as c:
        yield c


def _joiner(client: TestClient, manager_id: str, start: str, tz: str = "") -> dict:
    extra: dict[str, object] = {
        ENTERPRISE: {"department": "Engineering", "manager": {"value": manager_id}},
        CHATOPS: {"startDate": start},
    }
    if tz:
        extra["timezone"] = tz
    return new_user(client, "nina@example.com", schemas=[USER, ENTERPRISE, CHATOPS], **extra)


def _action_state(client: TestClient) -> tuple[int, str]:
    from sqlmodel import select

    from chatbot.store.tables import Action

    rt = client.app.state.runtime  # type: ignore[attr-defined]

    async def read() -> tuple[int, str]:
        async with rt.store.transaction() as tx:
            query = select(Action).where(Action.skill == "employee.onboard")
            action = (await tx.exec(query)).one()
        return action.id or 0, action.state

    return run(client, read)


def test_a_scim_joiner_with_a_start_date_is_onboarded_on_that_date_after_approval(
    app: TestClient, clock: ManualClock, okta: FakeSystem
) -> None:
    boss = new_user(app, "boss@example.com")
    nina = _joiner(app, boss["id"], "2026-12-07", tz="Europe/Berlin")
    assert nina[CHATOPS]["startDate"].startswith("2026-12-07")
    assert set(_rows(app, "nina@example.com").values()) == {"pending"}
    cards = [r for r in inbox(app, "boss@example.com") if r.buttons]
    assert "nina@example.com" in text_of(cards), text_of(cards)
    done = text_of(say(app, "boss@example.com", press=button(cards, "Approve")))
    assert "Scheduled request" in done and "07 Dec" in done, done
    action_id, state = _action_state(app)
    assert state == "scheduled"
    assert members(app, "acme-developers") == [] and not okta.seen  # nothing before the day
    rt = app.app.state.runtime  # type: ignore[attr-defined]
    planned = run(app, lambda: rt.jobs.planned(START_JOB, action_id=action_id))
    # Midnight on the 7th on the joiner's own clock (Berlin), 23:00 UTC the day before.
    assert planned == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    clock.now = planned  # the start date has come: the job engine runs the timed start
    run(app, lambda: rt.jobs.run(START_JOB, {"action_id": action_id}))
    assert _action_state(app) == (action_id, "succeeded")
    assert _rows(app, "nina@example.com") == {
        "github": "granted",
        "grafana": "granted",
        "jenkins": "granted",
    }
    assert members(app, "acme-developers") == ["nina@example.com"]
    assert members(app, "jenkins") == ["nina@example.com"]
    okta.done()  # the Okta group was granted through Okta's API, exactly once
    welcome = text_of(inbox(app, "nina@example.com"))
    assert "Welcome" in welcome and "grafana" in welcome


def test_a_start_date_today_or_past_runs_once_approved(app: TestClient) -> None:
    boss = new_user(app, "boss@example.com")
    _joiner(app, boss["id"], "2026-12-01T00:00:00Z")  # today
    cards = [r for r in inbox(app, "boss@example.com") if r.buttons]
    done = text_of(say(app, "boss@example.com", press=button(cards, "Approve")))
    assert "nina@example.com now has" in done, done
    assert set(_rows(app, "nina@example.com").values()) == {"granted"}


def test_the_extension_is_published_and_a_patch_by_urn_path_sets_the_date(
    app: TestClient,
) -> None:
    types = app.get("/scim/v2/ResourceTypes/User", headers=AUTH).json()
    extensions = {e["schema"]: e["required"] for e in types["schemaExtensions"]}
    assert extensions == {ENTERPRISE: False, CHATOPS: False}
    schema = app.get(f"/scim/v2/Schemas/{CHATOPS}", headers=AUTH).json()
    [attr] = schema["attributes"]
    assert (attr["name"], attr["type"], attr["multiValued"]) == ("startDate", "dateTime", False)
    boss = new_user(app, "boss@example.com")
    plain = new_user(app, "nina@example.com", schemas=[USER])  # no department: no bundle yet
    body = {
        "schemas": [PATCH],
        "Operations": [
            # As Entra ID sends it: an "Add" per attribute, the URN in the path.
            {"op": "Add", "path": f"{CHATOPS}:startDate", "value": "2026-12-14T00:00:00Z"},
            {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Engineering"},
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": {"value": boss["id"]}},
        ],
    }
    patched = app.patch(f"/scim/v2/Users/{plain['id']}", json=body, headers=AUTH)
    assert patched.status_code in (200, 204), patched.text
    read = app.get(f"/scim/v2/Users/{plain['id']}", headers=AUTH).json()
    assert read[CHATOPS]["startDate"].startswith("2026-12-14")
    cards = [r for r in inbox(app, "boss@example.com") if r.buttons]
    done = text_of(say(app, "boss@example.com", press=button(cards, "Approve")))
    assert "Scheduled request" in done and "14 Dec" in done, done


def test_a_start_date_that_is_not_a_date_is_a_scim_error(app: TestClient) -> None:
    body = {
        "schemas": [USER, CHATOPS],
        "userName": "odd@example.com",
        CHATOPS: {"startDate": "next monday"},
    }
    made = app.post("/scim/v2/Users", json=body, headers=AUTH)
    assert made.status_code == 400, made.text
    assert made.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def _move_start(client: TestClient, person_id: str, day: str) -> None:
    body = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": f"{CHATOPS}:startDate", "value": day}],
    }
    moved = client.patch(f"/scim/v2/Users/{person_id}", json=body, headers=AUTH)
    assert moved.status_code in (200, 204), moved.text


def test_a_start_date_moved_before_approval_moves_the_start(app: TestClient) -> None:
    from chatbot.governance import audit

    boss = new_user(app, "boss@example.com")
    nina = _joiner(app, boss["id"], "2026-12-07")
    _move_start(app, nina["id"], "2026-12-14T00:00:00Z")  # the joiner starts a week later
    cards = [r for r in inbox(app, "boss@example.com") if r.buttons]
    assert len(cards) == 1  # still one request, not a second one
    action_id, _ = _action_state(app)
    done = text_of(say(app, "boss@example.com", press=button(cards, "Approve")))
    assert "Scheduled request" in done and "14 Dec" in done, done
    rt = app.app.state.runtime  # type: ignore[attr-defined]
    planned = run(app, lambda: rt.jobs.planned(START_JOB, action_id=action_id))
    assert planned == datetime(2026, 12, 14, 0, 0, tzinfo=UTC)
    _move_start(app, nina["id"], "2026-12-21")  # after approval: said, not moved

    async def events() -> list[str]:
        async with rt.store.transaction() as tx:
            return [e.event async for e in audit.entries(tx)]

    seen = run(app, events)
    assert "action.rescheduled" in seen and "jml.start_not_moved" in seen
    assert run(app, lambda: rt.jobs.planned(START_JOB, action_id=action_id)) == planned
