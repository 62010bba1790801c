"""scim2-tester, the outside SCIM compliance checker, against the real server over HTTP.

The app is the one `chatops serve` runs (create_app), served by uvicorn on a free loopback
port; every check scim2-tester runs must pass (skipped ones aside).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx2
import pytest
import uvicorn
from pydantic import Field
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import EnterpriseUser, Group, ResourceType, ScimProvider, User
from scim2_tester import Status, check_server

from chatbot.config import Settings
from chatbot.directory.scim_schema import ChatOpsUser
from chatbot.server import create_app
from intents import Understander
from tests.directory.conftest import AUTH


@pytest.fixture
def served(
    identity_settings: Settings, database_url: str, understander: Understander
) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(identity_settings, database_url, understander)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}/scim/v2"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class TypedChatOpsUser(ChatOpsUser):
    """Our extension as a client configured for it knows it, with a start date to send:
    scim2-tester fills attributes from a field's examples and has no dateTime generator (it
    would send a UUID, which a dateTime attribute rightly refuses)."""

    start_date: datetime | None = Field(default=None, examples=[datetime(2027, 1, 4, tzinfo=UTC)])


def described() -> ScimProvider:
    """The User and Group the server publishes, with the extensions as typed models."""
    user = ResourceType.from_resource(User[EnterpriseUser | TypedChatOpsUser])
    return ScimProvider(
        models=[User, Group, EnterpriseUser, TypedChatOpsUser],
        resource_types=[user, ResourceType.from_resource(Group)],
    )


def test_scim2_tester_reports_no_failure(served: str) -> None:
    with httpx2.Client(base_url=served, headers=AUTH) as http:
        # The client knows our start-date extension as a typed model (an identity provider
        # configured for it would); the rest it discovers from the server.
        scim = SyncSCIMClient(http, provider=described())
        scim.discover()
        results = check_server(scim)
    failed = [
        f"{r.title}: {r.reason}" for r in results if r.status in (Status.ERROR, Status.CRITICAL)
    ]
    assert results and not failed, "\n".join(failed)
