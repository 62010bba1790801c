"""On-call responders from PagerDuty: when an incident opens, whoever is on call first for the
service's escalation policy is found in the directory by email, shown on the card and the
timeline, and told; PagerDuty failing is a timeline line, never a held-back incident.

PagerDuty publishes no OpenAPI document we may ship (shared/contracts/README.md), so its fake
is held to the documented rules in tests/fakes/vendors.py (path, parameters, Accept header,
list envelope), request and answer alike."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from chatbot.server import create_app
from chatbot.store.tables import AuditEntry, Notification
from tests.adapters.conftest import SIGNING_SECRET, server_settings
from tests.adapters.conftest import model_dir as model_dir
from tests.adapters.conftest import slack_api as slack_api
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.vendors import vendor_for
from tests.incidents.test_threads import CHANNEL, TOKEN, fire, timeline

PD_TOKEN = "pd-s3cret-for-tests"
POLICY = "PEP1"


def pd_user(name: str, email: str, ident: str) -> dict[str, Any]:
    """A PagerDuty user as `include[]=users` expands it (a User, not a reference)."""
    return {
        "id": ident,
        "type": "user",
        "summary": name,
        "self": f"https://api.pagerduty.com/users/{ident}",
        "html_url": f"https://acme.pagerduty.com/users/{ident}",
        "name": name,
        "email": email,
        "time_zone": "Europe/Berlin",
    }


def oncall(level: int, user: dict[str, Any]) -> dict[str, Any]:
    return {
        "escalation_policy": {"id": POLICY, "type": "escalation_policy_reference"},
        "escalation_level": level,
        "schedule": None,
        "user": user,
        "start": None,
        "end": None,
    }


class PagerDutyFake:
    """GET /oncalls, checked against PagerDuty's documented rules before answering."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer, self.seen = answer, list[httpx.Request]()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        vendor = vendor_for(request)
        vendor.check_request(request)
        assert request.headers["authorization"] == f"Token token={PD_TOKEN}"
        self.seen.append(request)
        response = self.answer(request)
        vendor.check_response(request, response)
        return response


def listing(*entries: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"oncalls": list(entries), "limit": 100, "offset": 0, "more": False, "total": None}
        return httpx.Response(200, json=body)

    return answer


@pytest.fixture
def with_pagerduty(
    model_dir: Path, database_url: str, slack_api: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> Callable[[PagerDutyFake], Any]:
    monkeypatch.setenv("CHATOPS_SECRET__PAGERDUTY__TOKEN", PD_TOKEN)
    slack = {"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET, "api_url": slack_api.url}
    settings = server_settings(
        model_dir,
        database_url,
        alerts={"alertmanager_token": TOKEN},
        incidents={"channels": {"checkout": CHANNEL}, "responders": {"*": ["carol"]}},
        slack=slack,
    ).model_copy(
        update={
            "backends": {"oncall.who": "pagerduty"},
            "connectors": {
                "pagerduty": {"escalation_policies": {"checkout": POLICY}, "backoff": 0}
            },
        }
    )

    @asynccontextmanager
    async def serve(fake: PagerDutyFake) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
        app = create_app(settings, transport=httpx.MockTransport(fake))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as h:
                yield app, h

    return serve


async def test_on_call_people_are_responders_on_the_card_and_timeline_and_are_told(
    with_pagerduty: Callable[[PagerDutyFake], Any], slack_api: FakeSlackApi
) -> None:
    fake = PagerDutyFake(
        listing(
            oncall(1, pd_user("Dave On-Call", "dave@example.com", "PU1")),
            oncall(1, pd_user("Zed Contractor", "zed@elsewhere.example", "PU2")),
            oncall(2, pd_user("Erin Backup", "erin@example.com", "PU3")),
        )
    )
    async with with_pagerduty(fake) as (app, http):
        await fire(http, app)
        [asked] = fake.seen
        assert asked.url.params["escalation_policy_ids[]"] == POLICY
        assert asked.url.params["include[]"] == "users"
        [card] = slack_api.posts_to(CHANNEL)
        assert "Responders: Carol (release manager), Dave (admin)." in card["text"]
        assert "Erin" not in card["text"]  # level 2 is paged later, not now
        assert slack_api.posts_to("DUDAVE"), "the on-call person is told directly"
        lines = [t for t in await timeline(app) if t[0] == "responders"]
        assert any("Dave (admin)" in text for _, _, text in lines)
        assert any(
            "Zed Contractor" in text and "not in the directory" in text for *_, text in lines
        )
        async with app.state.runtime.store.transaction() as tx:
            notes = await tx.exec(select(Notification).where(Notification.recipient == "dave"))
            [told] = notes.all()
            assert told.text.startswith("Incident INC-1") and told.buttons != "[]"
            entries = await tx.exec(
                select(AuditEntry).where(AuditEntry.event == "incident.responders")
            )
            [entry] = entries.all()
            assert entry.outcome == "found" and "dave" in entry.detail


async def test_pagerduty_failing_is_on_the_timeline_and_the_incident_goes_out_anyway(
    with_pagerduty: Callable[[PagerDutyFake], Any], slack_api: FakeSlackApi
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": {"message": "Service Unavailable"}})

    fake = PagerDutyFake(down)
    async with with_pagerduty(fake) as (app, http):
        await fire(http, app)
        assert len(fake.seen) >= 1
        [card] = slack_api.posts_to(CHANNEL)  # the configured responder and channel still hear
        assert "Responders: Carol (release manager)." in card["text"]
        lines = [text for kind, _, text in await timeline(app) if kind == "responders"]
        assert len(lines) == 1 and lines[0].startswith("could not ask PagerDuty who is on call")
        assert "503" in lines[0], lines[0]
        assert PD_TOKEN not in lines[0]
        assert str((await app.state.runtime.incidents.get(1)).state) == "triggered"
