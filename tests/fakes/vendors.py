"""Which contract each faked host answers to: an OpenAPI document, or a documented rule set.

The hosts are the ones the test settings point the connectors at (tests/skills/skill_fakes.py
CONNECTORS). Systems with a published OpenAPI document are checked by openapi-core
(tests.fakes.contracts); Jenkins, ServiceNow, PagerDuty and Microsoft Graph publish none we
may ship, so their requests are held to the rules their documentation states, cited below.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx

from tests.fakes.contracts import Contract, payload_schema

SYS_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Vendor:
    """Checks one host's requests and answers; `uncovered` paths get their own check."""

    name: str
    contract: Contract | None = None
    rules: Callable[[httpx.Request], None] | None = None
    answers: Callable[[httpx.Request, httpx.Response], None] | None = None
    uncovered: dict[str, Callable[[httpx.Request], None]] = field(default_factory=dict)
    newer: dict[str, Callable[[httpx.Request, httpx.Response], None]] = field(default_factory=dict)

    def check_request(self, request: httpx.Request) -> None:
        for pattern, check in self.uncovered.items():
            if re.fullmatch(pattern, request.url.path):
                check(request)
                return
        if self.contract is not None:
            self.contract.check_request(request)
        if self.rules is not None:
            self.rules(request)

    def check_response(self, request: httpx.Request, response: httpx.Response) -> None:
        if any(re.fullmatch(p, request.url.path) for p in self.uncovered):
            return
        for pattern, check in self.newer.items():  # answers newer than the contract
            if response.status_code == 200 and re.fullmatch(pattern, request.url.path):
                check(request, response)
                return
        if self.contract is not None:
            self.contract.check_response(request, response)
        if self.answers is not None:
            self.answers(request, response)


def _form(request: httpx.Request) -> dict[str, str]:
    assert request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ), f"{request.url}: a token request is form-encoded"
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def client_credentials(request: httpx.Request) -> None:
    """OAuth 2.0 client credentials grant (RFC 6749 4.4), as Keycloak's *Securing applications*
    guide and the Microsoft identity platform document it."""
    assert request.method == "POST", f"{request.url}: token requests are POSTs"
    form = _form(request)
    assert form.get("grant_type") == "client_credentials", f"{request.url}: grant {form}"
    assert form.get("client_id"), f"{request.url}: client_id missing"
    assert form.get("client_secret") or form.get("client_assertion"), "no client credential"


# ServiceNow Table API: https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/
# c_TableAPI. Reference fields hold the sys_id of the referenced record; a string that is no
# sys_id is stored as is (a dangling reference) unless sysparm_input_display_value=true.
SNOW_REFERENCES = ("caller_id", "requested_by", "opened_by", "assigned_to", "cmdb_ci")
SNOW_PARAMS = {
    "GET": {
        "sysparm_query",
        "sysparm_limit",
        "sysparm_offset",
        "sysparm_fields",
        "sysparm_display_value",
        "sysparm_exclude_reference_link",
    },
    "POST": {"sysparm_input_display_value", "sysparm_fields", "sysparm_display_value"},
    "PATCH": {"sysparm_input_display_value", "sysparm_fields", "sysparm_display_value"},
}


def servicenow_rules(request: httpx.Request) -> None:
    path = request.url.path
    assert re.fullmatch(r"/api/now/table/\w+(/[0-9a-z]+)?", path), f"no Table API path: {path}"
    allowed = SNOW_PARAMS.get(request.method)
    assert allowed is not None, f"ServiceNow: {request.method} not used on the Table API"
    unknown = set(request.url.params) - allowed
    assert not unknown, f"ServiceNow ignores unknown parameters {unknown}"
    if request.method in ("POST", "PATCH") and request.content:
        body = json.loads(request.content)
        as_display = request.url.params.get("sysparm_input_display_value") == "true"
        for name in SNOW_REFERENCES:
            if name in body and not as_display:
                assert SYS_ID.match(str(body[name])), (
                    f"ServiceNow {name} is a reference field: send the sys_id, not {body[name]!r}"
                )


def servicenow_answers(request: httpx.Request, response: httpx.Response) -> None:
    if response.is_success and response.content:
        assert "result" in response.json(), "Table API answers are wrapped in 'result'"


# Jenkins remote access API: https://www.jenkins.io/doc/book/using/remote-access-api/
def jenkins_rules(request: httpx.Request) -> None:
    path = request.url.path
    ok = re.fullmatch(r"(/job/[^/]+)+/(buildWithParameters|build)", path) or path.endswith(
        "/api/json"
    )
    assert ok, f"Jenkins has no remote API at {path}"
    if path.endswith(("/buildWithParameters", "/build")):
        assert request.method == "POST", "Jenkins starts builds by POST"


# PagerDuty REST v2, List all of the on-calls:
# https://developer.pagerduty.com/api-reference/3a6b910f11050-list-all-of-the-on-calls
PD_PARAMS = {
    "time_zone",
    "limit",
    "offset",
    "total",
    "include[]",
    "user_ids[]",
    "escalation_policy_ids[]",
    "schedule_ids[]",
    "since",
    "until",
    "earliest",
}


def pagerduty_rules(request: httpx.Request) -> None:
    assert (request.method, request.url.path) == ("GET", "/oncalls"), request.url
    unknown = set(request.url.params) - PD_PARAMS
    assert not unknown, f"PagerDuty /oncalls has no parameters {unknown}"
    assert request.headers.get("accept") == "application/vnd.pagerduty+json;version=2"


def pagerduty_answers(request: httpx.Request, response: httpx.Response) -> None:
    if response.status_code == 200:
        body = response.json()
        for key in ("oncalls", "limit", "offset", "more"):
            assert key in body, f"PagerDuty list answers carry {key!r}"


# Microsoft Graph v1.0 (https://learn.microsoft.com/graph/api/overview): the operations used.
GRAPH_OPS = (
    ("GET", r"/v1.0/users"),  # the directory pull sync: people, groups, user members
    ("GET", r"/v1.0/groups"),
    ("GET", r"/v1.0/groups/[^/]+/members/microsoft.graph.user"),
    ("GET", r"/v1.0/users/[^/]+"),
    ("GET", r"/v1.0/organization"),
    ("POST", r"/v1.0/users/[^/]+/revokeSignInSessions"),
    ("PATCH", r"/v1.0/users/[^/]+"),
    ("GET", r"/v1.0/users/[^/]+/authentication/methods"),
    ("POST", r"/v1.0/users/[^/]+/authentication/methods/[^/]+/resetPassword"),
    ("POST", r"/v1.0/groups/[^/]+/members/\$ref"),
    ("DELETE", r"/v1.0/groups/[^/]+/members/[^/]+/\$ref"),
)


def graph_rules(request: httpx.Request) -> None:
    path = request.url.path
    ok = any(m == request.method and re.fullmatch(p, path) for m, p in GRAPH_OPS)
    assert ok, f"Microsoft Graph: {request.method} {path} is not an operation we use"
    assert request.headers.get("authorization", "").startswith("Bearer ")
    if path.endswith("/members/$ref") and request.method == "POST":
        ref = json.loads(request.content)["@odata.id"]
        assert ref.startswith("https://graph.microsoft.com/v1.0/directoryObjects/"), ref
    if request.method == "PATCH":
        body = json.loads(request.content)
        assert set(body) <= {"accountEnabled", "passwordProfile"}, body


def okta_list(request: httpx.Request) -> None:
    """Okta's list operations (List all Users, List all Groups, List all Member Users of a
    Group; not in the trimmed contract): GET, `SSWS` auth, `limit` at most 200 on the first
    page (later pages follow the `Link: rel="next"` URL, which carries its own `after`)."""
    assert request.method == "GET", f"Okta: {request.method} {request.url.path}"
    assert request.headers.get("authorization", "").startswith("SSWS ")
    limit = request.url.params.get("limit")
    assert limit is None or 1 <= int(limit) <= 200, f"Okta: limit {limit}"
    assert limit is not None or request.url.params.get("after"), "Okta: no limit, no cursor"


def slack_webhook(request: httpx.Request) -> None:
    """Slack incoming webhooks take JSON with `text` (or blocks/attachments)."""
    body = json.loads(request.content)
    payload_schema("slack-incoming-webhook").validate(body)
    assert body.get("text"), "Slack refuses an incoming-webhook body without text"


def teams_webhook(request: httpx.Request) -> None:
    """Teams incoming webhooks / Workflows: a message with an Adaptive Card attachment.
    https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/
    connectors-using#send-adaptive-cards-using-an-incoming-webhook"""
    body = json.loads(request.content)
    assert body.get("type") == "message", body
    (card,) = body["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard" and card["content"]["body"]


def generic_webhook(request: httpx.Request) -> None:
    assert request.method == "POST"
    json.loads(request.content)
    assert request.headers.get("x-idempotency-key"), "our docs promise X-Idempotency-Key"


# https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api: every client
# error carries a `message` (and usually `documentation_url`), whatever the operation.
GITHUB_ERROR = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}, "documentation_url": {"type": "string"}},
}


def github_app_token(request: httpx.Request) -> None:
    """POST /app/installations/{id}/access_tokens, authenticated by the App's JWT
    (https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app);
    newer than the contract's snapshot."""
    assert request.method == "POST"
    assert request.headers["authorization"].startswith("Bearer ey"), "a JWT, not a token"


def keycloak_update_user(request: httpx.Request) -> None:
    """PUT /admin/realms/{realm}/users/{user-id} with a UserRepresentation (Keycloak Admin REST
    API, "Update the user"); not among the contract's kept operations."""
    if request.method == "GET":
        return
    assert request.method == "PUT", request.method
    body = json.loads(request.content)
    assert isinstance(body.get("enabled"), bool), body
    assert request.headers["authorization"].startswith("Bearer ")


# Keycloak Admin REST API lists read by the pull sync and not among the contract's kept
# operations: Get group hierarchy (GET /groups), Return a paginated list of subgroups
# (GET /groups/{id}/children, Keycloak 23+) and Get users of a group (GET
# /groups/{id}/members). GETs with a bearer token; `first` (offset, >= 0) and `max` (>= 1).
KEYCLOAK_LIST_PARAMS = {
    "groups": {"search", "q", "exact", "first", "max", "briefRepresentation", "populateHierarchy"},
    "children": {"search", "exact", "first", "max", "briefRepresentation", "subGroupsCount"},
    "members": {"first", "max", "briefRepresentation"},
}


def keycloak_list(request: httpx.Request) -> None:
    assert request.method == "GET", f"Keycloak: {request.method} {request.url.path}"
    assert request.headers["authorization"].startswith("Bearer ")
    kind = request.url.path.rsplit("/", 1)[-1]
    unknown = set(request.url.params) - KEYCLOAK_LIST_PARAMS[kind]
    assert not unknown, f"Keycloak {request.url.path} has no parameters {unknown}"
    params = request.url.params
    assert int(params.get("first", "0")) >= 0 and int(params.get("max", "1")) >= 1, params
    for flag in ("briefRepresentation", "exact", "populateHierarchy", "subGroupsCount"):
        assert params.get(flag, "true") in ("true", "false"), f"Keycloak {flag}: a boolean"


def github_dispatch_answer(request: httpx.Request, response: httpx.Response) -> None:
    """With `return_run_details: true` GitHub answers 200 with the run's ids (docs, Create a
    workflow dispatch event, 2025); the June 2022 contract knows only 204."""
    if response.status_code == 200:
        body = response.json()
        assert isinstance(body["workflow_run_id"], int) and body["run_url"] and body["html_url"]


KEYCLOAK_TOKEN = r"/realms/[^/]+/protocol/openid-connect/token"

VENDORS: dict[str, Vendor] = {
    "api.github.com": Vendor(
        "GitHub",
        Contract("github", "https://api.github.com", errors=GITHUB_ERROR),
        newer={r"/repos/[^/]+/[^/]+/actions/workflows/[^/]+/dispatches": github_dispatch_answer},
        uncovered={r"/app/installations/\d+/access_tokens": github_app_token},
    ),
    "k8s.example.com": Vendor(
        "Kubernetes", Contract("kubernetes-apps-v1", "https://k8s.example.com")
    ),
    "acme.atlassian.net": Vendor("Jira", Contract("jira-cloud-v3", "https://acme.atlassian.net")),
    "acme.okta.com": Vendor(
        "Okta",
        Contract("okta-management", "https://acme.okta.com"),
        uncovered={
            r"/api/v1/users": okta_list,
            r"/api/v1/groups": okta_list,
            r"/api/v1/groups/[^/]+/users": okta_list,
        },
    ),
    "sso.example.com": Vendor(
        "Keycloak",
        Contract("keycloak-admin", "https://sso.example.com"),
        uncovered={
            KEYCLOAK_TOKEN: client_credentials,
            r"/admin/realms/[^/]+/users/[^/]+": keycloak_update_user,
            r"/admin/realms/[^/]+/groups": keycloak_list,
            r"/admin/realms/[^/]+/groups/[^/]+/(children|members)": keycloak_list,
        },
    ),
    "argocd.example.com": Vendor("Argo CD", Contract("argocd", "https://argocd.example.com")),
    "acme.service-now.com": Vendor(
        "ServiceNow", rules=servicenow_rules, answers=servicenow_answers
    ),
    "jenkins.example.com": Vendor("Jenkins", rules=jenkins_rules),
    "api.pagerduty.com": Vendor("PagerDuty", rules=pagerduty_rules, answers=pagerduty_answers),
    "graph.microsoft.com": Vendor("Microsoft Graph", rules=graph_rules),
    "login.microsoftonline.com": Vendor(
        "Microsoft identity platform", uncovered={r"/[^/]+/oauth2/v2.0/token": client_credentials}
    ),
    "hooks.slack.com": Vendor("Slack incoming webhook", rules=slack_webhook),
    "acme.webhook.office.com": Vendor("Teams incoming webhook", rules=teams_webhook),
    "desk.example.com": Vendor("generic webhook", rules=generic_webhook),
    # Made-up APIs with no vendor behind them: the connector base class's own tests and the
    # shipped manifest examples (cache-flush, maintenance-announce) that call them.
    "api.example.com": Vendor("a generic HTTP API (base-class tests)"),
    "cdn.example.com": Vendor("the example CDN of deploy/examples/cache-flush.toml"),
}


def vendor_for(request: httpx.Request) -> Vendor:
    found = VENDORS.get(request.url.host)
    assert found is not None, (
        f"no vendor contract for {request.url.host}: add it to tests/fakes/vendors.py"
    )
    return found
