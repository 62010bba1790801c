"""deploy, deploy.rollback (GitHub Actions, Jenkins), service.restart (Kubernetes),
oncall.who (PagerDuty), handoff (webhook), and their sandboxes."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from chatbot.testing import Chat, confirmed, text_of
from tests.fakes.contracts import example
from tests.fakes.jenkins import JenkinsStandIn
from tests.skills.skill_fakes import Exchange, FakeSystem

GH = {
    "Authorization": "Bearer ghp_secretgithubtoken000000000000000",
    "X-GitHub-Api-Version": "2022-11-28",
}
WF = "/repos/acme/deploys/actions/workflows/deploy.yml"


def _dispatch(version: str) -> Exchange:
    def check(request: httpx.Request) -> None:
        body = json.loads(request.content)
        assert body["ref"] == "main"
        inputs = body["inputs"]
        assert inputs["service"] == "payments-api" and inputs["env"] == "staging"
        assert inputs["version"] == version and inputs["request_id"].startswith("chatops-")

    return Exchange("POST", f"{WF}/dispatches", 204, check=check)


def _runs(action: int, status: str, conclusion: str | None = None) -> Exchange:
    def answer_for(request: httpx.Request) -> None:
        assert request.url.params["event"] == "workflow_dispatch"

    run = example(
        "github",
        "workflow-run",
        id=42,
        display_title=f"deploy chatops-{action}",
        status=status,
        conclusion=conclusion,
        html_url="https://github.com/acme/deploys/actions/runs/42",
    )
    return Exchange(
        "GET", f"{WF}/runs", 200, {"total_count": 1, "workflow_runs": [run]}, check=answer_for
    )


async def test_deploy_and_rollback_on_github_actions(connected) -> None:
    run = "/repos/acme/deploys/actions/runs/42"
    github = FakeSystem(
        "api.github.com",
        [
            _dispatch("2.3.1"),
            _runs(1, "queued"),
            Exchange("GET", run, 500),  # retried: a GET is safe to repeat
            Exchange(
                "GET",
                run,
                200,
                example(
                    "github",
                    "workflow-run",
                    id=42,
                    status="completed",
                    conclusion="success",
                    html_url="https://github.com/acme/deploys/actions/runs/42",
                ),
            ),
            _dispatch("2.3.2"),
            _runs(2, "completed", "success"),
            _dispatch("2.3.1"),
            _runs(3, "completed", "success"),
        ],
        headers=GH,
    )
    async with connected({"deploy": "github", "deploy.rollback": "github"}, github) as chat:
        first = text_of(await confirmed(chat, "bob", "deploy payments-api 2.3.1 to staging"))
        assert "Deployed payments-api to 2.3.1 in staging: https://github.com/" in first
        await confirmed(chat, "bob", "deploy payments-api 2.3.2 to staging")
        back = text_of(await confirmed(chat, "bob", "roll back payments-api on staging"))
        assert "Rolled back payments-api to 2.3.1 in staging" in back
        status = text_of(await chat.say("bob", "what is deployed"))
        assert "payments-api 2.3.1 in staging" in status


async def test_failed_github_run_is_reported_with_its_conclusion(connected) -> None:
    github = FakeSystem(
        "api.github.com", [_dispatch("2.3.1"), _runs(1, "completed", "failure")], headers=GH
    )
    async with connected({"deploy": "github"}, github) as chat:
        done = text_of(await confirmed(chat, "bob", "deploy payments-api 2.3.1 to staging"))
        assert "Failed: GitHub run 42 finished with failure" in done


async def test_github_rejecting_the_dispatch_names_github(connected) -> None:
    github = FakeSystem(
        "api.github.com",
        [
            Exchange(
                "POST",
                f"{WF}/dispatches",
                422,
                {"message": 'Unexpected inputs provided: ["request_id"]'},
            ),
        ],
        headers=GH,
    )
    async with connected({"deploy": "github"}, github) as chat:
        done = text_of(await confirmed(chat, "bob", "deploy payments-api 2.3.1 to staging"))
        assert "GitHub refused (422): Unexpected inputs" in done
        assert "Nothing was changed; fix the request" in done


async def test_deploy_on_jenkins_follows_queue_to_build(connected) -> None:
    jenkins = JenkinsStandIn(
        "jenkins.example.com", {"deploy": {"SERVICE": "", "VERSION": "", "ENV": "dev"}}
    )
    async with connected({"deploy": "jenkins"}, jenkins) as chat:
        done = text_of(await confirmed(chat, "bob", "deploy web 5.2.0 to dev"))
        assert "Deployed web to 5.2.0 in dev: https://jenkins.example.com/job/deploy/1/" in done
    assert jenkins.builds == [{"SERVICE": "web", "VERSION": "5.2.0", "ENV": "dev"}]
    basic = "Basic " + __import__("base64").b64encode(b"chatops:jenkins-s3cret").decode()
    assert all(r.headers["authorization"] == basic for r in jenkins.seen)


async def test_restart_patches_the_deployment_like_kubectl(connected) -> None:
    path = "/apis/apps/v1/namespaces/shop-staging/deployments/billing"

    def patch(request: httpx.Request) -> None:
        assert request.headers["content-type"] == "application/strategic-merge-patch+json"
        body = json.loads(request.content)
        assert (
            "kubectl.kubernetes.io/restartedAt"
            in body["spec"]["template"]["metadata"]["annotations"]
        )

    spec = {"replicas": 3, "selector": {"matchLabels": {"app": "billing"}}, "template": {}}
    rolling = {
        "spec": spec,
        "status": {
            "observedGeneration": 5,
            "replicas": 4,
            "updatedReplicas": 2,
            "availableReplicas": 3,
        },
    }
    ready = {
        "spec": spec,
        "status": {
            "observedGeneration": 5,
            "replicas": 3,
            "updatedReplicas": 3,
            "availableReplicas": 3,
        },
    }
    k8s = FakeSystem(
        "k8s.example.com",
        [
            Exchange("PATCH", path, 503, {"kind": "Status", "message": "etcd leader changed"}),
            Exchange("PATCH", path, 200, {"metadata": {"generation": 5}}, check=patch),
            Exchange("GET", path, 200, rolling),
            Exchange("GET", path, 200, ready),
        ],
        headers={"Authorization": "Bearer kube-s3cret-token"},
    )
    async with connected({"service.restart": "kubernetes"}, k8s) as chat:
        done = text_of(await confirmed(chat, "bob", "restart billing in staging"))
        assert "Restarted billing in staging: 3 pod(s) replaced" in done


async def test_oncall_from_pagerduty_honours_retry_after(connected) -> None:
    pd = {
        "Authorization": "Token token=pd-s3cret",
        "Accept": "application/vnd.pagerduty+json;version=2",
    }
    query = {"earliest": "true", "limit": "100", "offset": "0", "escalation_policy_ids[]": "PEP1"}
    answer = {
        "oncalls": [
            {"escalation_level": 1, "user": {"summary": "Carol Ops"}},
            {"escalation_level": 2, "user": {"summary": "Dave Boss"}},
        ],
        "limit": 100,
        "offset": 0,
        "more": False,
    }
    pagerduty = FakeSystem(
        "api.pagerduty.com",
        [
            Exchange(
                "GET",
                "/oncalls",
                429,
                {"error": {"message": "Rate Limit Exceeded"}},
                query=query,
                answer_headers={"Retry-After": "0"},
            ),
            Exchange("GET", "/oncalls", 200, answer, query=query),
        ],
        headers=pd,
    )
    async with connected({"oncall.who": "pagerduty"}, pagerduty) as chat:
        done = text_of(await chat.say("alice", "who is on call for checkout"))
        assert "On call for checkout: Carol Ops." in done


async def test_handoff_posts_to_the_desk_webhook_with_an_idempotency_key(connected) -> None:
    def body(request: httpx.Request) -> None:
        sent = json.loads(request.content)
        assert sent["event"] == "handoff" and sent["email"] == "alice@example.com"
        assert request.headers["X-Idempotency-Key"] == sent["key"]
        assert sent["key"].startswith("handoff-")
        expected = hmac.new(b"hmac-s3cret", request.content, hashlib.sha256).hexdigest()
        assert request.headers["X-Signature-256"] == f"sha256={expected}"

    hook = FakeSystem(
        "desk.example.com",
        [
            Exchange("POST", "/hooks/chatops", 500, check=body),
            Exchange("POST", "/hooks/chatops", 202, check=body),
        ],
        headers={"Authorization": "Bearer hook-s3cret"},
    )
    async with connected({"handoff": "webhook"}, hook) as chat:
        done = text_of(await chat.say("alice", "i want to speak to an agent"))
        assert "the service desk was notified" in done


async def test_ops_sandboxes(chat: Chat) -> None:
    assert "Sandbox: Restarted billing in staging" in text_of(
        await confirmed(chat, "bob", "restart billing in staging")
    )
    assert "On call for checkout: bob" in text_of(
        await chat.say("alice", "who is on call for checkout")
    )
    assert "queue" in text_of(await chat.say("alice", "i want to speak to an agent"))
