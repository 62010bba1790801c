"""A running app with SCIM on (token "s3cret", the company domain example.com, Engineering ->
developer, Release -> release-manager, ticket.close approved by the requester's manager, prod
restarts by two release managers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from chatbot.config import IdentitySettings, PolicyRule, ScimSettings, Settings
from chatbot.server import create_app
from intents import Understander

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def identity_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "scim": ScimSettings(token=SecretStr(TOKEN), max_results=50),
            "identity": IdentitySettings(
                domains=("example.com",),
                group_roles={"Engineering": ("developer",), "Release": ("release-manager",)},
            ),
            "policy": (
                *settings.policy,
                PolicyRule(skill="ticket.close", requires="approval", approvers="@manager"),
                PolicyRule(
                    skill="service.restart",
                    where={"env": ("prod",)},
                    requires="approval",
                    approvers="release-manager",
                    approvals=2,
                ),
            ),
        }
    )


@pytest.fixture
def client(
    identity_settings: Settings, database_url: str, understander: Understander
) -> Iterator[TestClient]:
    with TestClient(create_app(identity_settings, database_url, understander)) as c:
        yield c


def new_user(client: TestClient, user_name: str, **extra: object) -> dict:
    body = {"schemas": [USER], "userName": user_name, "emails": [{"value": user_name}], **extra}
    made = client.post("/scim/v2/Users", json=body, headers=AUTH)
    assert made.status_code == 201, made.text
    return made.json()


def new_group(client: TestClient, name: str, members: list[str]) -> dict:
    body = {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in members]}
    made = client.post("/scim/v2/Groups", json=body, headers=AUTH)
    assert made.status_code == 201, made.text
    return made.json()
