"""The KPI and unserved-requests pages through the real app, from a week of known records."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import yaml

from chatbot.store.engine import Store
from tests.console.conftest import ConsoleClient
from tests.insights import fixture


@pytest.fixture
def seeded(
    console: ConsoleClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> ConsoleClient:
    """The fixture's week, moved to end yesterday so 'the last 30 days' holds it."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(fixture, "MONDAY", today - timedelta(days=7))

    async def fill() -> None:
        store = Store(database_url)
        await fixture.seed(store)
        await store.close()

    asyncio.run(fill())
    return console


def test_the_kpi_page_draws_its_charts_from_the_records(seeded: ConsoleClient) -> None:
    page = seeded.get("/kpis")
    assert page.status_code == 200
    html = page.text
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') >= 5
    assert 'role="img"' in html and "<desc id=" in html
    assert "Change failure rate" in html and "50%" in html  # one of the two deploys
    assert "Satisfaction" in html and "3 up, 1 down" in html
    assert "Request access" in html and "Deploy a service" in html  # requests by skill
    assert "<table><caption>Time to acknowledge and to resolve incidents" in html
    week = seeded.get("/kpis", range="90d", step="week")
    assert week.status_code == 200 and "by week" in week.text


def test_a_range_that_is_not_offered_is_a_clear_error(seeded: ConsoleClient) -> None:
    page = seeded.get("/kpis", range="10y")
    assert page.status_code == 400
    assert "is not a range here; choose one of 7d, 30d, 90d, 365d" in unescape(page.text)
    assert seeded.get("/kpis", step="month").status_code == 400
    assert seeded.get("/unmatched", range="x").status_code == 400


def test_auditors_read_the_pages_and_others_may_not(seeded: ConsoleClient) -> None:
    assert seeded.get("/kpis", as_="frank").status_code == 200
    assert seeded.get("/kpis", as_="alice").status_code == 403
    unserved = seeded.get("/unmatched", as_="frank")
    assert unserved.status_code == 200
    assert "Draft a skill" not in unserved.text  # auditors read, admins act


def test_unserved_requests_are_grouped_and_a_skill_can_be_drafted(seeded: ConsoleClient) -> None:
    page = seeded.get("/unmatched")
    assert page.status_code == 200
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())
    assert "“my printer is jammed again” asked 3 times" in text
    assert "“my second monitor is not detected” asked 2 times" in text
    assert "thanks!" not in text
    drafts = re.findall(r'name="draft" value="([^"]*)"', page.text)
    assert len(drafts) == 2
    draft = unescape(drafts[0])
    assert yaml.safe_load(draft)["name"] == "printer.jammed"
    form = seeded.post("/skills/new", draft=draft, format="yaml")
    assert form.status_code == 200
    assert "printer.jammed" in form.text and "my printer is jammed again" in form.text
    assert [e["outcome"] for e in seeded.audit("console.post")] == ["ok"]


def test_a_browser_form_post_with_a_null_origin_is_judged_by_sec_fetch_site(
    console: ConsoleClient,
) -> None:
    """Under Referrer-Policy: no-referrer, browsers send Origin: null on form posts."""
    fields = {"as": "dave", "draft": "name: x\n", "format": "yaml"}
    for site, status in (("same-origin", 200), ("cross-site", 403), ("", 403)):
        headers = {"Origin": "null", "Sec-Fetch-Site": site} if site else {"Origin": "null"}
        sent = console.client.post("/console/skills/new", data=fields, headers=headers)
        assert sent.status_code == status, site


def test_with_no_records_the_pages_say_so(console: ConsoleClient) -> None:
    kpis = console.get("/kpis", range="7d")
    assert kpis.status_code == 200
    assert "No data in this range." in kpis.text and "no data" in kpis.text
    unserved = console.get("/unmatched")
    assert "Nothing unserved in this range" in unserved.text
