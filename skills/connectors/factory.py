"""From configuration to connectors: which system, where, and with which credentials.

    [backends]              deploy = "github"   service.restart = "kubernetes"  ...
    [connectors.github]     repository = "acme/deploys"  workflow = "deploy.yml"
    secrets (never in the settings file):  CHATOPS_SECRET__GITHUB__TOKEN

Everything is checked when the registry is built, so a missing key or secret stops start-up
with a message naming it, instead of failing in front of a person later.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from skills.connectors.base import Connector, Endpoint, RetryPolicy, Sleep
from skills.connectors.config import ConnectorSettings, section
from skills.connectors.github import GitHubActions, GitHubSettings
from skills.connectors.jenkins import Jenkins, JenkinsSettings
from skills.connectors.jira import Jira, JiraSettings
from skills.connectors.keycloak import Keycloak, KeycloakSettings
from skills.connectors.kubernetes import Kubernetes, KubernetesSettings
from skills.connectors.okta import Okta, OktaSettings
from skills.connectors.pagerduty import PagerDuty, PagerDutySettings
from skills.connectors.secrets import Secrets
from skills.connectors.servicenow import ServiceNow, ServiceNowSettings
from skills.connectors.webhook import Webhook, WebhookSettings


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


Auth = Callable[[Any, Secrets], dict[str, str]]


@dataclass(frozen=True, slots=True)
class Kind:
    system: str
    settings: type[ConnectorSettings]
    connector: type[Connector]
    auth: Auth
    idempotency_header: str | None = None
    credentials: Auth | None = None  # secrets the connector uses other than as headers


KINDS: Mapping[str, Kind] = {
    "github": Kind(
        "GitHub",
        GitHubSettings,
        GitHubActions,
        lambda s, sec: {
            "Authorization": f"Bearer {sec.require('github', 'token')}",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    ),
    "jenkins": Kind(
        "Jenkins",
        JenkinsSettings,
        Jenkins,
        lambda s, sec: {"Authorization": _basic(s.user, sec.require("jenkins", "token"))},
    ),
    "kubernetes": Kind(
        "Kubernetes",
        KubernetesSettings,
        Kubernetes,
        lambda s, sec: {"Authorization": f"Bearer {sec.require('kubernetes', 'token')}"},
    ),
    "servicenow": Kind(
        "ServiceNow",
        ServiceNowSettings,
        ServiceNow,
        lambda s, sec: {
            "Authorization": _basic(s.user, sec.require("servicenow", "password")),
            "Accept": "application/json",
        },
    ),
    "jira": Kind(
        "Jira",
        JiraSettings,
        Jira,
        lambda s, sec: {
            "Authorization": _basic(s.user, sec.require("jira", "api_token")),
            "Accept": "application/json",
        },
    ),
    "okta": Kind(
        "Okta",
        OktaSettings,
        Okta,
        lambda s, sec: {
            "Authorization": f"SSWS {sec.require('okta', 'token')}",
            "Accept": "application/json",
        },
    ),
    "keycloak": Kind(
        "Keycloak",
        KeycloakSettings,
        Keycloak,
        lambda s, sec: {"Accept": "application/json"},
        credentials=lambda s, sec: {"client_secret": sec.require("keycloak", "client_secret")},
    ),
    "pagerduty": Kind(
        "PagerDuty",
        PagerDutySettings,
        PagerDuty,
        lambda s, sec: {"Authorization": f"Token token={sec.require('pagerduty', 'token')}"},
    ),
    "webhook": Kind(
        "the webhook receiver",
        WebhookSettings,
        Webhook,
        lambda s, sec: (
            {"Authorization": f"Bearer {sec.scope('webhook')['token']}"}
            if sec.scope("webhook").get("token")
            else {}
        ),
        idempotency_header="Idempotency-Key",
    ),
}

Make = Callable[[httpx.AsyncClient], Any]


def connector(
    name: str, connectors: Mapping[str, Mapping[str, Any]], secrets: Secrets, sleep: Sleep
) -> Make:
    """Validate `[connectors.NAME]` and its secrets now; build the connector per action."""
    kind = KINDS[name]
    settings = section(connectors, name, kind.settings)
    headers = kind.auth(settings, secrets)
    credentials = kind.credentials(settings, secrets) if kind.credentials else {}
    endpoint = Endpoint(
        kind.system, settings.base_url, headers, kind.idempotency_header, credentials
    )
    retry = RetryPolicy(settings.attempts, settings.backoff, timeout=settings.timeout)

    def make(http: httpx.AsyncClient) -> Any:
        return kind.connector(http, endpoint, retry, sleep, settings)

    return make
