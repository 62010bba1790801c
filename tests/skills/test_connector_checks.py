"""Each connector's `check()` (chatops connectors check): one harmless read, inside the
vendor's contract, and a sentence saying what it found."""

from __future__ import annotations

import pytest

from tests.fakes.contracts import example
from tests.fakes.jenkins import JenkinsStandIn
from tests.fakes.servicenow import ServiceNowStandIn
from tests.skills.skill_fakes import Exchange, FakeSystem, built

RUNS = "/repos/acme/deploys/actions/workflows/deploy.yml/runs"


@pytest.mark.parametrize(
    ("name", "host", "script", "settings", "said"),
    [
        (
            "github",
            "api.github.com",
            [
                Exchange(
                    "GET",
                    RUNS,
                    200,
                    {
                        "total_count": 3,
                        "workflow_runs": [example("github", "workflow-run", status="completed")],
                    },
                )
            ],
            {},
            "workflow deploy.yml in acme/deploys has 3 run(s); the latest is completed",
        ),
        (
            "jira",
            "acme.atlassian.net",
            [
                Exchange(
                    "GET", "/rest/api/3/search/jql", 200, {"issues": [{"id": "1", "key": "OPS-9"}]}
                )
            ],
            {},
            "project OPS is searchable as bot@example.com; the newest is OPS-9",
        ),
        (
            "pagerduty",
            "api.pagerduty.com",
            [
                Exchange(
                    "GET",
                    "/oncalls",
                    200,
                    {
                        "oncalls": [{"escalation_level": 1, "user": {"summary": "Carol"}}],
                        "limit": 1,
                        "offset": 0,
                        "more": True,
                    },
                )
            ],
            {},
            "Carol is on call (level 1)",
        ),
        (
            "okta",
            "acme.okta.com",
            [
                Exchange(
                    "GET",
                    "/api/v1/users/me",
                    200,
                    {"id": "00u", "status": "ACTIVE", "profile": {"login": "bot@acme.com"}},
                )
            ],
            {},
            "it belongs to bot@acme.com (ACTIVE)",
        ),
        (
            "keycloak",
            "sso.example.com",
            [
                Exchange(
                    "POST", "/realms/acme/protocol/openid-connect/token", 200, {"access_token": "t"}
                ),
                Exchange("GET", "/admin/realms/acme/users", 200, [{"id": "u"}]),
            ],
            {},
            "realm acme: the chatops client may read users (1 seen)",
        ),
        (
            "kubernetes",
            "k8s.example.com",
            [
                Exchange(
                    "GET",
                    "/apis/apps/v1/namespaces/shop-staging/deployments/billing",
                    200,
                    {
                        "spec": {"replicas": 1, "selector": {}, "template": {}},
                        "status": {
                            "observedGeneration": 1,
                            "replicas": 1,
                            "updatedReplicas": 1,
                            "availableReplicas": 1,
                        },
                    },
                )
            ],
            {"deployments": {"billing": "billing"}},
            "deployment billing in namespace shop-staging: rolled out",
        ),
        (
            "argocd",
            "argocd.example.com",
            [
                Exchange(
                    "GET",
                    "/api/v1/applications/web-prod",
                    200,
                    {"status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}},
                )
            ],
            {"check_application": "web-prod"},
            "application web-prod: sync Synced, health Healthy",
        ),
    ],
)
async def test_check_reads_once_within_the_contract(name, host, script, settings, said) -> None:
    fake = FakeSystem(host, script)
    assert said in await built(name, fake, **settings).check()
    fake.done()


async def test_servicenow_and_jenkins_checks_against_their_stand_ins() -> None:
    snow = ServiceNowStandIn()
    snow.add("incident", number="INC0000042")
    assert "the newest is INC0000042" in await built("servicenow", snow).check()
    jenkins = JenkinsStandIn("jenkins.example.com", {"deploy": {"SERVICE": "", "VERSION": ""}})
    found = await built("jenkins", jenkins).check()
    assert found == "job deploy is buildable; its parameters: SERVICE, VERSION"
