"""Who may look at the console and act in it; cross-site posts; the proxy's identity."""

from __future__ import annotations

from starlette.testclient import TestClient

from chatbot.config import Settings
from chatbot.server import create_app
from intents import Understander
from tests.console.conftest import ConsoleClient, with_auditor


def test_the_console_opens_for_the_demo_admin_by_default(console: ConsoleClient) -> None:
    home = console.client.get("/console")
    assert home.status_code == 303
    page = console.client.get(home.headers["location"])
    assert page.status_code == 200
    assert "Dave (admin)" in page.text and "Skip to content" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # only /static/console.js


def test_people_who_are_neither_admin_nor_auditor_get_a_clear_403(
    console: ConsoleClient,
) -> None:
    for who in ("alice", "carol"):
        refused = console.get("/people", as_=who)
        assert refused.status_code == 403
        assert "for admins and auditors" in refused.text
        assert "auditor role" in refused.text
    unknown = console.get("/people", as_="zed")
    assert unknown.status_code == 403 and "not in the directory" in unknown.text


def test_an_auditor_reads_but_may_not_act(console: ConsoleClient) -> None:
    page = console.get("/people", as_="frank")
    assert page.status_code == 200 and "read only" in page.text
    refused = console.post("/skills/kb.search/disable", as_="frank")
    assert refused.status_code == 403 and "Only admins" in refused.text
    entries = console.audit("console.disable")
    assert entries and entries[-1]["actor"] == "frank" and entries[-1]["outcome"] == "refused"


def test_people_page_says_where_each_role_came_from(console: ConsoleClient) -> None:
    page = console.get("/people")
    assert "Carol (release manager)" in page.text
    assert "release-manager" in page.text and "their entry in the settings file" in page.text
    assert "included by another role" in page.text  # carol's developer role
    found = console.get("/people", q="frank")
    assert "frank@example.com" in found.text and "alice@example.com" not in found.text


def test_cross_site_posts_are_refused(console: ConsoleClient) -> None:
    evil = console.client.post(
        "/console/skills/kb.search/disable",
        data={"as": "dave"},
        headers={"origin": "https://evil.example"},
    )
    assert evil.status_code == 403 and "cross-site" in evil.text
    fetched = console.client.post(
        "/console/skills/kb.search/disable",
        data={"as": "dave"},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert fetched.status_code == 403
    sandboxed = console.client.post(
        "/console/skills/kb.search/disable", data={"as": "dave"}, headers={"origin": "null"}
    )
    assert sandboxed.status_code == 403
    # Chromium's own form post under Referrer-Policy: no-referrer.
    browser = console.client.post(
        "/console/skills/kb.search/disable",
        data={"as": "dave"},
        headers={"origin": "null", "sec-fetch-site": "same-origin"},
    )
    assert browser.status_code == 200


def test_bad_form_posts_get_a_sentence(console: ConsoleClient) -> None:
    sent = console.client.post(
        "/console/skills/kb.search/disable",
        content=b'{"as": "dave"}',
        headers={"content-type": "application/json"},
    )
    assert sent.status_code == 415 and "x-www-form-urlencoded" in sent.text
    twice = console.client.post(
        "/console/skills/kb.search/disable",
        content=b"as=dave&as=alice",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert twice.status_code == 400 and "sent twice" in twice.text


def test_behind_the_proxy_the_header_says_who(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    web = settings.web.model_copy(update={"auth": "proxy", "shared_secret": "s3"})
    proxied = with_auditor(settings).model_copy(update={"web": web})
    with TestClient(create_app(proxied, database_url, understander)) as client:
        secret = {"X-Chatops-Proxy-Secret": "s3"}
        admin = client.get(
            "/console/people",
            params={"as": "alice"},
            headers={**secret, "X-Forwarded-Email": "dave@example.com"},
        )
        assert admin.status_code == 200 and "Dave (admin)" in admin.text
        assert 'name="as"' not in admin.text  # no picker behind the proxy
        employee = client.get(
            "/console/people",
            params={"as": "dave"},
            headers={**secret, "X-Forwarded-Email": "alice@example.com"},
        )
        assert employee.status_code == 403
        forged = client.get("/console/people", headers={"X-Forwarded-Email": "dave@example.com"})
        assert forged.status_code == 401 and "authenticating proxy" in forged.text
        auditor = client.post(
            "/console/skills/kb.search/disable",
            headers={**secret, "X-Forwarded-Email": "frank@example.com"},
        )
        assert auditor.status_code == 403


def test_the_edge_guard_stands_in_front_of_the_console(console: ConsoleClient) -> None:
    page = console.get("/inbox")
    for header in ("content-security-policy", "x-frame-options", "x-content-type-options"):
        assert header in page.headers
    elsewhere = console.client.get("/console/inbox", headers={"host": "evil.example"})
    assert elsewhere.status_code == 400 and "host name" in elsewhere.json()["error"]
    big = console.client.post(
        "/console/inbox/press",
        content=b"value=" + b"x" * 2_000_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert big.status_code == 413


def test_switching_person_after_an_action_lands_on_a_page(console: ConsoleClient) -> None:
    done = console.post("/skills/kb.search/disable")
    assert 'action="/console" class="picker"' in done.text
    page = console.get("/people")
    assert 'action="/console/people" class="picker"' in page.text
    switched = console.client.get("/console", params={"as": "frank"})
    assert switched.status_code == 303 and "as=frank" in switched.headers["location"]
