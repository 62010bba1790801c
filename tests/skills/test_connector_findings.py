"""Regression tests for the findings of issue 15 (Jenkins, Jira, Okta, GitHub, PagerDuty,
Keycloak, webhooks), each against a fake held to its vendor's contract."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chatbot.types import Principal
from skills.api import SkillError
from skills.connectors.errors import ConnectorError
from tests.fakes.contracts import example
from tests.fakes.jenkins import JenkinsStandIn
from tests.skills.skill_fakes import SECRETS, Exchange, FakeSystem, Sleeps, built

ALICE = Principal("alice", "alice@example.com", "Alice")
LOWER = {"service": "", "version": "", "env": "dev"}


async def _nothing(text: str) -> None:
    return None


# --- Jenkins ---------------------------------------------------------------------------


async def test_jenkins_keeps_parameter_names_as_the_job_defines_them() -> None:
    jenkins = JenkinsStandIn("jenkins.example.com", {"deploy": LOWER})
    url = await built("jenkins", jenkins).trigger(
        {"service": "web", "version": "5.2.0", "env": "prod"}, "chatops-1", _nothing, False
    )
    assert url == "https://jenkins.example.com/job/deploy/1/"
    assert jenkins.builds == [{"service": "web", "version": "5.2.0", "env": "prod"}]


async def test_jenkins_job_without_a_parameter_is_refused_before_building() -> None:
    jenkins = JenkinsStandIn("jenkins.example.com", {"deploy": {"service": "", "env": ""}})
    with pytest.raises(ConnectorError) as refused:
        await built("jenkins", jenkins).trigger(
            {"service": "web", "version": "5.2.0", "env": "dev"}, "r", _nothing, False
        )
    assert "Jenkins refused: the job deploy has no parameter VERSION" in str(refused.value)
    assert jenkins.builds == []


async def test_jenkins_build_with_other_parameters_is_not_reported_as_deployed() -> None:
    jenkins = JenkinsStandIn("jenkins.example.com", {"deploy": LOWER}, tamper={"version": "5.1.0"})
    with pytest.raises(SkillError, match=r"version=5\.1\.0 instead of 5\.2\.0"):
        await built("jenkins", jenkins).trigger(
            {"service": "web", "version": "5.2.0", "env": "dev"}, "r", _nothing, False
        )


async def test_jenkins_credentials_never_follow_a_location_to_another_host() -> None:
    jenkins = JenkinsStandIn(
        "jenkins.example.com", {"deploy": LOWER}, location_host="evil.example.net"
    )
    with pytest.raises(SkillError, match="does not send its credentials there"):
        await built("jenkins", jenkins).trigger(
            {"service": "web", "version": "5.2.0", "env": "dev"}, "r", _nothing, False
        )
    assert {r.url.host for r in jenkins.seen} == {"jenkins.example.com"}


# --- Jira --------------------------------------------------------------------------------

JIRA_ISSUE = {
    "id": "10042",
    "key": "OPS-7",
    "self": "https://acme.atlassian.net/rest/api/3/issue/10042",
}


async def test_jira_creates_without_priority_where_the_screen_has_none() -> None:
    def without(request: httpx.Request) -> None:
        assert "priority" not in json.loads(request.content)["fields"]

    refused = {
        "errorMessages": [],
        "errors": {
            "priority": "Field 'priority' cannot be set. It is not on the appropriate screen, "
            "or unknown."
        },
    }
    jira = FakeSystem(
        "acme.atlassian.net",
        [
            Exchange("POST", "/rest/api/3/issue", 400, refused),
            Exchange("POST", "/rest/api/3/issue", 201, JIRA_ISSUE, check=without),
        ],
    )
    ticket = await built("jira", jira).create(ALICE, "printer on fire", "high", "k")
    assert ticket.id == "OPS-7 (INC0010042)" and "not set" in ticket.priority
    jira.done()


async def test_jira_understands_real_issue_keys() -> None:
    issue = {
        **JIRA_ISSUE,
        "fields": {"summary": "s", "status": {"name": "Open"}, "priority": {"name": "Low"}},
    }
    jira = FakeSystem(
        "acme.atlassian.net", [Exchange("GET", "/rest/api/3/issue/OPS-7", 200, issue)]
    )
    found = await built("jira", jira).get("ops-7")
    assert found is not None and found.id == "OPS-7 (INC0010042)" and found.priority == "low"


# --- Okta --------------------------------------------------------------------------------


async def test_okta_rate_limit_waits_for_x_rate_limit_reset() -> None:
    reset = str(int(time.time()) + 40)
    limited = {
        "errorCode": "E0000047",
        "errorSummary": "API call exceeded rate limit due to too many requests.",
    }
    okta = FakeSystem(
        "acme.okta.com",
        [
            Exchange(
                "GET",
                "/api/v1/users/alice@example.com",
                429,
                limited,
                answer_headers={"X-Rate-Limit-Reset": reset},
            ),
            Exchange("GET", "/api/v1/users/alice@example.com", 200, {"id": "00u1"}),
            Exchange("DELETE", "/api/v1/users/00u1/sessions", 204),
        ],
    )
    sleeps = Sleeps()
    await built("okta", okta, sleeps=sleeps).end_sessions("alice")
    assert 35 <= sleeps.waits[0] <= 41  # the window's reset, not a 0.5 s backoff


async def test_okta_login_follows_the_configured_template() -> None:
    okta = FakeSystem(
        "acme.okta.com",
        [
            Exchange("GET", "/api/v1/users/alice", 200, {"id": "00u1"}),
            Exchange("POST", "/api/v1/users/00u1/lifecycle/unlock", 200),
        ],
    )
    assert "unlocked" in await built("okta", okta, login="{name}").unlock("alice@example.com")
    okta.done()


# --- GitHub ------------------------------------------------------------------------------

WF = "/repos/acme/deploys/actions/workflows/deploy.yml"
RUN = example(
    "github",
    "workflow-run",
    id=77,
    status="completed",
    conclusion="success",
    html_url="https://github.com/acme/deploys/actions/runs/77",
)


async def test_github_403_with_spent_rate_limit_is_waited_out() -> None:
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 20)}
    details = {
        "workflow_run_id": 77,
        "run_url": "https://api.github.com/repos/acme/deploys/actions/runs/77",
        "html_url": "https://github.com/acme/deploys/actions/runs/77",
    }
    github = FakeSystem(
        "api.github.com",
        [
            Exchange(
                "POST",
                f"{WF}/dispatches",
                403,
                {"message": "API rate limit exceeded"},
                answer_headers=spent,
            ),
            Exchange("POST", f"{WF}/dispatches", 200, details),
            Exchange("GET", "/repos/acme/deploys/actions/runs/77", 200, RUN),
        ],
    )
    sleeps = Sleeps()
    url = await built("github", github, sleeps=sleeps).trigger(
        {"service": "web"}, "r-1", _nothing, False
    )
    assert url.endswith("/runs/77") and 15 <= sleeps.waits[0] <= 21
    github.done()


async def test_github_uses_the_run_id_the_dispatch_returns() -> None:
    def asks(request: httpx.Request) -> None:
        assert json.loads(request.content)["return_run_details"] is True

    details = {
        "workflow_run_id": 77,
        "run_url": "https://api.github.com/repos/acme/deploys/actions/runs/77",
        "html_url": "https://github.com/acme/deploys/actions/runs/77",
    }
    github = FakeSystem(
        "api.github.com",
        [
            Exchange("POST", f"{WF}/dispatches", 200, details, check=asks),
            Exchange("GET", "/repos/acme/deploys/actions/runs/77", 200, RUN),
        ],
    )
    await built("github", github).trigger({"service": "web"}, "r-1", _nothing, False)
    assert all("/runs?" not in str(r.url) for r in github.seen)  # no scan of recent runs
    github.done()


async def test_github_app_installation_token(monkeypatch: pytest.MonkeyPatch) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    monkeypatch.setitem(SECRETS, "CHATOPS_SECRET__GITHUB__PRIVATE_KEY", pem)
    token = {"token": "ghs_installation", "expires_at": "2026-01-01T01:00:00Z"}
    github = FakeSystem(
        "api.github.com",
        [
            Exchange("POST", "/app/installations/42/access_tokens", 201, token),
            Exchange(
                "POST",
                f"{WF}/dispatches",
                204,
                headers={"Authorization": "Bearer ghs_installation"},
            ),
            Exchange(
                "GET",
                f"{WF}/runs",
                200,
                {"total_count": 1, "workflow_runs": [{**RUN, "display_title": "deploy r-9"}]},
                headers={"Authorization": "Bearer ghs_installation"},
            ),
        ],
    )
    url = await built("github", github, app_id="123", installation_id=42).trigger(
        {"service": "web"}, "r-9", _nothing, False
    )
    assert url.endswith("/runs/77")
    github.done()


# --- PagerDuty ---------------------------------------------------------------------------

PD = "api.pagerduty.com"


def _page(names: list[str], offset: int, more: bool) -> dict[str, object]:
    rows = [{"escalation_level": 1, "user": {"summary": n}} for n in names]
    return {"oncalls": rows, "limit": 100, "offset": offset, "more": more}


async def test_pagerduty_reads_every_page() -> None:
    pd = FakeSystem(
        PD,
        [
            Exchange("GET", "/oncalls", 200, _page(["Carol"], 0, True)),
            Exchange(
                "GET",
                "/oncalls",
                200,
                _page(["Dave"], 1, False),
                check=lambda r: r.url.params["offset"] == "1" or pytest.fail("offset"),
            ),
        ],
    )
    assert await built("pagerduty", pd).who(None) == ["Carol", "Dave"]
    pd.done()


async def test_pagerduty_unmapped_service_is_said_not_the_whole_org() -> None:
    pd = FakeSystem(PD, [])
    with pytest.raises(SkillError, match="no escalation policy mapped for search"):
        await built("pagerduty", pd).who("search")
    assert pd.seen == []


async def test_pagerduty_answer_without_oncalls_is_no_crash() -> None:
    """A 200 that is not PagerDuty's list (a proxy's or an outage page's JSON) must not end in
    a KeyError; this fake breaks the contract on purpose, so it is a bare MockTransport."""

    def proxy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "ok"})

    connector = built("pagerduty")
    connector.http = httpx.AsyncClient(transport=httpx.MockTransport(proxy))
    assert await connector.who("checkout") == []


# --- Keycloak ----------------------------------------------------------------------------

KC_TOKEN = Exchange(
    "POST",
    "/realms/acme/protocol/openid-connect/token",
    200,
    {"access_token": "kc-at", "token_type": "Bearer"},
)
USERS = "/admin/realms/acme/users"


async def test_keycloak_error_shows_its_error_message() -> None:
    kc = FakeSystem(
        "sso.example.com",
        [
            KC_TOKEN,
            Exchange("GET", USERS, 200, [{"id": "u-1", "enabled": True}]),
            Exchange("POST", f"{USERS}/u-1/logout", 403, {"errorMessage": "insufficient scope"}),
        ],
    )
    with pytest.raises(ConnectorError, match=r"Keycloak refused \(403\): insufficient scope"):
        await built("keycloak", kc).end_sessions("alice")


async def test_keycloak_unlock_re_enables_a_permanently_locked_out_user() -> None:
    locked = {"id": "u-1", "enabled": False, "attributes": {"disabledReason": ["permanentLockout"]}}

    def enabled(request: httpx.Request) -> None:
        assert json.loads(request.content)["enabled"] is True

    kc = FakeSystem(
        "sso.example.com",
        [
            KC_TOKEN,
            Exchange("GET", USERS, 200, [locked]),
            Exchange("DELETE", "/admin/realms/acme/attack-detection/brute-force/users/u-1", 204),
            Exchange("PUT", f"{USERS}/u-1", 204, check=enabled),
        ],
    )
    assert "enabled again" in await built("keycloak", kc).unlock("alice")
    kc.done()


async def test_keycloak_unlock_leaves_an_admin_disabled_user_alone() -> None:
    kc = FakeSystem(
        "sso.example.com",
        [KC_TOKEN, Exchange("GET", USERS, 200, [{"id": "u-1", "enabled": False}])],
    )
    with pytest.raises(SkillError, match="disabled by an administrator"):
        await built("keycloak", kc).unlock("alice")
    kc.done()


# --- Webhooks ----------------------------------------------------------------------------


async def test_generic_webhook_signs_and_keys_each_handoff() -> None:
    hook = FakeSystem("desk.example.com", [Exchange("POST", "/hooks/chatops", 202)] * 2)
    desk = built("webhook", hook)
    await desk.handoff(ALICE, "asked for a person", "handoff-1")
    await desk.handoff(ALICE, "asked for a person", "handoff-2")
    keys = [r.headers["X-Idempotency-Key"] for r in hook.seen]
    assert keys == ["handoff-1", "handoff-2"]  # same person and note, two handoffs
    for request in hook.seen:
        mac = hmac.new(b"hmac-s3cret", request.content, hashlib.sha256).hexdigest()
        assert request.headers["X-Signature-256"] == f"sha256={mac}"
        assert "Idempotency-Key" not in request.headers.keys() - {"x-idempotency-key"}


async def test_slack_incoming_webhook_gets_text() -> None:
    slack = FakeSystem("hooks.slack.com", [Exchange("POST", "/services/T000/B000/s3cretpath", 200)])
    done = await built("slack_webhook", slack).handoff(ALICE, "printer on fire", "handoff-3")
    body = json.loads(slack.seen[0].content)
    assert "printer on fire" in body["text"] and "Slack" in done


async def test_teams_incoming_webhook_gets_an_adaptive_card() -> None:
    teams = FakeSystem(
        "acme.webhook.office.com", [Exchange("POST", "/webhookb2/s3cret-teams-path", 202)]
    )
    await built("teams_webhook", teams).handoff(ALICE, "printer on fire", "handoff-4")
    card = json.loads(teams.seen[0].content)["attachments"][0]["content"]
    assert "printer on fire" in card["body"][0]["text"]
