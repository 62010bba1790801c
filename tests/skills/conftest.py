"""A chat whose built-in skills run on real back ends, with the remote systems faked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from skill_fakes import FakeSystem, transport

from chatbot.config import Settings
from chatbot.testing import Chat, chat_harness
from intents import Understander

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
}

Connected = Callable[..., AbstractAsyncContextManager[Chat]]


@pytest.fixture
def connected(
    settings: Settings, tmp_path: Any, understander: Understander, monkeypatch: pytest.MonkeyPatch
) -> Connected:
    """connected({"deploy": "github"}, fake, ...) -> a Chat on those back ends and fakes."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)

    @asynccontextmanager
    async def make(backends: Mapping[str, str], *fakes: FakeSystem) -> AsyncIterator[Chat]:
        real = settings.model_copy(update={"backends": dict(backends), "connectors": CONNECTORS})
        url = f"sqlite:///{tmp_path / 'real.db'}"
        async with chat_harness(real, url, understander, transport(*fakes)) as chat:
            yield chat
        for fake in fakes:
            fake.done()

    return make
