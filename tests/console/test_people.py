"""People: each role with where it came from: the settings file, SCIM, a group, a default."""

from __future__ import annotations

from pydantic import SecretStr
from starlette.testclient import TestClient

from chatbot.config import IdentitySettings, ScimSettings, Settings
from chatbot.server import create_app
from intents import Understander
from tests.console.conftest import ConsoleClient, with_auditor
from tests.directory.conftest import TOKEN, new_group, new_user


def test_roles_from_the_settings_file_scim_groups_and_defaults(
    settings: Settings, database_url: str, understander: Understander
) -> None:
    configured = with_auditor(settings).model_copy(
        update={
            "scim": ScimSettings(token=SecretStr(TOKEN), max_results=50),
            "identity": IdentitySettings(
                domains=("example.com",),
                default_roles=("employee",),
                group_roles={"Release": ("release-manager",)},
            ),
        }
    )
    with TestClient(create_app(configured, database_url, understander)) as client:
        grace = new_user(client, "grace@example.com")
        new_group(client, "Release", [grace["id"]])
        console = ConsoleClient(client)
        page = console.get("/people", as_="frank", q="grace")
        assert page.status_code == 200
        row = page.text.split("<td>grace@example.com</td>", 1)[1].split("</tr>", 1)[0]
        assert "SCIM" in row
        assert "release-manager" in row and "group Release" in row
        assert "default role for the company domain example.com" in row
        assert "included by another role" in row  # release-manager includes developer
        dave = console.get("/people", q="dave").text.split("<td>dave@example.com</td>", 1)[1]
        assert "their entry in the settings file" in dave.split("</tr>", 1)[0]
