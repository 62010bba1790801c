"""Fakes of remote systems: scripted, documented answers, and assertions on every request.

A `FakeSystem` holds the exchanges one system should see, in order: each asserts the method,
path, query, headers and JSON body, then plays back the documented answer (failures too).
`transport(...)` routes requests to the fake by host, so one client can talk to several.

Every fake is bound to its vendor's contract by host (`tests.fakes.vendors.VENDORS`): the
request is validated against the vendor's OpenAPI document before the script sees it, and the
scripted answer after. A host with no vendor entry fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.fakes.vendors import vendor_for

ANY = object()


@dataclass
class Exchange:
    method: str
    path: str
    status: int = 200
    answer: Any = None
    query: Mapping[str, str] | None = None
    body: Any = ANY
    headers: Mapping[str, str] = field(default_factory=dict)
    answer_headers: Mapping[str, str] = field(default_factory=dict)
    check: Callable[[httpx.Request], None] | None = None


@dataclass
class FakeSystem:
    host: str
    script: list[Exchange]
    headers: Mapping[str, str] = field(default_factory=dict)  # on every request
    seen: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        vendor = vendor_for(request)
        vendor.check_request(request)
        assert self.script, f"{self.host}: unexpected {request.method} {request.url}"
        ex = self.script.pop(0)
        where = f"{self.host} {request.method} {request.url.path}"
        assert request.method == ex.method, f"{where}: expected {ex.method}"
        assert request.url.path == ex.path, f"{where}: expected path {ex.path}"
        for name, value in {**self.headers, **ex.headers}.items():
            assert request.headers.get(name) == value, f"{where}: header {name}"
        if ex.query is not None:
            assert dict(request.url.params) == dict(ex.query), f"{where}: {request.url.params}"
        if ex.body is not ANY:
            sent = json.loads(request.content) if request.content else None
            assert sent == ex.body, f"{where}: body {sent}"
        if ex.check is not None:
            ex.check(request)
        content = b"" if ex.answer is None else json.dumps(ex.answer).encode()
        headers = (
            {"content-type": "application/json", **ex.answer_headers}
            if content
            else {**ex.answer_headers}
        )
        response = httpx.Response(ex.status, content=content, headers=headers)
        vendor.check_response(request, response)
        return response

    def done(self) -> None:
        assert not self.script, f"{self.host}: still expected {[e.path for e in self.script]}"


def transport(*systems: FakeSystem) -> httpx.MockTransport:
    by_host = {s.host: s for s in systems}

    def handle(request: httpx.Request) -> httpx.Response:
        system = by_host.get(request.url.host)
        assert system is not None, f"request to a host no fake serves: {request.url.host}"
        return system(request)

    return httpx.MockTransport(handle)


class Sleeps:
    """Stands in for asyncio.sleep: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


# Settings and secrets of every real back end, pointing at the fakes' hosts.
FAST = {"poll_seconds": 0, "backoff": 0, "attempts": 3}
SECRETS = {
    "CHATOPS_SECRET__GITHUB__TOKEN": "ghp_secretgithubtoken000000000000000",
    "CHATOPS_SECRET__JENKINS__TOKEN": "jenkins-s3cret",
    "CHATOPS_SECRET__KUBERNETES__TOKEN": "kube-s3cret-token",
    "CHATOPS_SECRET__SERVICENOW__PASSWORD": "snow-s3cret",
    "CHATOPS_SECRET__JIRA__API_TOKEN": "jira-s3cret",
    "CHATOPS_SECRET__OKTA__TOKEN": "okta-s3cret-123",
    "CHATOPS_SECRET__PAGERDUTY__TOKEN": "pd-s3cret",
    "CHATOPS_SECRET__WEBHOOK__TOKEN": "hook-s3cret",
    "CHATOPS_SECRET__KEYCLOAK__CLIENT_SECRET": "kc-s3cret&x=1",
    "CHATOPS_SECRET__ARGOCD__TOKEN": "argo-s3cret",
    "CHATOPS_SECRET__ENTRA__CLIENT_SECRET": "entra-s3cret",
    "CHATOPS_SECRET__SLACK_WEBHOOK__PATH": "/services/T000/B000/s3cretpath",
    "CHATOPS_SECRET__TEAMS_WEBHOOK__PATH": "/webhookb2/s3cret-teams-path",
    "CHATOPS_SECRET__WEBHOOK__SIGNING_SECRET": "hmac-s3cret",
}
CONNECTORS: dict[str, dict[str, Any]] = {
    "github": {"repository": "acme/deploys", **FAST},
    "jenkins": {"base_url": "https://jenkins.example.com", "user": "chatops", **FAST},
    "kubernetes": {
        "base_url": "https://k8s.example.com",
        "namespaces": {"staging": "shop-staging"},
        **FAST,
    },
    "servicenow": {"base_url": "https://acme.service-now.com", "user": "chatops", **FAST},
    "jira": {
        "base_url": "https://acme.atlassian.net",
        "user": "bot@example.com",
        "project": "OPS",
        **FAST,
    },
    "okta": {"base_url": "https://acme.okta.com", "groups": {"grafana": "00g-grafana"}, **FAST},
    "keycloak": {
        "base_url": "https://sso.example.com",
        "realm": "acme",
        "groups": {"jenkins": "g-jenkins"},
        **FAST,
    },
    "pagerduty": {"escalation_policies": {"checkout": "PEP1"}, **FAST},
    "webhook": {"base_url": "https://desk.example.com", "path": "/hooks/chatops", **FAST},
    "argocd": {"base_url": "https://argocd.example.com", **FAST},
    "entra": {
        "tenant": "contoso.onmicrosoft.com",
        "client_id": "11111111-2222-3333-4444-555555555555",
        "groups": {"grafana": "g-grafana-1"},
        **FAST,
    },
    "slack_webhook": {"base_url": "https://hooks.slack.com", **FAST},
    "teams_webhook": {"base_url": "https://acme.webhook.office.com", **FAST},
}


def built(name: str, *fakes: Any, sleeps: Sleeps | None = None, **settings: Any) -> Any:
    """The connector NAME as the settings build it, talking to `fakes` (checked by contract)."""
    from skills.connectors.factory import connector
    from skills.connectors.secrets import load_secrets

    secrets = load_secrets(None, SECRETS)
    configured = {**CONNECTORS, name: {**CONNECTORS.get(name, {}), **settings}}
    make = connector(name, configured, secrets, sleeps or Sleeps())
    return make(httpx.AsyncClient(transport=transport(*fakes)))
